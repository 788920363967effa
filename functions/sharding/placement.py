"""Placement: which shard a key belongs to. One interface (:class:`Placement`) over five algorithms.

- :class:`HashRing` (``ring``): consistent hashing (Karger et al.) with virtual nodes: each shard
  owns ``round(vnodes x weight)`` points on a 64-bit circle, a key belongs to the first point
  clockwise from its hash. ``mode="ketama"`` (``ketama``) builds libketama's continuum instead (40
  MD5 digests per shard at the mean weight, 4 points each), placing keys exactly as ``uhashring``
  and memcached's ketama clients do.
- :class:`JumpHash` (``jump``): Lamping & Veach's jump consistent hash: no table, O(ln n) steps,
  ideal balance and movement, but shards are numbered buckets: only the last can be removed.
- :class:`Rendezvous` (``rendezvous``): highest random weight (Thaler & Ravishankar): every shard
  scores the key, the highest wins; weighted with the logarithmic method (Schindelhauer &
  Schomaker), any shard can be added or removed. O(n) per lookup.
- :class:`BoundedLoads` (``bounded``): consistent hashing with bounded loads (Mirrokni, Thorup &
  Zadimoghaddam): a key walks the ring past shards already holding ``ceil(c x m x w/W)`` of the
  ``m`` keys placed, so no shard exceeds ``c`` times its fair share. It depends on which keys were
  placed before, so it places a known set of keys (:meth:`Placement.assign`), in the order given.

Every hash is stable (:mod:`functions.sharding.hashing`), never Python's salted ``hash()``.

Examples
--------
>>> ring = HashRing(["s0", "s1", "s2"])
>>> ring.shard_for("tenant-42") in ("s0", "s1", "s2")
True
>>> JumpHash(["a", "b"]).shard_for("tenant-42") == JumpHash(["a", "b"]).shard_for("tenant-42")
True
"""

from __future__ import annotations

import math
import re
from abc import ABC, abstractmethod
from bisect import bisect_right
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from hashlib import blake2b, md5
from typing import Any, ClassVar

from functions.sharding.exceptions import (
    InvalidKey,
    InvalidMembership,
    InvalidWeight,
    NoShards,
)
from functions.sharding.hashing import MASK64, hash64, hash128, ketama_digest_points

ALGORITHMS = ("ring", "ketama", "jump", "rendezvous", "bounded")
SHARD_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$")
MAX_WEIGHT = 1_000_000
DEFAULT_VNODES = {"ring": 160, "bounded": 160, "ketama": 40}
DEFAULT_LOAD_FACTOR = 1.25
_MASK128 = (1 << 128) - 1
_TWO64 = float(1 << 64)


@dataclass(frozen=True)
class Shard:
    """One shard: its name and its weight (its share of the keys is ``weight / sum of weights``)."""

    name: str
    weight: float = 1

    def to_document(self) -> dict[str, Any]:
        return {"name": self.name, "weight": self.weight}


def as_shard(value: Shard | str | Mapping[str, Any]) -> Shard:
    """A :class:`Shard` from a shard, a name, or ``{"name": ..., "weight": ...}``."""
    if isinstance(value, Shard):
        return value
    if isinstance(value, str):
        return Shard(value)
    if isinstance(value, Mapping):
        unknown = sorted(set(value) - {"name", "weight"})
        if unknown or "name" not in value:
            raise InvalidMembership(f"a shard is {{'name': ..., 'weight': ...}}; got {_short(value)}")
        return Shard(value["name"], value.get("weight", 1))
    raise InvalidMembership(f"a shard is a name or {{'name': ..., 'weight': ...}}; got {_short(value)}")


