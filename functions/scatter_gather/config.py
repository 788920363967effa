"""What the scatter-gather handlers receive from ``PubSubScatterGather`` / ``RecipientListScatterGather``,
and what a demonstration bank receives (see :mod:`functions.common.config`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal

from functions.common.config import HandoffConfig


@dataclass(frozen=True, kw_only=True)
class ScatterGatherConfig(HandoffConfig):
    """aggregates_table / event_bus: where aggregates are recorded and their completion published.
    mode: the variant. deadline_seconds / max_deadline_seconds: the default and largest deadline a
    request may ask for. registry_table: the providers. state_machine_arn: the deadline timer
    (publish-subscribe) or the broker (recipient list). topic_arn / reply_queue_url: where requests
    are published and replies go (publish-subscribe). dead_letter_queue_url: where replies that can
    never be recorded are parked.
    """

    VARIABLE: ClassVar[str] = "SCATTER_GATHER_CONFIG"

    aggregates_table: str
    event_bus: str
    mode: Literal["pubsub", "recipient-list"]
    deadline_seconds: int = 10
    max_deadline_seconds: int = 60
    registry_table: str | None = None
    state_machine_arn: str | None = None
    topic_arn: str | None = None
    reply_queue_url: str | None = None
    dead_letter_queue_url: str | None = None

    def __post_init__(self) -> None:
        if not 1 <= self.deadline_seconds <= self.max_deadline_seconds <= 3600:
            raise ValueError("need 1 <= deadline_seconds <= max_deadline_seconds <= 3600")


@dataclass(frozen=True, kw_only=True)
class BankConfig(HandoffConfig):
    """A demonstration bank: its id, base rate, how long it takes, and the failure it reports (if any)."""

    VARIABLE: ClassVar[str] = "BANK_CONFIG"

    bank_id: str
    base_rate: float
    delay_seconds: float = 0
    failure: str = ""
