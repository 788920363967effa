"""The pure rules of the sequence generator, shared by the REST handler and the in-process client:
request validation, idempotency fingerprints, the 38-digit ceiling, backoff. (Configuration is in
:mod:`functions.sequence.config`, refusals in :mod:`functions.sequence.exceptions`.)

Nothing here talks to AWS, so every rule is unit-tested without an emulator.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from functions.common.validation import InvalidInput, dynamodb_item, positive_int
from functions.sequence.config import MAX_VALUE, ItemsTarget, SequenceSettings
from functions.sequence.exceptions import SequenceExhausted

_KEY_PATTERN = re.compile(r"^[\x21-\x7e]{1,128}$")


@dataclass(frozen=True)
class IdRange:
    """The ids one request took: ``first``..``last`` inclusive. ``replayed``: returned from an
    idempotency record rather than newly issued."""

    sequence: str
    first: int
    last: int
    replayed: bool = False

    @property
    def count(self) -> int:
        return self.last - self.first + 1

    def __iter__(self) -> Iterator[int]:
        return iter(range(self.first, self.last + 1))

    def to_dict(self) -> dict[str, Any]:
        return {"sequence": self.sequence, "first": self.first, "last": self.last, "count": self.count,
                "replayed": self.replayed}


@dataclass(frozen=True)
class NextRequest:
    """A validated request for ids: how many, the item to insert (gap-free), the idempotency key."""

    count: int
    item: dict[str, Any] | None = None
    idempotency_key: str | None = None
    fingerprint: str = field(default="", compare=False)


def parse_request(
    settings: SequenceSettings, body: Mapping[str, Any], idempotency_key: str | None, max_count: int
) -> NextRequest:
    """Check a request against its sequence's mode before anything is written."""
    unknown = sorted(set(body) - {"count", "item"})
    if unknown:
        raise InvalidInput(f"unknown field(s) {', '.join(map(repr, unknown))}; expected 'count' and/or 'item'")
    key = validate_idempotency_key(idempotency_key)
    if settings.mode == "gap-free":
        if "count" in body:
            positive_int(dict(body), "count", maximum=1)  # a wrong type or value gets its own message
        if "item" not in body:
            raise InvalidInput(f"gap-free sequence {settings.name!r} issues an id only with the 'item' to insert")
        item = validate_item(body["item"], settings.items)
        return NextRequest(1, item, key, fingerprint(1, item))
    if "item" in body:
        raise InvalidInput(f"'item' is accepted only by gap-free sequences; {settings.name!r} is {settings.mode}")
    count = positive_int(dict(body), "count", default=min(settings.default_count, max_count), maximum=max_count)
    return NextRequest(count, None, key, fingerprint(count, None))


def validate_idempotency_key(key: str | None) -> str | None:
    if key is None:
        return None
    if not _KEY_PATTERN.match(key):
        raise InvalidInput("the idempotency key must be 1-128 visible ASCII characters")
    return key


def validate_item(item: Any, target: ItemsTarget | None) -> dict[str, Any]:
    """The caller's item: a JSON object carrying the items table's keys and not the id attribute."""
    if target is None:
        raise InvalidInput("this sequence has no items table")
    if not isinstance(item, dict):
        raise InvalidInput(f"'item' must be a JSON object, got {type(item).__name__}")
    if target.id_attribute in item:
        raise InvalidInput(f"'item' must not set {target.id_attribute!r}: the sequence assigns it")
    for key in target.key_attributes:
        if key == target.id_attribute:
            continue
        value = item.get(key)
        if isinstance(value, bool) or not (isinstance(value, int) or (isinstance(value, str) and value)):
            raise InvalidInput(f"'item' needs the key attribute {key!r} as a non-empty string or an integer")
    dynamodb_item(item, target.key_attributes)
    return item


def fingerprint(count: int, item: Mapping[str, Any] | None) -> str:
    """What a retried request must repeat for its idempotency key to replay the stored ids."""
    canonical = json.dumps({"count": count, "item": item}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def key_record_id(sequence: str, key: str) -> str:
    """Idempotency keys are scoped to a sequence ('#' never occurs in a sequence name)."""
    return f"{sequence}#{key}"


def check_fits(settings: SequenceSettings, last_issued: int | None, count: int) -> int:
    """The last id after taking ``count`` more; refuses to pass the 38-digit ceiling."""
    base = settings.start - 1 if last_issued is None else last_issued
    last = base + count
    if last > MAX_VALUE:
        raise SequenceExhausted(
            f"sequence {settings.name!r} is exhausted: {count} more id(s) after {base} would exceed {MAX_VALUE}"
        )
    return last


def backoff_delay(attempt: int, rand: Callable[[], float], base: float = 0.005, cap: float = 0.25) -> float:
    """Full-jitter exponential backoff: a random delay in [0, min(cap, base * 2**attempt))."""
    return rand() * min(cap, base * 2 ** min(attempt, 16))
