"""Kept for imports written before the capabilities moved into the package (the pytest plugin uses them)."""

from localcloud.capabilities import MINISTACK_GAPS, identify, missing_capabilities

__all__ = ["MINISTACK_GAPS", "identify", "missing_capabilities"]
