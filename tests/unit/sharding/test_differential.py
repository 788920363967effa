"""Agreement with libraries nobody here wrote, on 100,000 keys: jump hash with the
``jump-consistent-hash`` package, the ring in ketama mode with ``uhashring``'s ketama ring."""

from __future__ import annotations

import random

import jump
import pytest
from uhashring import HashRing as UHashRing

from functions.sharding.hashing import hash64
from functions.sharding.placement import HashRing, JumpHash, Shard, jump_bucket

KEYS = [f"user:{n}:{random.Random(n).getrandbits(32):08x}" for n in range(100_000)]


@pytest.mark.parametrize("buckets", [1, 2, 3, 5, 10, 17, 100, 1000, 65_536, 2**31 - 1])
def test_jump_hash_gives_the_packages_bucket_for_100000_keys(buckets):
    rng = random.Random(buckets)
    integers = [rng.getrandbits(64) for _ in range(50_000)] + [hash64(k) for k in KEYS[:50_000]]
    mismatches = [k for k in integers if jump_bucket(k, buckets) != jump.hash(k, buckets)]
    assert len(integers) == 100_000 and mismatches == []


@pytest.mark.parametrize("count", [2, 5, 10])
def test_the_jump_placement_is_the_packages_bucket_of_the_key_hash(count):
    names = [f"shard-{n}" for n in range(count)]
    placement = JumpHash(names)
    assert all(placement.shard_for(k) == names[jump.hash(hash64(k), count)] for k in KEYS)


NODE_SETS = {
    "three": {"cache-a": 1, "cache-b": 1, "cache-c": 1},
    "ten": {f"10.0.0.{n}:11211": 1 for n in range(10)},
    "weighted": {"small": 1, "medium": 2, "large": 5, "huge": 9},
    "one": {"only": 1},
}


@pytest.mark.parametrize("nodes", NODE_SETS.values(), ids=NODE_SETS.keys())
def test_the_ketama_ring_places_100000_keys_exactly_as_uhashring(nodes):
    reference = UHashRing(nodes=dict(nodes), hash_fn="ketama")
    ring = HashRing([Shard(name, weight) for name, weight in nodes.items()], mode="ketama")
    assert ring.point_count == len(reference.get_points())
    mismatches = [k for k in KEYS if ring.shard_for(k) != reference.get_node(k)]
    assert mismatches == []


def test_after_a_node_joins_and_leaves_the_ketama_ring_still_matches_uhashring():
    names = {f"n{i}": 1 for i in range(6)}
    reference = UHashRing(nodes=dict(names), hash_fn="ketama")
    reference.add_node("n6")
    reference.remove_node("n2")
    ring = HashRing([n for n in [*names, "n6"] if n != "n2"], mode="ketama")
    assert all(ring.shard_for(k) == reference.get_node(k) for k in KEYS[:20_000])