def check_shards(shards: Iterable[Shard | str | Mapping[str, Any]]) -> tuple[Shard, ...]:
    """The shards, validated: at least one, unique valid names, weights finite and above 0."""
    if isinstance(shards, str | bytes) or not isinstance(shards, Iterable):
        raise InvalidMembership(f"shards must be a list, got {_short(shards)}")
    found = tuple(as_shard(s) for s in shards)
    if not found:
        raise NoShards("a membership needs at least one shard; got none")
    for shard in found:
        if not isinstance(shard.name, str) or not SHARD_NAME.match(shard.name):
            raise InvalidMembership(f"invalid shard name {_short(shard.name)}: use 1-64 letters, digits, '_', '.', ':' "
                                    "or '-', starting with a letter or digit")
        weight = shard.weight
        if isinstance(weight, bool) or not isinstance(weight, int | float) or not math.isfinite(weight) \
                or not 0 < weight <= MAX_WEIGHT:
            raise InvalidWeight(f"shard {shard.name!r} has weight {_short(weight)}; a weight is a number above 0 "
                                f"(at most {MAX_WEIGHT})")
    names = [s.name for s in found]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise InvalidMembership(f"shard names must be unique; repeated: {', '.join(repeated)}")
    return found


def check_key(key: Any) -> str:
    """A key to place: a non-empty string."""
    if not isinstance(key, str):
        raise InvalidKey(f"a key is a string, got {_short(key)}")
    if not key:
        raise InvalidKey("the key is empty; every message needs a key (it chooses the shard and the order)")
    return key


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


class Placement(ABC):
    """Maps keys to shard names. Subclasses implement :meth:`shard_for`."""

    algorithm: ClassVar[str]

    def __init__(self, shards: Iterable[Shard | str | Mapping[str, Any]]) -> None:
        self.shards = check_shards(shards)
        self.names = tuple(s.name for s in self.shards)

    @abstractmethod
    def shard_for(self, key: str) -> str:
        """The name of the shard ``key`` belongs to."""

    def assign(self, keys: Iterable[str]) -> dict[str, str]:
        """``{key: shard}`` for each key, in the order given."""
        return {key: self.shard_for(key) for key in keys}

    def loads(self, keys: Iterable[str]) -> dict[str, int]:
        """How many of ``keys`` each shard gets (every shard listed, 0 included)."""
        counts = Counter(self.assign(keys).values())
        return {name: counts.get(name, 0) for name in self.names}

    def __repr__(self) -> str:
        return f"{type(self).__name__}({list(self.names)!r})"


class HashRing(Placement):
    """A consistent-hash ring with virtual nodes and weights; ``mode="ketama"`` is libketama's ring.

    vnodes: ring mode, points per unit of weight (default 160); ketama mode, MD5 digests per shard
    at the mean weight (default 40, four points each: libketama's 160 points per server).
    """

    algorithm = "ring"

    def __init__(self, shards: Iterable[Shard | str | Mapping[str, Any]], vnodes: int | None = None,
                 mode: str = "ring") -> None:
        super().__init__(shards)
        if mode not in ("ring", "ketama"):
            raise InvalidMembership(f"a ring's mode is 'ring' or 'ketama', got {_short(mode)}")
        self.mode = mode
        self.algorithm = mode  # type: ignore[misc]  # the instance says which continuum it built
        self.vnodes = DEFAULT_VNODES[mode] if vnodes is None else vnodes
        if isinstance(self.vnodes, bool) or not isinstance(self.vnodes, int) or not 1 <= self.vnodes <= 10_000:
            raise InvalidMembership(f"vnodes must be an integer in 1..10000, got {_short(self.vnodes)}")
        owners = self._ketama_points() if mode == "ketama" else self._ring_points()
        self._points = sorted(owners)
        self._owners = [owners[p] for p in self._points]
        self._size = len(self._points)

    def _ring_points(self) -> dict[int, str]:
        owners: dict[int, str] = {}
        for shard in self.shards:
            for i in range(max(1, round(self.vnodes * shard.weight))):
                point = hash64(f"{shard.name}#{i}")
                if point not in owners or shard.name < owners[point]:  # a collision: the smaller name, any order
                    owners[point] = shard.name
        return owners

    def _ketama_points(self) -> dict[int, str]:
        """libketama's continuum as ``uhashring`` builds it: ``(vnodes x n x weight) // total weight``
        digests of ``"<name>-<i>"`` per shard; a point two shards share goes to the later one."""
        count, total = len(self.shards), sum(s.weight for s in self.shards)
        whole = all(float(s.weight).is_integer() for s in self.shards)
        owners: dict[int, str] = {}
        for shard in self.shards:
            digests = (self.vnodes * count * int(shard.weight)) // int(total) if whole else \
                math.floor(self.vnodes * count * shard.weight / total)
            for i in range(digests):
                for point in ketama_digest_points(f"{shard.name}-{i}"):
                    owners[point] = shard.name
        if not owners:
            raise InvalidMembership("these weights give no shard a point on the ketama ring")
        return owners

    def point_of(self, key: str) -> int:
        """Where ``key`` sits on the circle."""
        if self.mode == "ketama":
            return int.from_bytes(md5(key.encode("utf-8")).digest()[:4], "little")  # noqa: S324
        return int.from_bytes(blake2b(key.encode("utf-8"), digest_size=8).digest(), "little")

    def shard_for(self, key: str) -> str:
        if type(key) is not str or not key:  # the hot path: check_key only when it has something to say
            check_key(key)
        if self.mode == "ketama":
            point = int.from_bytes(md5(key.encode("utf-8")).digest()[:4], "little")  # noqa: S324
        else:
            point = int.from_bytes(blake2b(key.encode("utf-8"), digest_size=8).digest(), "little")
        index = bisect_right(self._points, point)
        return self._owners[index if index < self._size else 0]

    def preference(self, key: str) -> Iterator[str]:
        """Every shard once, in the order met walking clockwise from ``key``."""
        start = bisect_right(self._points, self.point_of(check_key(key)))
        seen: set[str] = set()
        for offset in range(self._size):
            owner = self._owners[(start + offset) % self._size]
            if owner not in seen:
                seen.add(owner)
                yield owner
                if len(seen) == len(self.names):
                    return

    @property
    def point_count(self) -> int:
        return self._size


