"""Versioned membership: which shards exist, with which weights and algorithm, at each version; and
the move plan between two versions (which keys of a given set change shard).

A membership is data, not code: the router reads the current version from a table, and a
resharding publishes the next version (``version + 1``) there. Every version is kept, so any two
can be compared (:func:`plan_moves`).

Examples
--------
>>> v1 = Membership.initial(["s0", "s1", "s2", "s3"], algorithm="jump")
>>> v2 = v1.with_shard("s4")
>>> plan = plan_moves(v1, v2, [f"tenant-{n}" for n in range(10_000)])
>>> {target for _, target in plan.routes}, round(plan.fraction, 2)
({'s4'}, 0.2)
>>> v2.without_shard("s1")
Traceback (most recent call last):
...
functions.sharding.exceptions.JumpRemovalRefused: jump hash can only remove its last bucket ('s4'): ...
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from functions.sharding.exceptions import (
    InvalidMembership,
    JumpRemovalRefused,
    MembershipChanged,
    NoShards,
    UnknownMembershipVersion,
    UnknownShard,
)
from functions.sharding.placement import (
    ALGORITHMS,
    DEFAULT_LOAD_FACTOR,
    Placement,
    Shard,
    check_shards,
    make_placement,
)

MAX_VERSION = 10**15


def check_version(value: Any, what: str = "membership version") -> int:
    """A membership version: an integer of at least 1."""
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_VERSION:
        raise InvalidMembership(f"a {what} is an integer of at least 1, got {value!r}"[:200])
    return value


@dataclass(frozen=True)
class Membership:
    """The shards at one version. ``algorithm``: one of ``ring``, ``ketama``, ``jump``, ``rendezvous``,
    ``bounded``; ``vnodes`` (ring, ketama, bounded) and ``load_factor`` (bounded) tune it."""

    version: int
    shards: tuple[Shard, ...]
    algorithm: str = "rendezvous"
    vnodes: int | None = None
    load_factor: float = DEFAULT_LOAD_FACTOR
    _placement: list[Placement] = field(default_factory=list, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        check_version(self.version)
        if self.algorithm not in ALGORITHMS:
            raise InvalidMembership(f"unknown algorithm {self.algorithm!r}; one of {', '.join(ALGORITHMS)}"[:200])
        object.__setattr__(self, "shards", check_shards(self.shards))
        self._placement.append(make_placement(self.algorithm, self.shards, vnodes=self.vnodes,
                                              load_factor=self.load_factor))  # validates the whole

    @classmethod
    def initial(cls, shards: Iterable[Shard | str | Mapping[str, Any]], algorithm: str = "rendezvous",
                **options: Any) -> Membership:
        """Version 1."""
        return cls(1, tuple(shards), algorithm, **options)  # type: ignore[arg-type]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(s.name for s in self.shards)

    def placement(self) -> Placement:
        """The placement of this version (a fresh one for ``bounded``, whose placement has state)."""
        if self.algorithm == "bounded":
            return make_placement(self.algorithm, self.shards, vnodes=self.vnodes, load_factor=self.load_factor)
        return self._placement[0]

    def shard_for(self, key: str) -> str:
        return self._placement[0].shard_for(key)

    def shares(self) -> dict[str, float]:
        """Each shard's intended share of the keys (its weight over the sum)."""
        total = sum(s.weight for s in self.shards)
        return {s.name: s.weight / total for s in self.shards}

    # Transitions: each returns the next version and refuses what the algorithm cannot do.

    def successor(self, shards: Iterable[Shard | str | Mapping[str, Any]] | None = None, *,
                  algorithm: str | None = None, vnodes: int | None = None,
                  load_factor: float | None = None) -> Membership:
        """The next version with these shards (default: the same) and options."""
        following = Membership(
            self.version + 1, tuple(self.shards if shards is None else shards),  # type: ignore[arg-type]
            algorithm or self.algorithm,
            self.vnodes if vnodes is None else vnodes,
            self.load_factor if load_factor is None else load_factor,
        )
        self.check_successor(following)
        return following

    def with_shard(self, name: str, weight: float = 1) -> Membership:
        """The next version with one more shard (jump hash: appended as the last bucket)."""
        if name in self.names:
            raise InvalidMembership(f"shard {name!r} is already a member (version {self.version})")
        return self.successor((*self.shards, Shard(name, weight)))

    def without_shard(self, name: str) -> Membership:
        """The next version without ``name``; jump hash refuses any shard but the last."""
        if name not in self.names:
            raise UnknownShard(f"shard {name!r} is not a member of version {self.version} "
                               f"(members: {', '.join(self.names)})")
        if len(self.shards) == 1:
            raise NoShards(f"removing {name!r} would leave no shard; a membership needs at least one")
        return self.successor(tuple(s for s in self.shards if s.name != name))

    def with_weight(self, name: str, weight: float) -> Membership:
        """The next version with ``name`` weighted ``weight``."""
        if name not in self.names:
            raise UnknownShard(f"shard {name!r} is not a member of version {self.version}")
        return self.successor(tuple(Shard(s.name, weight) if s.name == name else s for s in self.shards))

    def check_successor(self, following: Membership) -> None:
        """Refuse a next version this one cannot become: jump hash adds or removes last buckets only."""
        if following.version != self.version + 1:
            raise InvalidMembership(f"version {self.version} is followed by {self.version + 1}, "
                                    f"not {following.version}")
        if self.algorithm != "jump" or following.algorithm != "jump":
            return
        before, after = self.names, following.names
        common = min(len(before), len(after))
        if before[:common] == after[:common]:
            return
        first = next(i for i in range(common) if before[i] != after[i])
        if len(after) < len(before) and after == tuple(n for n in before if n in after):
            removed = [n for n in before if n not in after]
            moved = _jump_renumbering_moves(before, after)
            raise JumpRemovalRefused(
                f"jump hash can only remove its last bucket ({before[-1]!r}): removing "
                f"{', '.join(map(repr, removed))} would renumber the buckets after it and move about "
                f"{moved:.0%} of the keys instead of {1 - len(after) / len(before):.0%}. Remove "
                f"{before[-1]!r} instead, or use ring or rendezvous, which remove any shard")
        raise JumpRemovalRefused(
            f"jump hash numbers its buckets: a new version keeps the old order and adds or removes the last "
            f"ones only; bucket {first} changes from {before[first]!r} to {after[first]!r}")

    def to_document(self) -> dict[str, Any]:
        document: dict[str, Any] = {"version": self.version, "algorithm": self.algorithm,
                                    "shards": [s.to_document() for s in self.shards]}
        if self.vnodes is not None:
            document["vnodes"] = self.vnodes
        if self.algorithm == "bounded":
            document["load_factor"] = self.load_factor
        return document

    @classmethod
    def from_document(cls, document: Any) -> Membership:
        """A membership from :meth:`to_document`'s form; anything else is an ``InvalidMembership``."""
        if not isinstance(document, Mapping):
            raise InvalidMembership("a membership is an object with 'version', 'algorithm' and 'shards'")
        unknown = sorted(set(document) - {"version", "algorithm", "shards", "vnodes", "load_factor"})
        if unknown:
            raise InvalidMembership(f"unknown membership field(s): {', '.join(unknown)}"[:200])
        if "shards" not in document:
            raise NoShards("a membership needs 'shards': at least one")
        return cls(_integer(document.get("version", 1)), tuple(_shards(document["shards"])),
                   document.get("algorithm", "rendezvous"), _integer(document.get("vnodes")),
                   _number(document.get("load_factor", DEFAULT_LOAD_FACTOR)))

    def describe(self) -> str:
        members = ", ".join(s.name if s.weight == 1 else f"{s.name}x{s.weight:g}" for s in self.shards)
        return f"v{self.version} {self.algorithm} [{members}]"


