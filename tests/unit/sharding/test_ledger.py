"""The fence that lets a key change shard without reordering: the decision table, the in-memory
ledger, and a model of the whole router (producers, stale router caches, FIFO shards, workers,
reshards 4 -> 5 -> 4) run with the production routing and worker code under many interleavings."""

from __future__ import annotations

import pytest

from functions.sharding.exceptions import KeyContention, StaleMembership
from functions.sharding.ledger import KeyState, MemoryLedger, assign_with_retries, decide
from functions.sharding.membership import Membership
from functions.sharding.messages import Envelope
from functions.sharding.processing import ShardWorker
from tests.unit.sharding.simulation import Simulation, UnfencedLedger


@pytest.mark.parametrize(("state", "target", "version", "message_id", "route"), [
    (None, "s1", 1, "m", "assign"),
    (KeyState("k", "s1", 5, 5, 1, "a"), "s2", 2, "m", "assign"),      # nothing in flight: moves
    (KeyState("k", "s1", 5, 3, 1, "a"), "s2", 2, "m", "hold"),        # two in flight on s1: waits there
    (KeyState("k", "s1", 5, 3, 1, "a"), "s1", 2, "m", "assign"),      # already there
    (KeyState("k", "s1", 5, 3, 3, "a"), "s2", 2, "m", "stale"),       # the key is ahead of this router
    (KeyState("k", "s1", 5, 3, 3, "m"), "s2", 2, "m", "replay"),      # the same message again
])
def test_the_fence_decides(state, target, version, message_id, route):
    assert decide(state, target, version, message_id) == route


def test_a_key_waits_on_its_old_shard_until_its_messages_there_are_settled():
    ledger = MemoryLedger()
    first = ledger.assign("k", "s0", 1, "m1")
    held = ledger.assign("k", "s4", 2, "m2")
    assert (first.shard, first.seq, held.shard, held.seq, held.held) == ("s0", 1, "s0", 2, True)
    ledger.settle("k", 1, "m1", "processed", "s0", 1)
    assert ledger.assign("k", "s4", 2, "m3").shard == "s0"  # m2 is still in flight on s0
    ledger.settle("k", 2, "m2", "processed", "s0", 2)
    ledger.settle("k", 3, "m3", "processed", "s0", 2)
    moved = ledger.assign("k", "s4", 2, "m4")
    assert (moved.shard, moved.seq, moved.moved) == ("s4", 4, True)
    assert [d.position for d in ledger.deliveries("k")] == [1, 2, 3]


def test_a_retried_send_gets_the_same_seq_and_a_late_duplicate_is_not_processed_twice():
    ledger = MemoryLedger()
    first = ledger.assign("k", "s0", 1, "m1")
    assert ledger.assign("k", "s0", 1, "m1") == type(first)("k", "s0", 1, 1, replayed=True)
    ledger.assign("k", "s0", 1, "m2")
    again = ledger.assign("k", "s0", 1, "m1")  # m1 once more, after m2: a new seq...
    calls = []
    worker = ShardWorker("s0", ledger, lambda message: calls.append(message.seq), lambda e, r: None)
    outcomes = [worker.process(Envelope("k", seq, mid, 1, "s0", None, 0)) for seq, mid in
                ((1, "m1"), (2, "m2"), (again.seq, "m1"), (1, "m1"))]
    assert outcomes == ["processed", "processed", "duplicate", "skipped"]  # ...settled as a duplicate
    assert calls == [1, 2] and ledger.state("k").in_flight == 0


def test_a_message_that_keeps_failing_is_dead_lettered_and_settled_so_the_key_goes_on():
    ledger, dead = MemoryLedger(), []

    def handler(message):
        if message.body == "poison":
            raise ValueError("cannot digest")

    worker = ShardWorker("s0", ledger, handler, lambda envelope, error: dead.append((envelope.seq, error)),
                         max_attempts=3)
    ledger.assign("k", "s0", 1, "p")
    poison = Envelope("k", 1, "p", 1, "s0", "poison", 0)
    for attempt in (1, 2):
        with pytest.raises(ValueError):
            worker.process(poison, attempt)
    assert worker.process(poison, 3) == "dead_lettered"
    assert dead == [(1, "ValueError: cannot digest")]
    assert ledger.delivery("k", 1).failures == 3 and ledger.state("k").in_flight == 0


def test_a_router_behind_the_key_reloads_and_gives_up_only_if_it_never_catches_up():
    ledger = MemoryLedger()
    ledger.assign("k", "s0", 5, "m1")
    with pytest.raises(StaleMembership):
        ledger.assign("k", "s0", 4, "m2")
    versions = iter([4, 5])
    assert assign_with_retries(ledger, "k", lambda refresh: ("s0", next(versions)), "m2").version == 5
    with pytest.raises(KeyContention, match="newer membership"):
        assign_with_retries(ledger, "k", lambda refresh: ("s0", 4), "m3")


def _reshards(algorithm: str) -> tuple[Membership, list[Membership]]:
    v1 = Membership.initial(["s0", "s1", "s2", "s3"], algorithm=algorithm)
    v2 = v1.with_shard("s4")
    return v1, [v2, v2.without_shard("s4")]


@pytest.mark.parametrize("algorithm", ["jump", "rendezvous", "ring"])
def test_under_many_interleavings_no_key_loses_duplicates_or_reorders_a_message(algorithm):
    held = moved = 0
    for seed in range(25):
        initial, changes = _reshards(algorithm)
        simulation = Simulation(seed, initial, changes, keys=30, messages=6)
        outcome = simulation.run()
        assert outcome.problems(dict.fromkeys(simulation.keys, 6)) == [], seed
        held += outcome.held
        moved += sum(len(set(shards)) > 1 for shards in outcome.shards_seen.values())
    assert held > 50 and moved > 5  # the fence was exercised: keys moved while messages were in flight


def test_without_the_fence_the_same_model_reorders_keys():
    failing = 0
    for seed in range(25):
        initial, changes = _reshards("rendezvous")
        simulation = Simulation(seed, initial, changes, keys=30, messages=6, ledger=UnfencedLedger())
        failing += bool(simulation.run().problems(dict.fromkeys(simulation.keys, 6)))
    assert failing >= 10  # so the model can fail: the fence is what keeps the order


def test_poison_messages_go_to_the_dead_letters_and_the_rest_keep_their_order_through_a_reshard():
    poison = {("k1", 2), ("k5", 0), ("k9", 5)}
    initial, changes = _reshards("jump")
    simulation = Simulation(7, initial, changes, poison=poison)
    outcome = simulation.run()
    assert outcome.problems(dict.fromkeys(simulation.keys, 6), poison) == []
    assert sorted(outcome.dead_lettered) == sorted(poison)
