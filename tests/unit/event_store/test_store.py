"""EventLog's decisions against a scripted DynamoDB: what one append writes, a lost race on the log
counter retried from a fresh read, a moved stream head final, contention given up by name."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from functions.event_store.exceptions import Contention, VersionConflict
from functions.event_store.store import EventLog, NewEvent
from tests.unit.scripted import ScriptedDynamoDB


def _canceled(*codes: str) -> ClientError:
    return ClientError({"Error": {"Code": "TransactionCanceledException", "Message": "canceled"},
                        "CancellationReasons": [{"Code": c} for c in codes]}, "TransactWriteItems")


def _counter(last: int | None) -> dict:
    return {"Item": {"last": {"N": str(last)}}} if last is not None else {}


EVENTS = [NewEvent("a", 4, "T", b"1"), NewEvent("a", 5, "T", b"2"), NewEvent("b", 1, "T", b"3")]


def _log(ddb, **options) -> tuple[EventLog, list[float]]:
    slept: list[float] = []
    return EventLog("events", ddb, sleep=slept.append, rand=lambda: 0.5, **options), slept


def test_one_append_is_one_transaction_of_counter_heads_commits_and_the_log_item():
    ddb = ScriptedDynamoDB(get_item=[_counter(7)], transact_write_items=[{}])
    log, _ = _log(ddb)

    assert log.append(EVENTS) == [8, 9, 10]

    [call] = ddb.calls["transact_write_items"]
    items = call["TransactItems"]
    assert len(items) == 6  # counter, head + commit per stream (2 streams), the log item
    counter, head_a, commit_a, head_b, commit_b, log_item = items
    assert counter["Update"]["ConditionExpression"] == "#last = :last"
    assert counter["Update"]["ExpressionAttributeValues"] == {":next": {"N": "10"}, ":last": {"N": "7"}}
    assert head_a["Update"]["ExpressionAttributeValues"] == {":final": {"N": "5"}, ":before": {"N": "3"}}
    assert head_b["Update"]["ExpressionAttributeValues"] == {":final": {"N": "1"}, ":before": {"N": "0"}}
    assert commit_a["Put"]["Item"]["sk"] == {"N": "4"}
    assert [e["M"]["p"]["N"] for e in commit_a["Put"]["Item"]["events"]["L"]] == ["8", "9"]
    assert commit_b["Put"]["Item"]["events"]["L"][0]["M"]["p"] == {"N": "10"}
    assert log_item["Put"]["Item"]["pk"] == {"S": "log#0"} and log_item["Put"]["Item"]["sk"] == {"N": "8"}


def test_a_lost_race_on_the_counter_is_retried_from_a_fresh_read():
    ddb = ScriptedDynamoDB(get_item=[_counter(None), _counter(3)],
                           transact_write_items=[_canceled("ConditionalCheckFailed", "None", "None", "None"), {}])
    log, slept = _log(ddb)

    assert log.append([NewEvent("a", 1, "T", b"")]) == [4]
    first, second = ddb.calls["transact_write_items"]
    assert first["TransactItems"][0]["Update"]["ConditionExpression"] == "attribute_not_exists(#last)"
    assert second["TransactItems"][0]["Update"]["ExpressionAttributeValues"][":last"] == {"N": "3"}
    assert len(slept) == 1


def test_a_moved_stream_head_is_a_conflict_at_once_even_if_the_counter_moved_too():
    ddb = ScriptedDynamoDB(get_item=[_counter(3)], transact_write_items=[
        _canceled("ConditionalCheckFailed", "None", "None", "ConditionalCheckFailed", "None", "None")])
    log, slept = _log(ddb)

    with pytest.raises(VersionConflict, match="stream b"):
        log.append(EVENTS)
    assert slept == []


def test_contention_is_given_up_by_name_after_max_attempts():
    lost = _canceled("ConditionalCheckFailed", "None", "None", "None")
    ddb = ScriptedDynamoDB(get_item=[_counter(1)] * 3, transact_write_items=[lost] * 3)
    log, slept = _log(ddb, max_attempts=3)

    with pytest.raises(Contention) as refused:
        log.append([NewEvent("a", 1, "T", b"")])
    assert refused.value.status == 503 and len(slept) == 3
