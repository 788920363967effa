"""Input validation shared by handlers: bad input is refused before anything is written."""

from __future__ import annotations

import json
import math
import re
from decimal import Decimal
from typing import Any

from functions.common.errors import InvalidInput

NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")

__all__ = ["NAME_PATTERN", "InvalidInput", "dynamodb_item", "dynamodb_number", "json_object", "positive_int",
           "validate_name"]


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
    except RecursionError:
        raise InvalidInput("body is nested too deeply to parse") from None
    except ValueError as exc:  # not JSON, not UTF-8, or an integer too long to convert
        raise InvalidInput(f"body is not valid JSON: {str(exc)[:200]}") from None
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


# DynamoDB's limits (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ServiceQuotas.html):
# checked before a write, so an item it would refuse is a 400 naming the problem, never a failed call.
DYNAMODB_MAX_DEPTH = 32
DYNAMODB_MAX_ITEM_BYTES = 400 * 1024
DYNAMODB_KEY_BYTES = (2048, 1024)  # partition key, sort key
_DYNAMODB_DIGITS = 38


def dynamodb_number(value: Any, where: str) -> None:
    """A number DynamoDB stores: finite, 0 or 1e-130 <= |x| < 1e126, at most 38 significant digits."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidInput(f"{where} must be a number")
    if isinstance(value, float) and not math.isfinite(value):
        raise InvalidInput(f"{where} must be a finite number")
    if value == 0:
        return
    number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    if not Decimal("1e-130") <= abs(number) < Decimal("1e126"):
        raise InvalidInput(f"{where} is out of range: DynamoDB stores magnitudes from 1e-130 to below 1e126")
    digits = "".join(map(str, number.as_tuple().digits)).strip("0")  # normalize() would round to 28 digits
    if len(digits) > _DYNAMODB_DIGITS:
        raise InvalidInput(f"{where} has more than {_DYNAMODB_DIGITS} significant digits")


def dynamodb_item(item: dict[str, Any], key_attributes: tuple[str, ...] = (), what: str = "'item'") -> None:
    """Refuse, with the reason, an item DynamoDB would refuse: empty attribute names, nesting deeper
    than 32 levels, numbers it cannot hold, oversized keys or items."""
    _check_value(item, what, 0)
    for index, key in enumerate(key_attributes[:2]):
        value = item.get(key)
        if isinstance(value, str) and len(value.encode("utf-8")) > DYNAMODB_KEY_BYTES[index]:
            raise InvalidInput(f"{what}.{key} is {len(value.encode('utf-8'))} bytes; a key attribute takes at "
                               f"most {DYNAMODB_KEY_BYTES[index]}")
    size = len(json.dumps(item, separators=(",", ":")).encode("utf-8"))
    if size > DYNAMODB_MAX_ITEM_BYTES:
        raise InvalidInput(f"{what} is about {size} bytes; DynamoDB takes items up to {DYNAMODB_MAX_ITEM_BYTES}")


def _check_value(value: Any, where: str, depth: int) -> None:
    if depth > DYNAMODB_MAX_DEPTH:
        raise InvalidInput(f"{where} is nested more than {DYNAMODB_MAX_DEPTH} levels deep")
    if isinstance(value, dict):
        for name, child in value.items():
            if not isinstance(name, str) or not name:
                raise InvalidInput(f"{where} has an empty attribute name")
            _check_value(child, f"{where}.{name}"[:200], depth + 1)
    elif isinstance(value, list):
        for index, child in enumerate(value):
            _check_value(child, f"{where}[{index}]"[:200], depth + 1)
    elif isinstance(value, int | float) and not isinstance(value, bool):
        dynamodb_number(value, where)
