"""The placement library: stable hashes, each algorithm's balance and movement on 100,000 keys,
bounded loads' cap, and bad input refused with a clear error."""

from __future__ import annotations

import math
import subprocess
import sys

import pytest

from functions.common.errors import InvalidInput
from functions.sharding.exceptions import InvalidKey, InvalidMembership, InvalidWeight, NoShards
from functions.sharding.hashing import hash64, ketama_hash
from functions.sharding.membership import Membership, ideal_fraction, plan_moves
from functions.sharding.placement import (
    ALGORITHMS,
    BoundedLoads,
    HashRing,
    JumpHash,
    Rendezvous,
    Shard,
    make_placement,
    spread,
)

KEYS = [f"tenant-{n}" for n in range(100_000)]
SOME = KEYS[:20_000]  # enough where the claim is not statistical at the 1% level
TEN = [f"s{n}" for n in range(10)]


def test_hashes_are_stable_across_processes_unlike_python_hash():
    code = ("from functions.sharding.hashing import hash64; from functions.sharding.placement import Rendezvous;"
            "print(hash64('tenant-42'), Rendezvous(['a','b','c']).shard_for('tenant-42'), hash('tenant-42'))")
    runs = [subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                           env={"PYTHONHASHSEED": seed}).stdout.split() for seed in ("1", "2")]
    assert runs[0][:2] == runs[1][:2] == [str(hash64("tenant-42")), Rendezvous(["a", "b", "c"]).shard_for("tenant-42")]
    assert runs[0][2] != runs[1][2]  # Python's own hash() differs: it must never place keys


def test_known_values_pin_the_hash_functions():
    """A change of hash function would move every key of a deployed system: these values never change."""
    assert hash64("") == 0xB4B2797457A0A6E4
    assert hash64("tenant-42") == 0x749B098EF27A45F3
    assert ketama_hash("127.0.0.1:11211-0") == 2589391586


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_every_algorithm_spreads_100000_keys_over_10_shards(algorithm):
    counts = list(make_placement(algorithm, TEN).loads(KEYS).values())
    ratio, deviation = spread(counts)
    assert sum(counts) == len(KEYS) and min(counts) > 0
    assert ratio < {"ring": 1.15, "ketama": 1.25, "bounded": 1.15}.get(algorithm, 1.03), (counts, ratio, deviation)


@pytest.mark.parametrize("algorithm", ["ring", "ketama", "jump", "rendezvous"])
def test_adding_an_eleventh_shard_moves_keys_only_to_it(algorithm):
    before = Membership.initial(TEN, algorithm=algorithm)
    plan = plan_moves(before, before.with_shard("s10"), KEYS)
    assert {target for _, target in plan.routes} == {"s10"}
    assert plan.ideal_fraction == pytest.approx(1 / 11)
    tolerance = 0.01 if algorithm in ("jump", "rendezvous") else 0.05  # a ring's share depends on its points
    assert abs(plan.fraction - 1 / 11) <= tolerance, plan.fraction


@pytest.mark.parametrize("algorithm", ["jump", "rendezvous"])
@pytest.mark.parametrize("count", [4, 9])
def test_going_from_n_to_n_plus_one_moves_within_one_percent_of_one_over_n_plus_one(algorithm, count):
    before = Membership.initial([f"s{n}" for n in range(count)], algorithm=algorithm)
    after = before.with_shard(f"s{count}")
    forward, back = plan_moves(before, after, KEYS), plan_moves(after, after.without_shard(f"s{count}"), KEYS)
    assert abs(forward.fraction - 1 / (count + 1)) <= 0.01
    assert {m.key for m in back.moves} == {m.key for m in forward.moves}  # back: the same keys return
    assert all(m.source == f"s{count}" for m in back.moves)


@pytest.mark.parametrize("algorithm", ["ring", "rendezvous"])
def test_removing_a_middle_shard_moves_only_its_keys(algorithm):
    before = Membership.initial(TEN, algorithm=algorithm)
    plan = plan_moves(before, before.without_shard("s3"), SOME)
    owned = sum(1 for k in SOME if before.shard_for(k) == "s3")
    assert plan.moved == owned and {source for source, _ in plan.routes} == {"s3"}


