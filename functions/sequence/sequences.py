"""The pure rules of the sequence generator, shared by the REST handler, the in-process client and
the Pulumi component: configuration, request validation, idempotency fingerprints, backoff.

Nothing here talks to AWS, so every rule is unit-tested without an emulator.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from functions.common.validation import NAME_PATTERN, InvalidInput, positive_int, validate_name

Mode = Literal["atomic", "gap-free", "block"]
MODES: tuple[str, ...] = ("atomic", "gap-free", "block")
MAX_VALUE = 10**38 - 1
"""The largest id: DynamoDB numbers carry at most 38 significant digits."""

_FAMILY_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}\*$")
_KEY_PATTERN = re.compile(r"^[\x21-\x7e]{1,128}$")


class SequenceError(Exception):
    """A request the generator refuses; the message is safe to return to the caller."""


class UnknownSequence(SequenceError):
    """The name matches no declared sequence and auto-create is off."""


class ItemExists(SequenceError):
    """Gap-free mode: an item with the same key is already stored; no number was consumed."""


class SequenceExhausted(SequenceError):
    """The next id would exceed DynamoDB's 38 significant digits."""


class IdempotencyKeyReused(SequenceError):
    """The idempotency key was already used for a different request."""


class Contention(SequenceError):
    """Gap-free mode: the counter kept moving under us for every attempt; retrying later succeeds."""


@dataclass(frozen=True)
class ItemsTarget:
    """Where a gap-free sequence inserts the caller's item.

    table: the items table name. key_attributes: its key attribute names, hash key first.
    id_attribute: the attribute that receives the id.
    """

    table: str
    key_attributes: tuple[str, ...] = ("pk",)
    id_attribute: str = "id"


@dataclass(frozen=True)
class SequenceSettings:
    """One declared sequence, or a family of them when ``name`` ends with ``*`` (``"invoice-*"``).

    mode: ``atomic`` (one UpdateItem per request), ``gap-free`` (counter + item in one transaction),
    ``block`` (requests lease ``block_size`` ids at once). start: the first id, used when the counter
    is created. items: where gap-free ids go.
    """

    name: str
    mode: Mode = "atomic"
    start: int = 1
    block_size: int = 100
    items: ItemsTarget | None = None

    def __post_init__(self) -> None:
        validate_settings(self)

    @property
    def is_family(self) -> bool:
        return self.name.endswith("*")

    def matches(self, name: str) -> bool:
        return name.startswith(self.name[:-1]) if self.is_family else name == self.name

    @property
    def default_count(self) -> int:
        return self.block_size if self.mode == "block" else 1

    def for_name(self, name: str) -> SequenceSettings:
        """These settings applied to one concrete sequence name."""
        return SequenceSettings(name, self.mode, self.start, self.block_size, self.items)


def validate_settings(settings: SequenceSettings) -> None:
    """Refuse a configuration that could not work, naming the sequence and the problem."""
    where = f"sequence {settings.name!r}"
    if not (NAME_PATTERN.match(settings.name) or _FAMILY_PATTERN.match(settings.name)):
        raise ValueError(f"{where}: a name is 1-64 letters, digits, '_', '.', '-' (a family ends with '*')")
    if settings.mode not in MODES:
        raise ValueError(f"{where}: mode must be one of {', '.join(MODES)}, got {settings.mode!r}")
    if isinstance(settings.start, bool) or not isinstance(settings.start, int) or not 0 <= settings.start <= MAX_VALUE:
        raise ValueError(f"{where}: start must be an integer in 0..{MAX_VALUE}")
    if isinstance(settings.block_size, bool) or not isinstance(settings.block_size, int) or settings.block_size < 1:
        raise ValueError(f"{where}: block_size must be a positive integer")
    if settings.mode == "gap-free" and settings.items is None:
        raise ValueError(f"{where}: a gap-free sequence needs an items table to insert into")
    if settings.items is not None and not settings.items.key_attributes:
        raise ValueError(f"{where}: the items table needs its key attribute names")


@dataclass(frozen=True)
class GeneratorConfig:
    """Everything the handler and the in-process client need, serialised as one JSON document.

    counters_table: one item per sequence (``name`` -> ``value``, the last id issued).
    keys_table: idempotency records (``key`` -> issued ids), expiring after ``key_ttl_seconds``.
    auto_create: undeclared names become atomic sequences starting at 1; otherwise they are refused.
    max_count: the most ids one request may take. max_attempts: gap-free retries on contention.
    max_body_bytes: the largest HTTP body accepted.
    """

    counters_table: str
    keys_table: str
    sequences: tuple[SequenceSettings, ...] = ()
    auto_create: bool = False
    max_count: int = 1000
    key_ttl_seconds: int = 24 * 3600
    max_attempts: int = 40
    max_body_bytes: int = 16 * 1024

    def resolve(self, name: str) -> SequenceSettings:
        """The settings for ``name``: an exact declaration, else the longest matching family."""
        validate_name(name, "sequence name")
        exact = [s for s in self.sequences if not s.is_family and s.matches(name)]
        families = sorted((s for s in self.sequences if s.is_family and s.matches(name)), key=lambda s: -len(s.name))
        for settings in exact + families:
            return settings.for_name(name)
        if self.auto_create:
            return SequenceSettings(name)
        raise UnknownSequence(f"unknown sequence {name!r}: it is not declared and auto-create is off")

    def to_json(self) -> str:
        return json.dumps(config_document(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str | Mapping[str, Any]) -> GeneratorConfig:
        data = json.loads(text) if isinstance(text, str) else dict(text)
        sequences = tuple(
            SequenceSettings(
                name=s["name"],
                mode=s.get("mode", "atomic"),
                start=int(s.get("start", 1)),
                block_size=int(s.get("block_size", 100)),
                items=ItemsTarget(
                    table=s["items"]["table"],
                    key_attributes=tuple(s["items"].get("key_attributes", ("pk",))),
                    id_attribute=s["items"].get("id_attribute", "id"),
                )
                if s.get("items")
                else None,
            )
            for s in data.get("sequences", [])
        )
        options = {k: data[k] for k in ("auto_create", "max_count", "key_ttl_seconds", "max_attempts",
                                         "max_body_bytes") if k in data}
        return cls(data["counters_table"], data["keys_table"], sequences, **options)


def config_document(config: GeneratorConfig) -> dict[str, Any]:
    """The JSON-ready form of a configuration (the component renders the same shape)."""
    return {
        "counters_table": config.counters_table,
        "keys_table": config.keys_table,
        "auto_create": config.auto_create,
        "max_count": config.max_count,
        "key_ttl_seconds": config.key_ttl_seconds,
        "max_attempts": config.max_attempts,
        "max_body_bytes": config.max_body_bytes,
        "sequences": [settings_document(s) for s in config.sequences],
    }


def settings_document(settings: SequenceSettings, items_table: Any = None) -> dict[str, Any]:
    """One sequence's JSON-ready form; ``items_table`` overrides the table name (the component passes
    a deploy-time Output there)."""
    document: dict[str, Any] = {
        "name": settings.name, "mode": settings.mode, "start": settings.start, "block_size": settings.block_size,
    }
    if settings.items is not None:
        document["items"] = {
            "table": items_table if items_table is not None else settings.items.table,
            "key_attributes": list(settings.items.key_attributes),
            "id_attribute": settings.items.id_attribute,
        }
    return document


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
