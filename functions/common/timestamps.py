"""Timestamps as the catalog writes them: UTC, ISO 8601, milliseconds, ``Z``."""

from __future__ import annotations

import datetime


def iso_utc(epoch: float) -> str:
    """``2026-12-02T03:15:19.123Z`` for a Unix time (sorts as text in time order)."""
    return datetime.datetime.fromtimestamp(epoch, datetime.UTC).isoformat(timespec="milliseconds").replace(
        "+00:00", "Z")
