"""What the bank-accounts CQRS example's functions receive from ``BankAccounts`` (see
:mod:`functions.common.config`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from functions.common.config import HandoffConfig


@dataclass(frozen=True, kw_only=True)
class AccountsConfig(HandoffConfig):
    """events_table / namespace: the event store. read_model_table: the accounts read model and the
    projection's checkpoint. dlq_url: where the projector parks an event it cannot apply, with the reason.
    snapshot_every: the command side snapshots an account after replaying this many events.
    max_wait_seconds: how long a query waits for ``min_version`` before answering that it is behind.
    max_amount: the largest deposit or withdrawal, in cents."""

    VARIABLE: ClassVar[str] = "EVENT_STORE_CONFIG"

    events_table: str
    namespace: str = ""
    read_model_table: str = ""
    dlq_url: str = ""
    snapshot_every: int = 50
    max_wait_seconds: float = 2.0
    max_amount: int = 10**12
