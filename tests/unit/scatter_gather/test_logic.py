"""Scatter-gather's pure logic: strategies, request and reply validation, amount ranges, results."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from functions.common.validation import InvalidInput
from functions.scatter_gather.messages import InvalidReply, accepts, parse_quote_request, parse_reply
from functions.scatter_gather.provider import quote_provider
from functions.scatter_gather.store import public_view, result_of, to_dynamo, to_plain
from functions.scatter_gather.strategies import (
    BestByRate,
    FirstReplies,
    Strategy,
    UnknownStrategy,
    strategy_from,
)

CID = "0d6f5c52-8f1e-4a57-9d0c-5f4f7c1f0a11"

replies_strategy = st.dictionaries(
    st.from_regex(r"bank-[a-z]{1,6}", fullmatch=True),
    st.fixed_dictionaries({"rate": st.floats(0.01, 99, allow_nan=False), "receivedAt": st.floats(0, 1e9)}),
    max_size=12,
)


@given(replies_strategy, st.integers(1, 20))
def test_best_n_are_the_lowest_rates_in_order(replies, n):
    chosen = BestByRate(count=n).select(replies)
    assert len(chosen) == min(n, len(replies))
    rates = [q["rate"] for q in chosen]
    assert rates == sorted(rates)
    others = [q["rate"] for pid, q in replies.items() if pid not in {c["providerId"] for c in chosen}]
    assert all(r <= o for r in rates for o in others)


@given(replies_strategy, st.integers(1, 20))
def test_first_m_are_the_earliest_replies(replies, m):
    chosen = FirstReplies(count=m).select(replies)
    assert len(chosen) == min(m, len(replies))
    arrivals = [q["receivedAt"] for q in chosen]
    assert arrivals == sorted(arrivals)
    later = [q["receivedAt"] for pid, q in replies.items() if pid not in {c["providerId"] for c in chosen}]
    assert all(a <= b for a in arrivals for b in later)


@given(replies_strategy)
def test_all_returns_every_quote_with_its_provider(replies):
    chosen = Strategy().select(replies)
    assert sorted(q["providerId"] for q in chosen) == sorted(replies)


@pytest.mark.parametrize(
    ("strategy", "replies", "expected", "enough"),
    [
        (Strategy(), 4, 5, False), (Strategy(), 5, 5, True), (Strategy(), 0, 0, True),
        (BestByRate(count=2), 4, 5, False), (BestByRate(count=2), 5, 5, True),
        (FirstReplies(count=2), 1, 5, False), (FirstReplies(count=2), 2, 5, True),
        (FirstReplies(count=9), 3, 3, True),  # fewer providers than asked for: all of them is enough
    ],
)
def test_when_a_strategy_has_enough(strategy, replies, expected, enough):
    assert strategy.enough(replies, expected) is enough


def test_strategy_names_and_counts():
    assert strategy_from({}) == Strategy()
    assert strategy_from({"strategy": "best"}) == BestByRate(count=3)
    assert strategy_from({"strategy": "first", "count": 2}).to_dict() == {"name": "first", "count": 2}
    assert strategy_from({"name": "best", "count": 1}) == BestByRate(count=1)  # as stored on an aggregate
    for bad in ({"strategy": "cheapest"}, {"strategy": 3}, {"strategy": "best", "count": 0},
                {"strategy": "first", "count": True}, {"strategy": "best", "count": 101}, {"count": 2}):
        with pytest.raises(UnknownStrategy):
            strategy_from(bad)


def test_a_valid_request():
    request = parse_quote_request('{"amount": 2500.5, "term": 36, "strategy": "best", "count": 2}', 6, 60)
    assert (request.amount, request.term, request.strategy, request.deadline_seconds) == (
        2500.5, 36, BestByRate(count=2), 6)
    assert parse_quote_request('{"amount": 1, "term": 1, "deadlineSeconds": 60}', 6, 60).deadline_seconds == 60
    assert request.to_message(CID) == {"correlationId": CID, "amount": 2500.5, "term": 36}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (None, "body is empty"),
        ('{"term": 12}', "'amount' is required"),
        ('{"amount": 10}', "'term' is required"),
        ('{"amount": -1, "term": 12}', "must be positive"),
        ('{"amount": 0, "term": 12}', "must be positive"),
        ('{"amount": true, "term": 12}', "must be a number"),
        ('{"amount": 1e12, "term": 12}', "at most"),
        ('{"amount": 10, "term": 0}', "from 1 to 600"),
        ('{"amount": 10, "term": "12"}', "whole number"),
        ('{"amount": 10, "term": 12, "strategy": "x"}', "unknown strategy"),
        ('{"amount": 10, "term": 12, "deadlineSeconds": 61}', "at most 60"),
        ('{"amount": 10, "term": 12, "deadlineSeconds": 0}', "at least 1"),
        ('{"amount": 10, "term": 12, "bank": "x"}', "unknown field(s): bank"),
    ],
)
def test_an_invalid_request_says_what_is_wrong(body, message):
    with pytest.raises(InvalidInput, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_quote_request(body, 6, 60)


def test_a_valid_reply_keeps_small_extra_fields_only():
    reply = parse_reply(f'{{"correlationId": "{CID}", "providerId": "bank-a", "rate": 3.2, "offer": "A-1",'
                        ' "blob": {"nested": 1}}')
    assert reply == {"correlationId": CID, "providerId": "bank-a", "rate": 3.2, "offer": "A-1"}
    assert parse_reply({"correlationId": CID, "rate": 4}, provider_id="bank-b")["providerId"] == "bank-b"


@pytest.mark.parametrize(
    ("raw", "provider", "reason"),
    [
        ("{nope", None, "not valid JSON"),
        ("[1]", None, "must be a JSON object"),
        ('{"providerId": "b", "rate": 3}', None, "invalid correlation id"),
        (f'{{"correlationId": "{CID}", "rate": 3}}', None, "invalid providerId"),
        (f'{{"correlationId": "{CID}", "providerId": "b", "rate": 0}}', None, "between 0 and 100"),
        (f'{{"correlationId": "{CID}", "providerId": "b", "rate": "3"}}', None, "between 0 and 100"),
        (f'{{"correlationId": "{CID}", "providerId": "b", "rate": 3}}', "c", "came from 'c'"),
    ],
)
def test_an_invalid_reply_gives_the_reason(raw, provider, reason):
    with pytest.raises(InvalidReply, match=reason):
        parse_reply(raw, provider_id=provider)


@pytest.mark.parametrize(
    ("entry", "amount", "accepted"),
    [
        ({}, 1, True), ({"minAmount": 1_000_000}, 999_999, False), ({"minAmount": 1_000_000}, 1_000_000, True),
        ({"maxAmount": 999_999}, 999_999, True), ({"maxAmount": 999_999}, 999_999.5, False),
        ({"minAmount": Decimal("10"), "maxAmount": Decimal("20")}, 15, True),
    ],
)
def test_amount_ranges_are_inclusive(entry, amount, accepted):
    assert accepts(entry, amount) is accepted


def test_result_lists_quotes_by_strategy_and_the_missing():
    item = {
        "correlationId": CID, "status": "complete", "strategy": {"name": "best", "count": 1},
        "providers": ["a", "b", "c"], "replyCount": Decimal(2),
        "replies": {"a": {"rate": Decimal("4.5"), "receivedAt": Decimal(1)},
                    "b": {"rate": Decimal("3.9"), "receivedAt": Decimal(2)}},
    }
    result = result_of(item, "deadline")
    assert result == {"quotes": [{"rate": 3.9, "receivedAt": 2, "providerId": "b"}], "missing": ["c"],
                      "replyCount": 2, "expected": 3, "completedBy": "deadline"}
    view = public_view({**item, "result": result, "late": {"c": {"rate": 1}}, "completedAt": Decimal(9)})
    assert (view["replied"], view["late"], view["result"], view["completedAt"]) == (["a", "b"], ["c"], result, 9)


def test_numbers_round_trip_through_dynamodb_types():
    value = {"rate": 3.95, "n": 5, "list": [1.5, {"x": 2}]}
    assert to_dynamo(value) == {"rate": Decimal("3.95"), "n": 5, "list": [Decimal("1.5"), {"x": 2}]}
    assert to_plain(to_dynamo(value)) == value


def test_a_provider_invoked_directly_replies_with_its_quote():
    handler = quote_provider("bank-a", lambda request: {"rate": request["term"] / 10})
    assert handler({"correlationId": CID, "amount": 10, "term": 36}, None) == {
        "rate": 3.6, "correlationId": CID, "providerId": "bank-a"}
