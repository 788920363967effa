"""The router: give each message its shard and its place in its key's order, then send it.

Used in-process by the Python client (:mod:`functions.sharding.client`) and behind ``POST
/messages`` (:mod:`functions.sharding.api`), with the same code: the membership (cached for a few
seconds, reloaded when a key is ahead of it), the ledger's fence (:mod:`functions.sharding.ledger`),
and a sender that puts the envelope on the shard's FIFO queue with the key as its message group.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from functions.sharding.exceptions import Draining
from functions.sharding.ledger import Assignment, Ledger, assign_with_retries
from functions.sharding.membership import Membership
from functions.sharding.messages import Envelope, validate_key, validate_message_id

Sender = Callable[[Envelope], None]


class CachedMembership:
    """The current membership from ``load``, reused for ``ttl_seconds`` (0: read every time)."""

    def __init__(self, load: Callable[[], Membership], ttl_seconds: float = 5.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._load, self._ttl, self._clock = load, ttl_seconds, clock
        self._lock = threading.Lock()
        self._held: tuple[Membership, float] | None = None

    def current(self, refresh: bool = False) -> Membership:
        with self._lock:
            if refresh or self._held is None or self._clock() - self._held[1] >= self._ttl:
                self._held = (self._load(), self._clock())
            return self._held[0]


@dataclass(frozen=True)
class Sent:
    """What a send did: the message id, its shard and ``seq``, the membership version used."""

    id: str
    assignment: Assignment

    def to_document(self) -> dict[str, Any]:
        a = self.assignment
        return {"id": self.id, "key": a.key, "shard": a.shard, "seq": a.seq, "membership_version": a.version,
                "held": a.held, "moved": a.moved, "replayed": a.replayed}


class ShardRouter:
    """Routes keyed messages: :meth:`send` validates, assigns (the fence) and sends."""

    def __init__(self, memberships: CachedMembership, ledger: Ledger, sender: Sender,
                 clock: Callable[[], float] = time.time, drain_wait_seconds: float = 0.0,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.memberships, self.ledger, self.sender, self.clock = memberships, ledger, sender, clock
        self.drain_wait, self.sleep = drain_wait_seconds, sleep

    def route(self, key: str, message_id: str) -> Assignment:
        """Where the next message of ``key`` goes (assigned in the ledger; nothing sent).

        A key whose shard changed while its old shard still holds some of its messages: the router
        waits up to ``drain_wait_seconds`` for that shard to finish them (the key's producer pauses,
        so the old shard catches up), then sends to the new shard; still not drained, it sends to the
        old one behind the earlier messages (the key moves with a later message).
        """

        def target(refresh: bool) -> tuple[str, int]:
            membership = self.memberships.current(refresh)
            return membership.shard_for(key), membership.version

        deadline = time.monotonic() + self.drain_wait
        while self.drain_wait > 0:
            try:
                return assign_with_retries(self.ledger, key, target, message_id, hold=False)
            except Draining:
                if time.monotonic() >= deadline:
                    break
                self.sleep(0.1)
        return assign_with_retries(self.ledger, key, target, message_id)

    def send(self, key: str, body: Any, message_id: str | None = None) -> Sent:
        """Send ``body`` under ``key``; a retry with the same ``message_id`` is recognised (same ``seq``)."""
        key = validate_key(key)
        message_id = validate_message_id(message_id) if message_id is not None else uuid.uuid4().hex
        assignment = self.route(key, message_id)
        self.sender(Envelope(key, assignment.seq, message_id, assignment.version, assignment.shard, body,
                             int(self.clock() * 1000)))
        return Sent(message_id, assignment)
