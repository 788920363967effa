"""Checks for component arguments, written once: each failure is a ``ValueError`` naming the
argument (``AtomicCounterArgs.max_increment must be at least 1, got 0``), raised from the Args
dataclass's ``__post_init__``, before any resource is declared."""

from __future__ import annotations

import re
from collections.abc import Collection
from typing import Any

STAGE_NAME = re.compile(r"^[A-Za-z0-9_-]{1,128}$")


def fail(owner: object, field: str, requirement: str) -> None:
    raise ValueError(f"{type(owner).__name__}.{field} {requirement}, got {getattr(owner, field)!r}")


def check(condition: bool, owner: object, field: str, requirement: str) -> None:
    """Raise ``ValueError("<Args>.<field> <requirement>, got <value>")`` unless ``condition``."""
    if not condition:
        fail(owner, field, requirement)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def integer(owner: object, field: str, low: int | None = None, high: int | None = None,
            optional: bool = False) -> None:
    """``owner.field`` is an integer in ``low..high`` (either bound may be open); ``None`` if optional."""
    value = getattr(owner, field)
    if value is None and optional:
        return
    if low is not None and high is not None:
        requirement = f"must be an integer in {low}..{high}"
    elif low is not None:
        requirement = f"must be an integer of at least {low}"
    elif high is not None:
        requirement = f"must be an integer of at most {high}"
    else:
        requirement = "must be an integer"
    check(_is_int(value) and (low is None or value >= low) and (high is None or value <= high),
          owner, field, requirement)


def number(owner: object, field: str, low: float | None = None, high: float | None = None,
           optional: bool = False) -> None:
    """``owner.field`` is a number (int or float) in ``low..high``; ``None`` if optional."""
    value = getattr(owner, field)
    if value is None and optional:
        return
    ok = isinstance(value, int | float) and not isinstance(value, bool)
    ok = ok and (low is None or value >= low) and (high is None or value <= high)
    check(ok, owner, field, f"must be a number in {low if low is not None else '-inf'}.."
                            f"{high if high is not None else 'inf'}")


def one_of(owner: object, field: str, allowed: Collection[Any]) -> None:
    check(getattr(owner, field) in allowed, owner, field, f"must be one of {', '.join(map(repr, allowed))}")


def stage_name(owner: object, field: str = "stage_name") -> None:
    value = getattr(owner, field)
    check(isinstance(value, str) and bool(STAGE_NAME.match(value)), owner, field,
          "must be 1-128 letters, digits, '_' or '-' (an API Gateway stage name)")


def non_empty(owner: object, field: str) -> None:
    value = getattr(owner, field)
    check(bool(value) and not isinstance(value, str | bytes) or (isinstance(value, str) and bool(value.strip())),
          owner, field, "must not be empty")


def unique(owner: object, field: str, names: list[str]) -> None:
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValueError(f"{type(owner).__name__}.{field} must have unique names (repeated: {', '.join(duplicates)})")


def names(owner: object, field: str, pattern: re.Pattern[str], rule: str, what: str) -> None:
    """``owner.field`` lists at least one ``what``, each a string matching ``pattern`` (``rule`` says how),
    none twice."""
    value = getattr(owner, field)
    check(bool(value) and not isinstance(value, str), owner, field, f"must list at least one {what}")
    for name in value:
        check(isinstance(name, str) and bool(pattern.match(name)), owner, field, f"must be {rule} ({what} {name!r})")
    unique(owner, field, list(value))
