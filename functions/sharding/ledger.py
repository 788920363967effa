"""The per-key ledger that lets a key change shard without reordering: the rules, and an in-memory
ledger that applies them (the DynamoDB one, :class:`functions.sharding.store.DynamoLedger`, applies
the same rules as condition expressions).

Each key has a state: the shard its messages currently go to, ``seq`` (messages assigned so far:
the next one gets ``seq + 1``), ``settled`` (of those, how many its shard has finished: processed,
recognised as a duplicate, or dead-lettered) and the membership version it was last routed under.

The fence (:func:`decide`): a message goes to the shard the current membership names, *unless*
the key still has messages in flight (``settled < seq``) on another shard; then it follows them to
that shard. So a key moves only at an instant when its old shard holds none of its messages, and
SQS FIFO (message group = key) keeps the order inside each shard: no message of a key is ever
processed before one assigned earlier. A router holding an older membership than the key was
routed with is told to reload (``stale``), so keys never flap back and forth during a change.
"""

from __future__ import annotations

import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Literal

from functions.sharding.exceptions import Draining, KeyContention, StaleMembership

Status = Literal["processed", "duplicate", "dead_lettered"]
Route = Literal["assign", "hold", "replay", "stale"]
MAX_ASSIGN_ATTEMPTS = 8


@dataclass(frozen=True)
class KeyState:
    """A key's routing state (see the module doc)."""

    key: str
    shard: str
    seq: int
    settled: int
    version: int
    last_id: str = ""

    @property
    def in_flight(self) -> int:
        """Messages assigned to ``shard`` and not finished yet."""
        return self.seq - self.settled


@dataclass(frozen=True)
class Assignment:
    """Where one message goes: its shard and its place in the key's order (``seq``).

    moved: the key changed shard with this message. held: the membership names another shard, but
    the key waits on this one until its messages there are done. replayed: the same message id was
    the key's last one; it gets the same ``seq`` again (a retried send).
    """

    key: str
    shard: str
    seq: int
    version: int
    moved: bool = False
    held: bool = False
    replayed: bool = False


@dataclass(frozen=True)
class Delivery:
    """What became of one assigned message (``status`` empty: not finished; ``failures`` so far)."""

    key: str
    seq: int
    message_id: str = ""
    status: str = ""
    shard: str = ""
    version: int = 0
    position: int = 0
    failures: int = 0
    error: str = ""
    at: int = 0


def decide(state: KeyState | None, target: str, version: int, message_id: str) -> Route:
    """The fence. ``assign``: to ``target``; ``hold``: to ``state.shard`` (in flight there);
    ``replay``: the same message again; ``stale``: the router must reload its membership."""
    if state is None:
        return "assign"
    if message_id and state.last_id == message_id:
        return "replay"
    if state.version > version:
        return "stale"
    if state.shard == target or state.in_flight == 0:
        return "assign"
    return "hold"


class Ledger(ABC):
    """The operations routers and workers need; each is atomic for its key."""

    @abstractmethod
    def assign(self, key: str, target: str, version: int, message_id: str, hold: bool = True) -> Assignment:
        """Give the next message of ``key`` its shard and ``seq`` (:func:`decide`). Raises
        :class:`StaleMembership` when the key was routed under a newer membership, and
        :class:`Draining` (assigning nothing) instead of holding when ``hold`` is false."""

    @abstractmethod
    def state(self, key: str) -> KeyState | None: ...

    @abstractmethod
    def delivery(self, key: str, seq: int) -> Delivery | None: ...

    @abstractmethod
    def seen(self, key: str, message_id: str) -> int | None:
        """The ``seq`` under which ``message_id`` was processed for ``key``, if it was."""

    @abstractmethod
    def record_failure(self, key: str, seq: int, error: str) -> int:
        """Count one failed attempt at message ``seq``; returns the failures so far."""

    @abstractmethod
    def settle(self, key: str, seq: int, message_id: str, status: Status, shard: str, version: int,
               error: str = "") -> Delivery | None:
        """Finish message ``seq``: record its outcome and its position in the key's processing order,
        and count it settled. Returns None when it was already settled (a redelivery)."""


class MemoryLedger(Ledger):
    """The ledger in a dict under a lock: the rules without DynamoDB, for tests and simulations."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._lock = threading.Lock()
        self._states: dict[str, KeyState] = {}
        self._deliveries: dict[tuple[str, int], Delivery] = {}
        self._ids: dict[tuple[str, str], int] = {}
        self._clock = clock

    def assign(self, key: str, target: str, version: int, message_id: str, hold: bool = True) -> Assignment:
        with self._lock:
            state = self._states.get(key)
            route = decide(state, target, version, message_id)
            if route == "hold" and not hold:
                assert state is not None
                raise Draining(state.shard, state.in_flight)
            if route == "stale":
                assert state is not None
                raise StaleMembership(state.version)
            if route == "replay":
                assert state is not None
                return Assignment(key, state.shard, state.seq, state.version, replayed=True)
            if state is None:
                state = KeyState(key, target, 0, 0, version)
            shard = target if route == "assign" else state.shard
            self._states[key] = KeyState(key, shard, state.seq + 1, state.settled, version, message_id)
            return Assignment(key, shard, state.seq + 1, version, moved=shard != state.shard and state.seq > 0,
                              held=route == "hold")

    def state(self, key: str) -> KeyState | None:
        with self._lock:
            return self._states.get(key)

    def delivery(self, key: str, seq: int) -> Delivery | None:
        with self._lock:
            return self._deliveries.get((key, seq))

    def seen(self, key: str, message_id: str) -> int | None:
        with self._lock:
            return self._ids.get((key, message_id))

    def record_failure(self, key: str, seq: int, error: str) -> int:
        with self._lock:
            current = self._deliveries.get((key, seq)) or Delivery(key, seq)
            self._deliveries[(key, seq)] = replace(current, failures=current.failures + 1, error=error)
            return current.failures + 1

    def settle(self, key: str, seq: int, message_id: str, status: Status, shard: str, version: int,
               error: str = "") -> Delivery | None:
        with self._lock:
            current = self._deliveries.get((key, seq)) or Delivery(key, seq)
            if current.status:
                return None
            state = self._states[key]
            if status == "processed" and (key, message_id) in self._ids:
                status = "duplicate"
            settled = Delivery(key, seq, message_id, status, shard, version, state.settled + 1, current.failures,
                               error or current.error, int(self._clock() * 1000))
            self._deliveries[(key, seq)] = settled
            if status == "processed":
                self._ids[(key, message_id)] = seq
            self._states[key] = replace(state, settled=state.settled + 1)
            return settled

    def deliveries(self, key: str) -> list[Delivery]:
        """Every settled delivery of ``key``, in processing order."""
        with self._lock:
            found = [d for (k, _), d in self._deliveries.items() if k == key and d.status]
        return sorted(found, key=lambda d: d.position)


def assign_with_retries(ledger: Ledger, key: str, target_of: Callable[[bool], tuple[str, int]],
                        message_id: str, hold: bool = True) -> Assignment:
    """Assign, reloading the membership when the key is ahead of it: ``target_of(refresh)`` gives
    ``(target shard, membership version)`` from the cached (``False``) or reloaded (``True``) one."""
    refresh = False
    for _ in range(MAX_ASSIGN_ATTEMPTS):
        target, version = target_of(refresh)
        try:
            return ledger.assign(key, target, version, message_id, hold)
        except StaleMembership:
            refresh = True
    raise KeyContention(f"key {key!r} was routed under a newer membership than this router can read; retry later")
