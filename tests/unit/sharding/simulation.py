"""A discrete-event model of the sharded router with the production routing and worker code
(:class:`ShardRouter`, :class:`ShardWorker`, the ledger's fence) and in-memory FIFO queues: producers,
routers with stale membership caches, per-shard workers and reshards interleave in a random order
chosen by a seed, and every key's processing order is recorded."""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from functions.sharding.ledger import Assignment, KeyState, Ledger, MemoryLedger
from functions.sharding.membership import Membership, MembershipHistory
from functions.sharding.messages import Envelope
from functions.sharding.processing import ShardMessage, ShardWorker
from functions.sharding.router import CachedMembership, ShardRouter


class UnfencedLedger(MemoryLedger):
    """A ledger without the fence: every message goes where the membership says (what a plain
    consistent-hash router does). The simulation must catch the reordering it causes."""

    def assign(self, key: str, target: str, version: int, message_id: str, hold: bool = True) -> Assignment:
        with self._lock:
            state = self._states.get(key) or KeyState(key, target, 0, 0, version)
            self._states[key] = KeyState(key, target, state.seq + 1, state.settled, version, message_id)
            return Assignment(key, target, state.seq + 1, version)


@dataclass
class Outcome:
    processed: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    shards_seen: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    held: int = 0
    dead_lettered: list[tuple[str, int]] = field(default_factory=list)

    def problems(self, sent: dict[str, int], poisoned: set[tuple[str, int]] = frozenset()) -> list[str]:  # type: ignore[assignment]
        found = []
        for key, count in sent.items():
            expected = [i for i in range(count) if (key, i) not in poisoned]
            if self.processed.get(key, []) != expected:
                found.append(f"{key}: processed {self.processed.get(key)} expected {expected}")
        return found


class Simulation:
    """Keys with ``messages`` each, ``routers`` routers, reshards at the given steps."""

    def __init__(self, seed: int, initial: Membership, changes: list[Membership], keys: int = 30,
                 messages: int = 6, routers: int = 3, ledger: Ledger | None = None,
                 poison: set[tuple[str, int]] | None = None, work_rate: float = 0.3) -> None:
        self.work_rate = work_rate  # below 1: the workers fall behind the producers, so queues hold backlogs
        self.rng = random.Random(seed)
        self.history = MembershipHistory(initial)
        self.changes = list(changes)
        self.ledger = ledger or MemoryLedger()
        self.keys = [f"k{n}" for n in range(keys)]
        self.messages = messages
        self.poison = poison or set()
        self.queues: dict[str, list[Envelope]] = defaultdict(list)
        self.outcome = Outcome()
        self.pending: dict[str, Envelope | None] = {}
        self.clocks = [0.0] * routers
        self.routers = [self._router(i) for i in range(routers)]
        shards = {s for m in [initial, *changes] for s in m.names}
        self.workers = {s: ShardWorker(s, self.ledger, self._handler(s), self._dead_letter, max_attempts=2)
                        for s in shards}
        self.next_index = dict.fromkeys(self.keys, 0)
        self.in_send: dict[str, Any] = {}

    def _router(self, index: int) -> ShardRouter:
        cache = CachedMembership(lambda: self.history.current, ttl_seconds=5, clock=lambda: self.clocks[index])
        return ShardRouter(cache, self.ledger, self._enqueue)

    def _enqueue(self, envelope: Envelope) -> None:
        self.pending[envelope.key] = envelope  # sent, but the send is delivered to SQS at a later step

    def _handler(self, shard: str):
        def handle(message: ShardMessage) -> None:
            index = int(message.id.rsplit("-", 1)[1])
            if (message.key, index) in self.poison:
                raise ValueError("poison")
            self.outcome.processed[message.key].append(index)
            self.outcome.shards_seen[message.key].append(shard)
        return handle

    def _dead_letter(self, envelope: Envelope, error: str) -> None:
        self.outcome.dead_lettered.append((envelope.key, int(envelope.id.rsplit("-", 1)[1])))

    def run(self, max_steps: int = 200_000) -> Outcome:
        total = len(self.keys) * self.messages
        change_at = sorted(self.rng.randrange(total // 5, total) for _ in self.changes)
        started = 0
        for _ in range(max_steps):
            if change_at and started >= change_at[0]:
                change_at.pop(0)
                following = self.changes.pop(0)
                self.history.publish(following, self.history.current.version)
            actions = []
            ready = [k for k in self.keys if k not in self.pending and self.next_index[k] < self.messages]
            if ready:
                actions.append("route")
            if self.pending:
                actions.append("deliver")
            if any(self.queues.values()) and self.rng.random() < self.work_rate:
                actions.append("work")
            actions.append("tick")
            if not ready and not self.pending and not any(self.queues.values()):
                return self.outcome
            action = self.rng.choice(actions)
            if action == "route":
                key = self.rng.choice(ready)
                index = self.next_index[key]
                router = self.rng.randrange(len(self.routers))
                sent = self.routers[router].send(key, {"n": index}, message_id=f"{key}-{index}")
                self.outcome.held += sent.assignment.held
                started += 1
            elif action == "deliver":
                key = self.rng.choice(sorted(self.pending))
                envelope = self.pending.pop(key)
                assert envelope is not None
                self.queues[envelope.shard].append(envelope)
                self.next_index[key] += 1  # acknowledged: the producer sends the key's next message
            elif action == "work":
                self._work(self.rng.choice([s for s, q in self.queues.items() if q]))
            else:
                self.clocks[self.rng.randrange(len(self.clocks))] += self.rng.random() * 3
        raise AssertionError("the simulation did not finish")

    def _work(self, shard: str) -> None:
        """A FIFO consumer: the head message of one message group (any group with messages)."""
        queue = self.queues[shard]
        heads: dict[str, int] = {}
        for position, envelope in enumerate(queue):
            heads.setdefault(envelope.key, position)
        position = self.rng.choice(sorted(heads.values()))
        envelope = queue[position]
        attempt = getattr(envelope, "_attempt", 0) + 1
        object.__setattr__(envelope, "_attempt", attempt)
        try:
            self.workers[shard].process(envelope, attempt)
        except ValueError:
            return  # retried: stays at the head of its group
        queue.pop(position)