def jump_bucket(key: int, buckets: int) -> int:
    """Lamping & Veach's jump consistent hash of a 64-bit ``key`` into ``buckets`` buckets."""
    if buckets < 1:
        raise NoShards(f"jump hash needs at least one bucket, got {buckets}")
    key &= MASK64
    bucket, jump = -1, 0
    while jump < buckets:
        bucket = jump
        key = (key * 2862933555777941757 + 1) & MASK64
        jump = int((bucket + 1) * (2147483648.0 / ((key >> 33) + 1)))
    return bucket


class JumpHash(Placement):
    """Jump consistent hash: shard ``i`` of the list is bucket ``i``. No weights; add or remove the
    last shard only (see :meth:`functions.sharding.membership.Membership.without_shard`)."""

    algorithm = "jump"

    def __init__(self, shards: Iterable[Shard | str | Mapping[str, Any]]) -> None:
        super().__init__(shards)
        weighted = [s.name for s in self.shards if s.weight != 1]
        if weighted:
            raise InvalidWeight(f"jump hash has no weights (shard(s) {', '.join(weighted)} are not 1): use "
                                "ring, ketama or rendezvous for weighted shards")
        self._count = len(self.names)

    def shard_for(self, key: str) -> str:
        if type(key) is not str or not key:
            check_key(key)
        h = int.from_bytes(blake2b(key.encode("utf-8"), digest_size=8).digest(), "little")
        bucket, jump, buckets, mask = -1, 0, self._count, MASK64
        while jump < buckets:  # jump_bucket, inlined: this is the lookup the benchmark times
            bucket = jump
            h = (h * 2862933555777941757 + 1) & mask
            jump = int((bucket + 1) * (2147483648.0 / ((h >> 33) + 1)))
        return self.names[bucket]