def _integer(value: Any) -> Any:
    """DynamoDB hands numbers back as Decimals: whole ones become ints (anything else is checked later)."""
    if value is None or isinstance(value, bool):
        return value
    try:
        return int(value) if float(value).is_integer() and not isinstance(value, str) else value
    except (TypeError, ValueError, OverflowError):
        return value


def _number(value: Any) -> Any:
    if isinstance(value, bool) or isinstance(value, int | float) or value is None:
        return value
    try:
        return float(value) if not isinstance(value, str) else value
    except (TypeError, ValueError):
        return value


def _shards(value: Any) -> list[Any]:
    if not isinstance(value, list | tuple):
        raise InvalidMembership("'shards' must be a list of names or {'name', 'weight'} objects")
    return [{**s, "weight": _number(s["weight"])} if isinstance(s, Mapping) and "weight" in s else s for s in value]


def _jump_renumbering_moves(before: tuple[str, ...], after: tuple[str, ...]) -> float:
    """The share of keys whose shard changes when jump hash's bucket list goes from ``before`` to ``after``."""
    sample = [f"k{n}" for n in range(2000)]
    old, new = make_placement("jump", before), make_placement("jump", after)
    return sum(old.shard_for(k) != new.shard_for(k) for k in sample) / len(sample)


class MembershipHistory:
    """Every published version, in memory: what the router's table holds, for tests and offline use.

    :meth:`publish` is a compare-and-set: it refuses a change made against an outdated version.
    """

    def __init__(self, initial: Membership) -> None:
        if initial.version != 1:
            raise InvalidMembership(f"a history starts at version 1, got {initial.version}")
        self._versions = {1: initial}

    @property
    def current(self) -> Membership:
        return self._versions[max(self._versions)]

    def get(self, version: int) -> Membership:
        check_version(version)
        if version not in self._versions:
            raise UnknownMembershipVersion(f"membership version {version} was never published "
                                           f"(the current version is {self.current.version})")
        return self._versions[version]

    def publish(self, following: Membership, expected_version: int) -> Membership:
        current = self.current
        if expected_version != current.version:
            raise MembershipChanged(f"the membership is at version {current.version}, not {expected_version}: "
                                    "read it again and decide on the change again")
        current.check_successor(following)
        self._versions[following.version] = following
        return following


