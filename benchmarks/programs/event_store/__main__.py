"""An event store for the append and load measurements, and the CQRS example for projection lag."""

import pulumi

from components.event_store import BankAccounts, EventStore

pulumi.export("store", EventStore("bench").outputs)
pulumi.export("cqrs", BankAccounts("bench-accounts").outputs)
