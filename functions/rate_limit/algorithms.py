"""The four limiting rules, pure: a limit's stored state, the time (integer microseconds) and a cost in,
a decision and the next state out. No AWS here: :mod:`functions.rate_limit.limiter` stores the state
in DynamoDB with one conditional write, :class:`MemoryLimiter` keeps it in a dict (tests, baselines).

The window rules follow the ``limits`` package (its ``MemoryStorage``), so decisions can be compared:

- ``token_bucket`` (GCRA): a theoretical arrival time ``tat``; each unit moves it ``T = period/limit``
  later; allowed while ``tat - now <= burst * T``. Smooth refill, bursts up to ``burst``.
- ``fixed_window``: a count and the window's end; a window opens at the first hit after the last one
  ended (``limits``' fixed window). Up to ``2 * limit`` around a window's end.
- ``sliding_log``: one entry per admitted unit, kept for ``period``; exact (``limits``' moving window).
- ``sliding_counter``: counts of the current and the previous epoch-aligned window, the previous one
  weighted by how much of it the sliding window still covers (``limits``' sliding window counter).

A refused request never consumes anything. (``limits``' fixed window does count a refused hit against
its window, which changes decisions only when costs differ; see the differential tests.)
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from functions.rate_limit.config import Limit

State = dict[str, Any]
"""One limit's stored attributes (integers, and the log's list of ``[time, units]`` pairs)."""


@dataclass(frozen=True)
class Step:
    """One limit's verdict on one request.

    case: which stored transition the write makes (see :func:`decide`); allowed: whether this limit
    admits the cost; remaining: units left after it (before it, when refused); reset_us: when the limit
    is whole again (window end, bucket full); retry_after_us: the earliest wait after which the same
    cost is admitted, assuming no other traffic (0 when allowed); new_state: what to store if allowed.
    """

    limit: Limit
    case: str
    allowed: bool
    remaining: int
    reset_us: int
    retry_after_us: int
    new_state: State


def emission_interval_us(limit: Limit) -> int:
    """GCRA's time per unit, rounded up (never faster than declared)."""
    return -(-limit.period_us // limit.limit)


def horizon_us(limit: Limit) -> int:
    """How long after a write its state can still matter: the item's TTL is set this far ahead."""
    if limit.algorithm == "token_bucket":
        return emission_interval_us(limit) * limit.capacity
    if limit.algorithm == "sliding_counter":
        return 2 * limit.period_us
    return limit.period_us


def decide(limit: Limit, state: State, now: int, cost: int) -> Step:
    """This limit's verdict for ``cost`` units at ``now`` given its stored ``state`` (empty: none)."""
    rule = _RULES[limit.algorithm]
    return rule(limit, state, now, cost)


def _token_bucket(limit: Limit, state: State, now: int, cost: int) -> Step:
    interval = emission_interval_us(limit)
    tau = interval * limit.capacity
    tat = state.get("tat")
    base: int = tat if tat is not None and tat > now else now
    live = base != now
    new_tat = base + cost * interval
    if new_tat - now <= tau:
        return Step(limit, "advance" if live else "restart", True, (tau - (new_tat - now)) // interval,
                    new_tat, 0, {"tat": new_tat})
    return Step(limit, "refused", False, max(0, (tau - (base - now)) // interval), base, new_tat - now - tau, {})


def _fixed_window(limit: Limit, state: State, now: int, cost: int) -> Step:
    end = state.get("exp")
    if end is not None and end > now:
        count = state.get("n", 0) + cost
        if count <= limit.limit:
            return Step(limit, "count", True, limit.limit - count, end, 0, {"n": count, "exp": end})
        return Step(limit, "refused", False, max(0, limit.limit - state.get("n", 0)), end, end - now, {})
    end = now + limit.period_us
    return Step(limit, "open", True, limit.limit - cost, end, 0, {"n": cost, "exp": end})


def _sliding_log(limit: Limit, state: State, now: int, cost: int) -> Step:
    start = now - limit.period_us  # an entry made at ``start`` still counts, as in ``limits``
    entries = [(int(t), int(n)) for t, n in state.get("log", []) if int(t) >= start]
    used = sum(n for _, n in entries)
    version = state.get("v", 0)
    if used + cost <= limit.limit:
        if entries and entries[-1][0] == now:
            entries[-1] = (now, entries[-1][1] + cost)
        else:
            entries.append((now, cost))
        return Step(limit, "append", True, limit.limit - used - cost, entries[0][0] + limit.period_us, 0,
                    {"log": [list(e) for e in entries], "v": version + 1})
    excess, freed, retry = used + cost - limit.limit, 0, limit.period_us
    for t, n in entries:  # oldest first: wait until enough units have left the window
        freed += n
        if freed >= excess:
            retry = t + limit.period_us + 1 - now
            break
    return Step(limit, "refused", False, limit.limit - used, entries[0][0] + limit.period_us, retry, {})


def _sliding_counter(limit: Limit, state: State, now: int, cost: int) -> Step:
    width = limit.period_us
    window = now // width
    elapsed = now - window * width
    stored = state.get("w")
    if stored == window:
        case, current, previous = "count", state.get("c", 0), state.get("p", 0)
    elif stored == window - 1:
        case, current, previous = "roll", 0, state.get("c", 0)
    else:
        case, current, previous = "reset", 0, 0
    weighted = previous * (width - elapsed) // width  # floor(previous * (1 - elapsed/width)), exactly
    end = (window + 1) * width
    if weighted + current + cost <= limit.limit:
        new = {"w": window, "c": current + cost, "p": previous}
        return Step(limit, case, True, limit.limit - weighted - current - cost, end, 0, new)
    return Step(limit, "refused", False, max(0, limit.limit - weighted - current), end,
                _counter_wait(limit, previous, current, cost, elapsed), {})


def _counter_wait(limit: Limit, previous: int, current: int, cost: int, elapsed: int) -> int:
    """Microseconds until ``cost`` fits, with no other traffic: the previous window's weight decays;
    past the window's end the current count becomes the decaying previous one."""
    width = limit.period_us
    room = limit.limit - cost - current  # what the weighted previous count may be
    if room >= 0:
        # floor(previous * (width - e) / width) <= room  <=>  previous * (width - e) < (room + 1) * width
        e = width - ((room + 1) * width - 1) // previous if previous else elapsed
        return max(e, elapsed) - elapsed
    room = limit.limit - cost  # in the next window, with ``current`` as its previous count
    e = width - ((room + 1) * width - 1) // current if current else 0
    return width - elapsed + max(e, 0)


_RULES: dict[str, Callable[[Limit, State, int, int], Step]] = {
    "token_bucket": _token_bucket,
    "fixed_window": _fixed_window,
    "sliding_log": _sliding_log,
    "sliding_counter": _sliding_counter,
}


@dataclass(frozen=True)
class Decision:
    """The answer to ``hit(key, cost)``, over every limit of the key.

    allowed: every limit admitted the cost (then all were charged, atomically; else none was).
    limit / remaining / reset: of the limit closest to refusing (the one a client should watch);
    reset and retry_after in seconds from now. retry_after: 0 when allowed. policies: every limit, for
    the ``RateLimit-Policy`` header. degraded: the store could not be asked and the fail mode decided.
    """

    allowed: bool
    limit: int
    remaining: int
    reset: float
    retry_after: float
    policy: str
    policies: tuple[Limit, ...]
    degraded: bool = False
    steps: tuple[Step, ...] = field(default=(), repr=False, compare=False)


def combine(steps: Sequence[Step], now: int, limits: Sequence[Limit], degraded: bool = False) -> Decision:
    """One decision from each limit's step: allowed if all allow; the tightest limit speaks for it."""
    allowed = all(step.allowed for step in steps)
    refusing = [step for step in steps if not step.allowed]
    tightest = max(refusing, key=lambda s: s.retry_after_us) if refusing else \
        min(steps, key=lambda s: (s.remaining / s.limit.limit, s.reset_us))
    return Decision(
        allowed=allowed,
        limit=tightest.limit.limit,
        remaining=max(0, tightest.remaining),
        reset=max(0.0, (tightest.reset_us - now) / 1_000_000),
        retry_after=max((s.retry_after_us for s in refusing), default=0) / 1_000_000,
        policy=tightest.limit.name,
        policies=tuple(limits),
        degraded=degraded,
        steps=tuple(steps),
    )


def now_us(clock: Callable[[], float]) -> int:
    return round(clock() * 1_000_000)


class MemoryLimiter:
    """The same rules over a dict, for one process: the reference the DynamoDB limiter is tested
    against, and the exact baseline of the benchmark. ``clock``: seconds, injectable."""

    def __init__(self, limits: Sequence[Limit], clock: Callable[[], float] = time.time) -> None:
        self.limits = tuple(limits)
        self.clock = clock
        self.states: dict[str, dict[str, State]] = {}
        self._lock = threading.Lock()

    def hit(self, key: str, cost: int = 1) -> Decision:
        with self._lock:
            now = now_us(self.clock)
            stored = self.states.setdefault(key, {})
            steps = [decide(limit, stored.get(limit.name, {}), now, cost) for limit in self.limits]
            decision = combine(steps, now, self.limits)
            if decision.allowed:
                for step in steps:
                    stored[step.limit.name] = step.new_state
            return decision

    def state(self, key: str) -> Mapping[str, State]:
        return self.states.get(key, {})