@pytest.mark.parametrize("algorithm", ["ring", "ketama", "rendezvous"])
def test_weights_give_proportional_shares(algorithm):
    shards = [Shard("small", 1), Shard("big", 3)]
    loads = make_placement(algorithm, shards).loads(SOME)
    assert loads["big"] / len(SOME) == pytest.approx(0.75, abs=0.04)


def test_rendezvous_reweighting_moves_keys_only_towards_the_heavier_shard():
    before = Membership.initial(TEN)
    plan = plan_moves(before, before.with_weight("s4", 2), SOME)
    assert {target for _, target in plan.routes} == {"s4"}
    assert plan.fraction == pytest.approx(ideal_fraction(before, before.with_weight("s4", 2)), abs=0.01)


@pytest.mark.parametrize("factor", [1.0, 1.05, 1.25, 2.0])
def test_bounded_loads_keep_every_shard_within_c_times_the_mean(factor):
    placement = BoundedLoads(TEN, load_factor=factor)
    counts = list(placement.loads(KEYS).values())
    assert max(counts) <= math.ceil(factor * len(KEYS) / len(TEN))
    assert spread(counts)[0] <= factor + 1e-9


def test_bounded_loads_bind_where_the_plain_ring_is_over_the_cap():
    ring_max = max(HashRing(TEN).loads(KEYS).values())
    capped = BoundedLoads(TEN, load_factor=1.02)
    assert ring_max > 1.02 * len(KEYS) / 10 >= max(capped.loads(KEYS).values())
    assert capped.shard_for(KEYS[5]) == capped.placed[KEYS[5]]  # a placed key stays where it is
    capped.release(KEYS[5])
    assert KEYS[5] not in capped.placed


def test_bounded_loads_with_weights_cap_each_shard_at_its_weighted_share():
    placement = BoundedLoads([Shard("a", 1), Shard("b", 1), Shard("c", 2)], load_factor=1.1)
    loads = placement.loads(KEYS[:20_000])
    assert loads["c"] <= math.ceil(1.1 * 20_000 * 0.5) and loads["a"] <= math.ceil(1.1 * 20_000 * 0.25)


def test_a_ring_walks_every_shard_once_from_a_key():
    ring = HashRing(TEN)
    order = list(ring.preference("tenant-1"))
    assert sorted(order) == sorted(TEN) and order[0] == ring.shard_for("tenant-1")


@pytest.mark.parametrize("key", ["", None, 42, b"bytes"])
def test_an_empty_or_non_text_key_is_refused_with_a_clear_error(key):
    for placement in (HashRing(TEN), JumpHash(TEN), Rendezvous(TEN), BoundedLoads(TEN)):
        with pytest.raises(InvalidKey, match="empty|string"):
            placement.shard_for(key)
    assert issubclass(InvalidKey, InvalidInput) and issubclass(InvalidKey, ValueError)


@pytest.mark.parametrize(("shards", "error", "message"), [
    ([], NoShards, "at least one shard"),
    ([Shard("a", 0)], InvalidWeight, "weight 0"),
    ([Shard("a", -1)], InvalidWeight, "weight -1"),
    ([Shard("a", float("nan"))], InvalidWeight, "weight nan"),
    ([Shard("a", float("inf"))], InvalidWeight, "weight inf"),
    ([Shard("a", True)], InvalidWeight, "weight True"),
    ([Shard("a", "2")], InvalidWeight, "weight '2'"),
    (["a", "a"], InvalidMembership, "repeated: a"),
    (["bad name"], InvalidMembership, "invalid shard name"),
    ([{"name": "a", "colour": "red"}], InvalidMembership, "'name'"),
    ("abc", InvalidMembership, "must be a list"),
])
@pytest.mark.parametrize("algorithm", ["ring", "ketama", "rendezvous", "bounded"])
def test_bad_shards_are_refused_with_a_clear_error(algorithm, shards, error, message):
    with pytest.raises(error, match=message):
        make_placement(algorithm, shards)


def test_jump_hash_refuses_weights_and_unknown_algorithms_are_named():
    with pytest.raises(InvalidWeight, match="jump hash has no weights"):
        JumpHash([Shard("a", 2), "b"])
    with pytest.raises(InvalidMembership, match="unknown algorithm 'maglev'"):
        make_placement("maglev", TEN)
    with pytest.raises(InvalidMembership, match="vnodes"):
        HashRing(TEN, vnodes=0)
    with pytest.raises(InvalidMembership, match="load_factor"):
        BoundedLoads(TEN, load_factor=0.9)
