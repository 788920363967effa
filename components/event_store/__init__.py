"""Event store: versioned event streams and a gap-free notification log on one DynamoDB table."""

from components.event_store.event_store import EventStore, EventStoreArgs

__all__ = ["EventStore", "EventStoreArgs"]
