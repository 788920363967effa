"""The code a component runs on the user's behalf (a job, a downstream call, a message handler), named
``module.function`` in its configuration, and the one-line error text its outcome records keep."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any


def load_callable(dotted: str, what: str = "handler") -> Callable[..., Any]:
    """The callable named ``package.module.function`` (in the function archive or a layer)."""
    module_name, _, attribute = dotted.rpartition(".")
    if not module_name:
        raise ValueError(f"{what} {dotted!r} must be 'module.function'")
    found = getattr(importlib.import_module(module_name), attribute, None)
    if not callable(found):
        raise ValueError(f"{what} {dotted!r} is not a callable")
    return found


def describe_error(exc: BaseException, limit: int = 1000) -> str:
    """``Type: message``, truncated so an error fits in an outcome record."""
    text = f"{type(exc).__name__}: {exc}"
    return text if len(text) <= limit else text[: limit - 3] + "..."
