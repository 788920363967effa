"""Event store: versioned event streams and a gap-free notification log on one DynamoDB table; and
CQRS on top of it, as the bank-accounts example domain."""

from components.event_store.bank_accounts import BankAccounts, BankAccountsArgs
from components.event_store.event_store import EventStore, EventStoreArgs

__all__ = ["BankAccounts", "BankAccountsArgs", "EventStore", "EventStoreArgs"]