class Rendezvous(Placement):
    """Highest random weight: each shard scores the key and the highest score wins.

    A shard's score is the top 64 bits of ``key_hash x seed`` (128-bit multiply-shift, the seed an
    odd 128-bit hash of the shard's name); with weights, ``-weight / ln(score / 2**64)``.
    """

    algorithm = "rendezvous"

    def __init__(self, shards: Iterable[Shard | str | Mapping[str, Any]]) -> None:
        super().__init__(shards)
        self._seeds = [hash128(f"rendezvous:{name}") | 1 for name in self.names]
        self._weights = [float(s.weight) for s in self.shards]
        self._weighted = len(set(self._weights)) > 1

    def scores(self, key: str) -> dict[str, float]:
        """Each shard's score for ``key`` (the highest wins)."""
        k = hash128(check_key(key))
        raw = [((k * seed) & _MASK128) >> 64 for seed in self._seeds]
        if not self._weighted:
            return {name: float(r) for name, r in zip(self.names, raw, strict=True)}
        return {name: -w / math.log((r + 0.5) / _TWO64) for name, r, w in zip(self.names, raw, self._weights,
                                                                               strict=True)}

    def shard_for(self, key: str) -> str:
        if type(key) is not str or not key:
            check_key(key)
        k = int.from_bytes(blake2b(key.encode("utf-8"), digest_size=16).digest(), "little")
        mask = _MASK128
        raw = [((k * seed) & mask) >> 64 for seed in self._seeds]
        if not self._weighted:
            return self.names[raw.index(max(raw))]
        log = math.log
        scores = [-w / log((r + 0.5) / _TWO64) for r, w in zip(raw, self._weights, strict=True)]
        return self.names[scores.index(max(scores))]


class BoundedLoads(Placement):
    """Consistent hashing with bounded loads: no shard holds more than ``ceil(c x m x w / W)`` of
    the ``m`` keys placed so far (``c`` = ``load_factor``, ``w`` its weight, ``W`` all weights).

    Stateful: :meth:`shard_for` places a new key (and returns the same shard for it afterwards);
    :meth:`assign` places a set of keys in the order given. The result depends on that order, which
    is why the router (which places one message at a time) does not offer it.
    """

    algorithm = "bounded"

    def __init__(self, shards: Iterable[Shard | str | Mapping[str, Any]], load_factor: float = DEFAULT_LOAD_FACTOR,
                 vnodes: int | None = None) -> None:
        super().__init__(shards)
        if isinstance(load_factor, bool) or not isinstance(load_factor, int | float) \
                or not math.isfinite(load_factor) or not 1 <= load_factor <= 100:
            raise InvalidMembership(f"load_factor (c) must be a number in 1..100, got {_short(load_factor)}")
        self.load_factor = float(load_factor)
        self.ring = HashRing(self.shards, vnodes=vnodes)
        self._share = {s.name: s.weight / sum(x.weight for x in self.shards) for s in self.shards}
        self.placed: dict[str, str] = {}
        self.load: Counter[str] = Counter()

    def capacity(self, shard: str, keys: int | None = None) -> int:
        """The most keys ``shard`` may hold once ``keys`` keys (default: those placed) are placed."""
        m = len(self.placed) if keys is None else keys
        return math.ceil(self.load_factor * m * self._share[shard] - 1e-9)

    def shard_for(self, key: str) -> str:
        if key in self.placed:
            return self.placed[key]
        m = len(self.placed) + 1
        for shard in self.ring.preference(key):
            if self.load[shard] < self.capacity(shard, m):
                self.placed[key] = shard
                self.load[shard] += 1
                return shard
        raise AssertionError("unreachable: the capacities add up to at least the number of keys")

    def release(self, key: str) -> None:
        """Forget a key (its shard's load drops by one)."""
        shard = self.placed.pop(key, None)
        if shard is not None:
            self.load[shard] -= 1


def make_placement(algorithm: str, shards: Iterable[Shard | str | Mapping[str, Any]], *,
                   vnodes: int | None = None, load_factor: float = DEFAULT_LOAD_FACTOR) -> Placement:
    """The placement for ``algorithm`` (one of :data:`ALGORITHMS`)."""
    if algorithm in ("ring", "ketama"):
        return HashRing(shards, vnodes=vnodes, mode=algorithm)
    if algorithm == "jump":
        return JumpHash(shards)
    if algorithm == "rendezvous":
        return Rendezvous(shards)
    if algorithm == "bounded":
        return BoundedLoads(shards, load_factor=load_factor, vnodes=vnodes)
    raise InvalidMembership(f"unknown algorithm {_short(algorithm)}; one of {', '.join(ALGORITHMS)}")


def spread(counts: Sequence[int]) -> tuple[float, float]:
    """``(max / mean, standard deviation)`` of per-shard key counts."""
    mean = sum(counts) / len(counts)
    deviation = math.sqrt(sum((c - mean) ** 2 for c in counts) / len(counts))
    return (max(counts) / mean if mean else 0.0), deviation