@dataclass(frozen=True)
class Move:
    key: str
    source: str
    target: str


@dataclass(frozen=True)
class MovePlan:
    """Which of a set of keys change shard from one membership version to another."""

    from_version: int
    to_version: int
    keys: int
    moves: tuple[Move, ...]
    ideal_fraction: float

    @property
    def moved(self) -> int:
        return len(self.moves)

    @property
    def fraction(self) -> float:
        """The share of the keys that move."""
        return self.moved / self.keys if self.keys else 0.0

    @property
    def routes(self) -> Counter[tuple[str, str]]:
        """How many keys move from each shard to each other."""
        return Counter((m.source, m.target) for m in self.moves)

    def to_document(self, include_moves: bool = True) -> dict[str, Any]:
        document: dict[str, Any] = {
            "from_version": self.from_version, "to_version": self.to_version, "keys": self.keys,
            "moved": self.moved, "fraction": round(self.fraction, 6), "ideal_fraction": round(self.ideal_fraction, 6),
            "routes": {f"{a}->{b}": n for (a, b), n in sorted(self.routes.items())},
        }
        if include_moves:
            document["moves"] = [{"key": m.key, "from": m.source, "to": m.target} for m in self.moves]
        return document


def ideal_fraction(before: Membership, after: Membership) -> float:
    """The least share of keys any placement must move between two memberships: the total variation
    distance between their shares (``1/(n+1)`` when one equal shard joins ``n``)."""
    a, b = before.shares(), after.shares()
    return 0.5 * math.fsum(abs(a.get(n, 0.0) - b.get(n, 0.0)) for n in set(a) | set(b))


def plan_moves(before: Membership, after: Membership, keys: Iterable[str]) -> MovePlan:
    """The moves of ``keys`` from ``before`` to ``after`` (bounded loads: placed in the order given)."""
    keys = list(keys)
    old, new = before.placement().assign(keys), after.placement().assign(keys)
    moves = tuple(Move(k, old[k], new[k]) for k in keys if old[k] != new[k])
    return MovePlan(before.version, after.version, len(keys), moves, ideal_fraction(before, after))


def renumbered(membership: Membership, version: int) -> Membership:
    """The same membership under another version number (a proposal compared with a published one)."""
    return replace(membership, version=version)
