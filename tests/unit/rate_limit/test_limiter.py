"""The DynamoDB limiter's decisions against a scripted client: the write it makes per algorithm, a wrong
guess retried from the item DynamoDB returns, refusals without a write, the fail modes, the decorator."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError

from functions.rate_limit.config import Limit, LimiterSettings
from functions.rate_limit.decorator import rate_limited
from functions.rate_limit.exceptions import LimiterUnavailable
from functions.rate_limit.limiter import RateLimiter, check_request
from tests.unit.scripted import ScriptedDynamoDB


def _conditional_failure(item: dict | None) -> ClientError:
    response: dict[str, Any] = {"Error": {"Code": "ConditionalCheckFailedException", "Message": "failed"}}
    if item is not None:
        response["Item"] = item
    return ClientError(response, "UpdateItem")


BUCKET = (Limit("m", 10, 60),)


def _limiter(ddb, limits=BUCKET, **options) -> RateLimiter:
    return RateLimiter(LimiterSettings(table="state", limits=tuple(limits), **options), ddb, clock=lambda: 1000.0)


def test_a_cold_key_is_read_once_then_charged_with_one_conditional_write():
    ddb = ScriptedDynamoDB(get_item=[{}], update_item=[{"Attributes": {"m:tat": {"N": str(1000_000_000 + 6_000_000)}}},
                                               {"Attributes": {"m:tat": {"N": str(1000_000_000 + 12_000_000)}}}])
    limiter = _limiter(ddb)
    first, second = limiter.hit("k"), limiter.hit("k")
    assert (first.allowed, first.remaining, second.remaining) == (True, 9, 8)
    restart, advance = ddb.calls["update_item"]
    assert "attribute_not_exists(#l0tat)" in restart["ConditionExpression"]
    assert advance["UpdateExpression"].startswith("SET #l0tat = #l0tat + :l0inc")
    assert advance["ReturnValuesOnConditionCheckFailure"] == "ALL_OLD"
    assert limiter.stats == {"writes": 2, "failed_writes": 0, "reads": 1}


def test_a_wrong_guess_is_retried_from_the_item_dynamodb_returns():
    full = str(1000_000_000 + 60_000_000)  # another writer emptied the bucket
    ddb = ScriptedDynamoDB(get_item=[{}], update_item=[_conditional_failure({"m:tat": {"N": full}})])
    decision = _limiter(ddb).hit("k")
    assert not decision.allowed and decision.retry_after == pytest.approx(6.0)
    assert len(ddb.calls["update_item"]) == 1 and not ddb.calls["get_item"][1:]  # refused without a write


def test_fixed_window_and_counter_writes_are_conditioned_on_room_not_on_a_version():
    limits = (Limit("w", 5, 60, "fixed_window"), Limit("c", 5, 60, "sliding_counter"))
    item = {"w:n": {"N": "2"}, "w:exp": {"N": str(1030 * 10**6)}, "c:w": {"N": "16"}, "c:c": {"N": "2"},
            "c:p": {"N": "0"}}
    after = {**item, "w:n": {"N": "3"}, "c:c": {"N": "3"}}
    ddb = ScriptedDynamoDB(get_item=[{"Item": item}], update_item=[{"Attributes": after}])
    decision = _limiter(ddb, limits).hit("k")
    assert decision.allowed and decision.remaining == 2
    update = ddb.calls["update_item"][0]
    assert "#l0n = #l0n + :l0cost" in update["UpdateExpression"]
    assert "#l1c = #l1c + :l1cost" in update["UpdateExpression"]
    assert "#l0n <= :l0max" in update["ConditionExpression"] and "#l1c <= :l1max" in update["ConditionExpression"]
    assert update["ExpressionAttributeValues"][":l0max"] == {"N": "4"}
    assert "#ttl = :ttl" in update["UpdateExpression"]


def test_the_sliding_log_writes_its_pruned_log_under_a_version():
    old, recent = {"L": [{"N": str(900 * 10**6)}, {"N": "1"}]}, {"L": [{"N": str(990 * 10**6)}, {"N": "1"}]}
    item = {"l:log": {"L": [old, recent]}, "l:v": {"N": "7"}}
    ddb = ScriptedDynamoDB(get_item=[{"Item": item}], update_item=[{"Attributes": {
        "l:log": {"L": [{"L": [{"N": str(990 * 10**6)}, {"N": "1"}]}, {"L": [{"N": str(1000 * 10**6)}, {"N": "1"}]}]},
        "l:v": {"N": "8"}}}])
    decision = _limiter(ddb, (Limit("l", 3, 60, "sliding_log"),)).hit("k")
    assert decision.allowed and decision.remaining == 1
    values = ddb.calls["update_item"][0]["ExpressionAttributeValues"]
    assert values[":l0v0"] == {"N": "7"} and len(values[":l0log"]["L"]) == 2  # the entry older than 60 s pruned


@pytest.mark.parametrize("error", [
    EndpointConnectionError(endpoint_url="http://nowhere"),
    ClientError({"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "slow down"}}, "GetItem"),
])
def test_fail_closed_refuses_with_503_and_fail_open_admits_degraded(error):
    with pytest.raises(LimiterUnavailable) as refused:
        _limiter(ScriptedDynamoDB(get_item=[error])).hit("k")
    assert refused.value.status == 503 and refused.value.retry_after == 1
    admitted = _limiter(ScriptedDynamoDB(get_item=[error]), fail_mode="open").hit("k")
    assert admitted.allowed and admitted.degraded


def test_a_refused_permission_is_a_bug_not_an_outage():
    denied = ClientError({"Error": {"Code": "AccessDeniedException", "Message": "no"}}, "GetItem")
    with pytest.raises(ClientError):
        _limiter(ScriptedDynamoDB(get_item=[denied]), fail_mode="open").hit("k")


@pytest.mark.parametrize(("key", "cost", "message"), [
    ("", 1, "1 to 1024 bytes"), ("k" * 1025, 1, "1 to 1024 bytes"), ("k", 0, "positive integer"),
    ("k", True, "positive integer"), ("k", 11, "above the limit's capacity of 10"),
])
def test_a_key_or_cost_no_limit_takes_is_refused(key, cost, message):
    with pytest.raises(ValueError, match=message):
        check_request(key, cost, 10)


def test_the_decorator_answers_429_with_the_headers_and_runs_the_handler_otherwise():
    empty = {"m:tat": {"N": str(1000_000_000 + 60_000_000)}}
    # a remembered state that refuses is confirmed by a consistent read, never by a write
    ddb = ScriptedDynamoDB(get_item=[{}, {"Item": empty}], update_item=[{"Attributes": empty}])
    calls = []

    @rate_limited(_limiter(ddb), key=lambda event: event["who"], cost=lambda event: 10)
    def handler(event, context):
        calls.append(event)
        return {"statusCode": 200, "body": "ok"}

    ok = handler({"who": "a"}, None)
    assert ok["statusCode"] == 200 and ok["headers"]["RateLimit"] == '"m";r=0;t=60'
    refused = handler({"who": "a"}, None)
    assert refused["statusCode"] == 429 and refused["headers"]["Retry-After"] == "60"
    assert json.loads(refused["body"])["code"] == "too_many_requests" and len(calls) == 1
    bad = rate_limited(_limiter(ScriptedDynamoDB()), key=lambda event: "")(lambda e, c: None)({}, None)
    assert bad["statusCode"] == 400
