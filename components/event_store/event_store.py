"""``EventStore``: the DynamoDB table behind :class:`functions.event_store.store.EventLog` and the
``eventsourcing`` persistence module (:mod:`functions.event_store.persistence`).

The table is keyed ``pk`` (string) and ``sk`` (number), with a ``NEW_IMAGE`` stream for consumers that
follow the log as it is written. The store itself is a library that runs in your own functions:
give them :meth:`EventStore.statements` and :meth:`EventStore.environment`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi

from components.core import PatternComponent, iam, on_demand_table, validation

READ = ["GetItem", "Query"]
WRITE = ["UpdateItem", "PutItem"]  # TransactWriteItems is authorised per action it contains


@dataclass(frozen=True, kw_only=True)
class EventStoreArgs:
    """namespace: a key prefix for every item, so several stores (applications) share one table.
    point_in_time_recovery: keep 35 days of continuous backups (an event store is the system of record)."""

    namespace: str = ""
    point_in_time_recovery: bool = True

    def __post_init__(self) -> None:
        validation.check(isinstance(self.namespace, str) and "#" not in self.namespace
                         and len(self.namespace) <= 64, self, "namespace", "must be a string of at most 64 "
                         "characters without '#'")


class EventStore(PatternComponent):
    """The events table and the grants and settings a function needs to use it.

    Outputs: ``events_table_name``, ``events_table_arn``, ``events_stream_arn``.
    """

    TYPE = "serverless-patterns:event_store:EventStore"

    def __init__(self, name: str, args: EventStoreArgs | None = None, opts: pulumi.ResourceOptions | None = None):
        args = args or EventStoreArgs()
        super().__init__(name, opts)
        self.args = args
        self.table = on_demand_table(f"{name}-events", "pk", self, range_key="sk", numeric_range_key=True,
                                     ttl_attribute="expires",  # client tokens of appends
                                     stream_view_type="NEW_IMAGE",
                                     point_in_time_recovery=args.point_in_time_recovery)
        self._publish({"events_table_name": self.table.name, "events_table_arn": self.table.arn,
                       "events_stream_arn": self.table.stream_arn})

    def statements(self, write: bool = True) -> list[dict[str, Any]]:
        """IAM statements for a function that reads (and, with ``write``, appends to) the store."""
        return [iam.dynamodb_statement(self.table.arn, READ + (WRITE if write else []))]

    def environment(self) -> dict[str, pulumi.Input[str]]:
        """The settings :mod:`functions.event_store.persistence` reads (``PERSISTENCE_MODULE`` included)."""
        return {"PERSISTENCE_MODULE": "functions.event_store.persistence", "EVENT_STORE_TABLE": self.table.name,
                "EVENT_STORE_NAMESPACE": self.args.namespace}
