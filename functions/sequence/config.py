"""The sequence generator's configuration: what ``SequenceGenerator`` hands its handler and what an
in-process :class:`~functions.sequence.client.SequenceClient` takes (the ``client_config`` output).
Pure: validated here, so a configuration that could not work fails at deploy time."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import ClassVar, Literal

from functions.common.config import HandoffConfig
from functions.common.validation import NAME_PATTERN, validate_name
from functions.sequence.exceptions import UnknownSequence

Mode = Literal["atomic", "gap-free", "block"]
MODES: tuple[str, ...] = ("atomic", "gap-free", "block")
MAX_VALUE = 10**38 - 1
"""The largest id: DynamoDB numbers carry at most 38 significant digits."""

_FAMILY_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}\*$")


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


@dataclass(frozen=True, kw_only=True)
class GeneratorConfig(HandoffConfig):
    """Everything the handler and the in-process client need, serialised as one JSON document.

    counters_table: one item per sequence (``name`` -> ``value``, the last id issued).
    keys_table: idempotency records (``key`` -> issued ids), expiring after ``key_ttl_seconds``.
    auto_create: undeclared names become atomic sequences starting at 1; otherwise they are refused.
    max_count: the most ids one request may take. max_attempts: gap-free retries on contention.
    max_body_bytes: the largest HTTP body accepted.
    """

    VARIABLE: ClassVar[str] = "SEQUENCE_CONFIG"

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
