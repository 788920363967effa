"""Input validation shared by handlers: bad input is refused before anything is written."""

from __future__ import annotations

import json
import re
from typing import Any

from functions.common.errors import InvalidInput

NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")

__all__ = ["NAME_PATTERN", "InvalidInput", "json_object", "positive_int", "validate_name"]


def validate_name(value: str | None, what: str = "name") -> str:
    """A resource-style name: 1-64 characters, letters, digits, '_', '.', '-', starting alphanumeric."""
    if not value or not NAME_PATTERN.match(value):
        raise InvalidInput(
            f"invalid {what} {value!r}: use 1-64 letters, digits, '_', '.' or '-', starting with a letter or digit"
        )
    return value


def json_object(body: str | bytes | None, max_bytes: int = 8192, required: bool = False) -> dict[str, Any]:
    """Parse a request body that must be a JSON object (or empty, unless ``required``)."""
    raw = body.encode() if isinstance(body, str) else (body or b"")
    if len(raw) > max_bytes:
        raise InvalidInput(f"body is {len(raw)} bytes; the maximum is {max_bytes}")
    if not raw.strip():
        if required:
            raise InvalidInput("body is empty; a JSON object is required")
        return {}
    try:
        parsed = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidInput(f"body is not valid JSON: {exc}") from None
    if not isinstance(parsed, dict):
        raise InvalidInput(f"body must be a JSON object, got {type(parsed).__name__}")
    return parsed


def positive_int(
    data: dict[str, Any], key: str, default: int | None = None, maximum: int | None = None
) -> int:
    """``data[key]`` as an integer in 1..maximum (booleans and floats refused)."""
    if key not in data:
        if default is None:
            raise InvalidInput(f"{key!r} is required")
        return default
    value = data[key]
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(f"{key!r} must be an integer, got {json.dumps(value)}")
    if value < 1:
        raise InvalidInput(f"{key!r} must be at least 1, got {value}")
    if maximum is not None and value > maximum:
        raise InvalidInput(f"{key!r} must be at most {maximum}, got {value}")
    return value
