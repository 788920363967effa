"""The sequence generator's pure rules: configuration, request validation per mode, idempotency
fingerprints, the 38-digit ceiling and the backoff."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from functions.common.validation import InvalidInput
from functions.sequence.config import MAX_VALUE, GeneratorConfig, ItemsTarget, SequenceSettings
from functions.sequence.exceptions import SequenceExhausted, UnknownSequence
from functions.sequence.sequences import (
    IdRange,
    backoff_delay,
    check_fits,
    fingerprint,
    key_record_id,
    parse_request,
)

ITEMS = ItemsTarget("items", ("pk",), "id")
CONFIG = GeneratorConfig(
    counters_table="counters", keys_table="keys",
    sequences=(
        SequenceSettings("ticket", start=1000),
        SequenceSettings("order-*", mode="block", block_size=50),
        SequenceSettings("order-eu-*", mode="gap-free", items=ITEMS),
    ),
    max_count=200,
)


def test_exact_names_and_the_longest_matching_family_resolve():
    assert CONFIG.resolve("ticket") == SequenceSettings("ticket", start=1000)
    assert CONFIG.resolve("order-us-1").mode == "block"
    resolved = CONFIG.resolve("order-eu-7")
    assert (resolved.name, resolved.mode, resolved.items) == ("order-eu-7", "gap-free", ITEMS)


def test_undeclared_names_are_refused_unless_auto_create():
    with pytest.raises(UnknownSequence, match="auto-create is off"):
        CONFIG.resolve("tickets")
    auto = GeneratorConfig(counters_table="c", keys_table="k", auto_create=True)
    assert auto.resolve("anything") == SequenceSettings("anything")


@pytest.mark.parametrize("name", ["", "-x", "a#b", "a" * 65, "white space"])
def test_invalid_names_are_refused_before_lookup(name):
    with pytest.raises(InvalidInput, match="invalid sequence name"):
        GeneratorConfig(counters_table="c", keys_table="k", auto_create=True).resolve(name)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"name": "x", "mode": "fast"}, "mode must be one of"),
        ({"name": "x", "start": -1}, "start must be"),
        ({"name": "x", "start": MAX_VALUE + 1}, "start must be"),
        ({"name": "x", "start": 1.5}, "start must be"),
        ({"name": "x", "block_size": 0}, "block_size"),
        ({"name": "x", "mode": "gap-free"}, "needs an items table"),
        ({"name": "bad*name"}, "a name is"),
        ({"name": "*"}, "a name is"),
    ],
)
def test_settings_that_could_not_work_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        SequenceSettings(**kwargs)


def test_configuration_round_trips_through_json():
    again = GeneratorConfig.from_json(CONFIG.to_json())
    assert again == CONFIG


@pytest.mark.parametrize(
    ("name", "body", "expected_count"),
    [("ticket", {}, 1), ("ticket", {"count": 7}, 7), ("order-x", {}, 50), ("order-x", {"count": 3}, 3)],
)
def test_count_defaults_to_one_or_the_block(name, body, expected_count):
    assert parse_request(CONFIG.resolve(name), body, None, CONFIG.max_count).count == expected_count


def test_a_block_larger_than_max_count_is_capped_by_default():
    settings = SequenceSettings("big", mode="block", block_size=500)
    assert parse_request(settings, {}, None, max_count=200).count == 200


@pytest.mark.parametrize(
    ("name", "body", "key", "message"),
    [
        ("ticket", {"count": 0}, None, "at least 1"),
        ("ticket", {"count": 201}, None, "at most 200"),
        ("ticket", {"count": "2"}, None, "must be an integer"),
        ("ticket", {"count": 2.0}, None, "must be an integer"),
        ("ticket", {"extra": 1}, None, "unknown field"),
        ("ticket", {"item": {}}, None, "only by gap-free"),
        ("ticket", {}, "", "idempotency key"),
        ("ticket", {}, "has space", "idempotency key"),
        ("ticket", {}, "é", "idempotency key"),
        ("order-eu-1", {}, None, "only with the 'item'"),
        ("order-eu-1", {"item": {"pk": "a"}, "count": 2}, None, "at most 1"),
        ("order-eu-1", {"item": {"pk": "a"}, "count": 0}, None, "at least 1"),
        ("order-eu-1", {"item": []}, None, "must be a JSON object"),
        ("order-eu-1", {"item": {"pk": True}}, None, "key attribute 'pk'"),
        ("order-eu-1", {"item": {"pk": 1.5}}, None, "key attribute 'pk'"),
        ("order-eu-1", {"item": {"pk": "a", "id": 1}}, None, "must not set 'id'"),
    ],
)
def test_bad_requests_are_refused_with_the_reason(name, body, key, message):
    with pytest.raises(InvalidInput, match=message):
        parse_request(CONFIG.resolve(name), body, key, CONFIG.max_count)


def test_a_gap_free_item_keyed_by_its_id_needs_no_other_key():
    settings = SequenceSettings("inv", mode="gap-free", items=ItemsTarget("t", ("id",), "id"))
    request = parse_request(settings, {"item": {"total": 5}}, "k", 10)
    assert (request.count, request.item, request.idempotency_key) == (1, {"total": 5}, "k")


def test_fingerprint_depends_on_the_request_not_on_key_order():
    assert fingerprint(1, {"a": 1, "b": [1, 2]}) == fingerprint(1, {"b": [1, 2], "a": 1})
    assert fingerprint(1, {"a": 1}) != fingerprint(1, {"a": 2})
    assert fingerprint(2, None) != fingerprint(3, None)


def test_key_records_are_scoped_to_their_sequence():
    assert key_record_id("a", "k") != key_record_id("b", "k")


def test_the_38_digit_ceiling():
    settings = SequenceSettings("s", start=MAX_VALUE - 1)
    assert check_fits(settings, None, 2) == MAX_VALUE
    with pytest.raises(SequenceExhausted):
        check_fits(settings, None, 3)
    with pytest.raises(SequenceExhausted):
        check_fits(settings, MAX_VALUE, 1)
    assert check_fits(SequenceSettings("s", start=0), None, 1) == 0


@given(attempt=st.integers(0, 1000), draw=st.floats(0, 1, exclude_max=True))
def test_backoff_stays_below_its_cap_and_grows_with_attempts(attempt, draw):
    delay = backoff_delay(attempt, lambda: draw, base=0.01, cap=0.5)
    assert 0 <= delay < 0.5
    assert delay <= min(0.5, 0.01 * 2**attempt)


@given(first=st.integers(0, MAX_VALUE - 1000), count=st.integers(1, 1000))
def test_an_id_range_lists_exactly_its_ids(first, count):
    ids = IdRange("s", first, first + count - 1)
    assert ids.count == count == len(list(ids))
    assert list(ids)[0] == first and list(ids)[-1] == ids.last
    assert ids.to_dict()["count"] == count
