"""The example domain: bank accounts that can never be overdrawn, as events.

Events (JSON): ``AccountOpened {"owner"}``, ``Deposited {"amount"}``, ``Withdrawn {"amount"}``, amounts in
cents. :func:`apply` folds them into an :class:`Account`; the commands decide against the current
state and return the events to append, or refuse.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

from functions.common.errors import Conflict
from functions.event_store.store import NewEvent, RecordedEvent

TOPICS = ("AccountOpened", "Deposited", "Withdrawn")


class InsufficientFunds(Conflict):
    """The withdrawal would overdraw the account; nothing was appended."""

    code = "insufficient_funds"


@dataclass(frozen=True)
class Account:
    owner: str = ""
    balance: int = 0
    opened: bool = False


def apply(account: Account, event: RecordedEvent) -> Account:
    """The account after ``event`` (unknown topics and malformed data raise ``ValueError``)."""
    data = json.loads(event.state)
    if event.topic == "AccountOpened":
        return Account(owner=str(data["owner"]), balance=0, opened=True)
    amount = data["amount"]
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise ValueError(f"{event.topic} needs a positive integer amount, not {amount!r}")
    if event.topic == "Deposited":
        return Account(account.owner, account.balance + amount, account.opened)
    if event.topic == "Withdrawn":
        return Account(account.owner, account.balance - amount, account.opened)
    raise ValueError(f"unknown event type {event.topic!r}")


def encode(account: Account) -> bytes:
    return json.dumps(asdict(account)).encode()


def decode(data: bytes) -> Account:
    return Account(**json.loads(data))


def opened(account_id: str, owner: str) -> NewEvent:
    return NewEvent(account_id, 1, "AccountOpened", json.dumps({"owner": owner}).encode())


def deposited(account_id: str, version: int, amount: int) -> NewEvent:
    return NewEvent(account_id, version + 1, "Deposited", json.dumps({"amount": amount}).encode())


def withdrawn(account_id: str, version: int, account: Account, amount: int) -> NewEvent:
    if amount > account.balance:
        raise InsufficientFunds(f"withdrawing {amount} would overdraw the account (balance {account.balance}); "
                                "nothing was appended")
    return NewEvent(account_id, version + 1, "Withdrawn", json.dumps({"amount": amount}).encode())
