"""Atomic counter: named counters in DynamoDB, one ``UpdateItem ADD`` per request."""

from components.counter.atomic_counter import AtomicCounter, AtomicCounterArgs

__all__ = ["AtomicCounter", "AtomicCounterArgs"]
