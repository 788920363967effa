"""Aggregation strategies, pluggable: when an aggregate has enough replies, and which quotes it returns.

A strategy sees the replies recorded so far (provider id -> quote with ``rate`` and ``receivedAt``) and
the number of providers asked. Register a new one with :func:`register`; requests name it by ``strategy``.

Examples
--------
>>> s = strategy_from({"strategy": "best", "count": 1})
>>> s.select({"a": {"rate": 4.0, "receivedAt": 2}, "b": {"rate": 3.5, "receivedAt": 1}})
[{'rate': 3.5, 'receivedAt': 1, 'providerId': 'b'}]
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

MAX_COUNT = 100


class UnknownStrategy(ValueError):
    """The request names a strategy that is not registered, or gives it a bad count."""


@dataclass(frozen=True)
class Strategy:
    """Base: complete when every provider asked has replied; return all quotes, best rate first."""

    name: ClassVar[str] = "all"
    count: int | None = None

    def enough(self, replies: int, expected: int) -> bool:
        """Whether ``replies`` of ``expected`` let the aggregate complete before the deadline."""
        return replies >= expected

    def select(self, replies: Mapping[str, Mapping[str, Any]]) -> list[dict[str, Any]]:
        return _quotes(replies, key=_by_rate)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name} if self.count is None else {"name": self.name, "count": self.count}


@dataclass(frozen=True)
class BestByRate(Strategy):
    """The ``count`` lowest rates; needs every reply (or the deadline) to know which are best."""

    name: ClassVar[str] = "best"

    def select(self, replies: Mapping[str, Mapping[str, Any]]) -> list[dict[str, Any]]:
        return _quotes(replies, key=_by_rate)[: self.count]


@dataclass(frozen=True)
class FirstReplies(Strategy):
    """The ``count`` earliest replies; completes as soon as that many have arrived."""

    name: ClassVar[str] = "first"

    def enough(self, replies: int, expected: int) -> bool:
        return replies >= min(self.count or expected, expected)

    def select(self, replies: Mapping[str, Mapping[str, Any]]) -> list[dict[str, Any]]:
        return _quotes(replies, key=_by_arrival)[: self.count]


STRATEGIES: dict[str, type[Strategy]] = {}


def register(cls: type[Strategy]) -> type[Strategy]:
    """Make a strategy available to requests under ``cls.name``."""
    STRATEGIES[cls.name] = cls
    return cls


for _cls in (Strategy, BestByRate, FirstReplies):
    register(_cls)


def strategy_from(spec: Mapping[str, Any], default_count: int = 3) -> Strategy:
    """The strategy a request (``{"strategy": "best", "count": 2}``) or a stored aggregate names."""
    name = spec.get("strategy", spec.get("name", "all"))
    if not isinstance(name, str) or name not in STRATEGIES:
        raise UnknownStrategy(f"unknown strategy {name!r}; use one of {', '.join(sorted(STRATEGIES))}")
    cls = STRATEGIES[name]
    if cls is Strategy:
        if "count" in spec and spec["count"] is not None:
            raise UnknownStrategy("strategy 'all' takes no count")
        return cls()
    count = spec.get("count", default_count)
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_COUNT:
        raise UnknownStrategy(f"'count' must be an integer from 1 to {MAX_COUNT}, got {count!r}")
    return cls(count=count)


def _by_rate(quote: Mapping[str, Any]) -> tuple:
    return (float(quote["rate"]), float(quote["receivedAt"]), quote["providerId"])


def _by_arrival(quote: Mapping[str, Any]) -> tuple:
    return (float(quote["receivedAt"]), quote["providerId"])


def _quotes(replies: Mapping[str, Mapping[str, Any]], key) -> list[dict[str, Any]]:
    return sorted(({**quote, "providerId": pid} for pid, quote in replies.items()), key=key)
