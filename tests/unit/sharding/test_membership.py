"""Versioned membership: transitions, jump hash's last-bucket rule, the history's compare-and-set,
unknown versions, documents, and move plans."""

from __future__ import annotations

import pytest

from functions.sharding.exceptions import (
    InvalidMembership,
    InvalidWeight,
    JumpRemovalRefused,
    MembershipChanged,
    NoShards,
    UnknownMembershipVersion,
    UnknownShard,
)
from functions.sharding.membership import Membership, MembershipHistory, ideal_fraction, plan_moves, renumbered
from functions.sharding.placement import Shard

KEYS = [f"k{n}" for n in range(20_000)]
FOUR = ["s0", "s1", "s2", "s3"]


def test_each_transition_is_the_next_version():
    v1 = Membership.initial(FOUR)
    v2 = v1.with_shard("s4", weight=2)
    v3 = v2.with_weight("s4", 1)
    v4 = v3.without_shard("s1")
    assert [m.version for m in (v1, v2, v3, v4)] == [1, 2, 3, 4]
    assert v4.names == ("s0", "s2", "s3", "s4") and v2.shares()["s4"] == pytest.approx(2 / 6)


@pytest.mark.parametrize("removed", ["s0", "s1", "s2"])
def test_jump_hash_refuses_to_remove_anything_but_the_last_bucket(removed):
    v1 = Membership.initial(FOUR, algorithm="jump")
    with pytest.raises(JumpRemovalRefused) as refused:
        v1.without_shard(removed)
    message = str(refused.value)
    assert "only remove its last bucket ('s3')" in message and f"'{removed}'" in message
    assert "ring or rendezvous" in message and "instead of 25%" in message
    assert v1.without_shard("s3").names == ("s0", "s1", "s2")


def test_jump_hash_refuses_a_reordered_or_renamed_bucket_list():
    v1 = Membership.initial(FOUR, algorithm="jump")
    with pytest.raises(JumpRemovalRefused, match="bucket 1 changes from 's1' to 's2'"):
        v1.successor(["s0", "s2", "s1", "s3"])
    assert v1.successor([*FOUR, "s4", "s5"]).names[-2:] == ("s4", "s5")  # appending is fine
    assert v1.successor(FOUR, algorithm="rendezvous").algorithm == "rendezvous"  # leaving jump: allowed


@pytest.mark.parametrize(("change", "error", "message"), [
    (lambda m: m.without_shard("s9"), UnknownShard, "not a member"),
    (lambda m: m.with_shard("s0"), InvalidMembership, "already a member"),
    (lambda m: m.with_weight("s0", 0), InvalidWeight, "weight 0"),
    (lambda m: m.with_weight("s0", -3), InvalidWeight, "weight -3"),
    (lambda m: m.successor([]), NoShards, "at least one shard"),
    (lambda m: Membership.initial(["only"]).without_shard("only"), NoShards, "no shard"),
    (lambda m: m.successor(algorithm="nope"), InvalidMembership, "unknown algorithm"),
    (lambda m: Membership(0, ("a",)), InvalidMembership, "at least 1"),
])
def test_bad_changes_are_refused_with_a_clear_error(change, error, message):
    with pytest.raises(error, match=message):
        change(Membership.initial(FOUR))


def test_the_history_publishes_by_compare_and_set_and_names_unknown_versions():
    history = MembershipHistory(Membership.initial(FOUR))
    v2 = history.publish(history.current.with_shard("s4"), expected_version=1)
    with pytest.raises(MembershipChanged, match="at version 2, not 1"):
        history.publish(Membership.initial(FOUR).with_shard("s5"), expected_version=1)
    assert history.get(1).names == tuple(FOUR) and history.get(2) == v2 == history.current
    with pytest.raises(UnknownMembershipVersion, match="version 7 was never published"):
        history.get(7)
    with pytest.raises(InvalidMembership, match="integer of at least 1"):
        history.get(0)


def test_documents_round_trip_and_bad_documents_are_refused():
    membership = Membership(3, (Shard("a", 2), Shard("b", 1.5)), "ring", vnodes=64)
    assert Membership.from_document(membership.to_document()) == membership
    bounded = Membership.initial(["a", "b"], algorithm="bounded", load_factor=1.1)
    assert Membership.from_document(bounded.to_document()).load_factor == 1.1
    for bad, message in [([], "an object"), ({"version": 1}, "needs 'shards'"),
                         ({"version": 1, "shards": "a"}, "list"), ({"version": 1, "shards": ["a"], "x": 1}, "unknown"),
                         ({"version": 1, "shards": [{"name": "a", "weight": 0}]}, "weight 0")]:
        with pytest.raises(InvalidMembership, match=message):
            Membership.from_document(bad)


def test_a_move_plan_lists_exactly_the_keys_that_change_shard():
    v1 = Membership.initial(FOUR, algorithm="jump")
    v2 = v1.with_shard("s4")
    plan = plan_moves(v1, v2, KEYS)
    assert {m.key for m in plan.moves} == {k for k in KEYS if v1.shard_for(k) != v2.shard_for(k)}
    assert all(m.target == "s4" and m.source == v1.shard_for(m.key) for m in plan.moves)
    document = plan.to_document()
    assert document["moved"] == plan.moved and set(document["routes"]) == {f"s{n}->s4" for n in range(4)}
    assert document["ideal_fraction"] == 0.2 and abs(document["fraction"] - 0.2) < 0.01


def test_the_ideal_fraction_is_the_distance_between_the_shares():
    v1 = Membership.initial(FOUR)
    assert ideal_fraction(v1, v1.with_shard("s4")) == pytest.approx(1 / 5)
    assert ideal_fraction(v1, v1.without_shard("s2")) == pytest.approx(1 / 4)
    assert ideal_fraction(v1, v1.successor(["a", "b"])) == pytest.approx(1.0)
    assert ideal_fraction(v1, renumbered(v1, 9)) == 0


def test_changing_the_algorithm_moves_most_keys_and_the_plan_says_so():
    v1 = Membership.initial(FOUR, algorithm="ring")
    plan = plan_moves(v1, v1.successor(algorithm="rendezvous"), KEYS)
    assert plan.ideal_fraction == 0 and plan.fraction > 0.5
