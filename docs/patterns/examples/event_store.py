"""An event store in your own stack. Your functions append and read through the library
(functions.event_store.store.EventLog) or run an eventsourcing application on it by configuration:
give them store.statements() and store.environment() (PERSISTENCE_MODULE, EVENT_STORE_TABLE...)."""

import pulumi

from components.event_store import EventStore, EventStoreArgs

store = EventStore("orders", EventStoreArgs(namespace="orders/"))
pulumi.export("orders_store", store.outputs)  # events_table_name, events_table_arn, events_stream_arn
