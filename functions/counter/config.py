"""What the counter handler receives from ``AtomicCounter`` (see :mod:`functions.common.config`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from functions.common.config import HandoffConfig


@dataclass(frozen=True, kw_only=True)
class CounterConfig(HandoffConfig):
    """table_name: the counters table. max_increment: the largest ``increment`` one request may add."""

    VARIABLE: ClassVar[str] = "COUNTER_CONFIG"

    table_name: str
    max_increment: int = 1_000_000

    def __post_init__(self) -> None:
        if self.max_increment < 1:
            raise ValueError(f"max_increment must be at least 1, got {self.max_increment}")
