"""SequenceClient's decisions against a scripted DynamoDB: gap-free retries and give-up, duplicate
items, idempotent replays and races, the ceiling, and block leasing."""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest
from botocore.exceptions import ClientError

from functions.common.validation import InvalidInput
from functions.sequence.client import SequenceClient
from functions.sequence.config import GeneratorConfig, ItemsTarget, SequenceSettings
from functions.sequence.exceptions import Contention, IdempotencyKeyReused, ItemExists, SequenceExhausted
from functions.sequence.sequences import fingerprint
from tests.unit.scripted import ScriptedDynamoDB

CONFIG = GeneratorConfig(
    counters_table="counters", keys_table="keys",
    sequences=(SequenceSettings("inv", mode="gap-free", items=ItemsTarget("items", ("pk",), "id")),
     SequenceSettings("tix", start=10), SequenceSettings("ord", mode="block", block_size=3)),
    max_attempts=4,
)
NOW = 1_000_000


def _error(code: str, operation: str, **extra: Any) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": code}, **extra}, operation)


def _canceled(*reasons: dict) -> ClientError:
    return _error("TransactionCanceledException", "TransactWriteItems", CancellationReasons=list(reasons))


def _client(ddb) -> tuple[SequenceClient, list[float]]:
    slept: list[float] = []
    return SequenceClient(CONFIG, ddb, sleep=slept.append, rand=lambda: 0.5, clock=lambda: NOW), slept


def _counter(value: int) -> dict:
    return {"Item": {"name": {"S": "inv"}, "value": {"N": str(value)}}}


def test_gap_free_retries_after_backoff_from_the_value_another_writer_committed():
    ddb = ScriptedDynamoDB(
        get_item=[_counter(4)],
        transact_write_items=[_canceled({"Code": "ConditionalCheckFailed", "Item": {"value": {"N": "5"}}},
                                        {"Code": "None"}), {}],
    )
    client, slept = _client(ddb)

    ids = client.next("inv", item={"pk": "a", "total": 1.25})

    assert (ids.first, ids.last) == (6, 6)
    first, second = (call["TransactItems"] for call in ddb.calls["transact_write_items"])
    assert first[0]["Update"]["ExpressionAttributeValues"] == {":next": {"N": "5"}, ":expected": {"N": "4"}}
    assert second[0]["Update"]["ExpressionAttributeValues"] == {":next": {"N": "6"}, ":expected": {"N": "5"}}
    assert second[0]["Update"]["ConditionExpression"] == "#v = :expected"
    put = second[1]["Put"]
    assert put["Item"] == {"pk": {"S": "a"}, "total": {"N": "1.25"}, "id": {"N": "6"}}
    assert put["ConditionExpression"] == "attribute_not_exists(#k)" and put["ExpressionAttributeNames"] == {"#k": "pk"}
    assert first[0]["Update"]["ReturnValuesOnConditionCheckFailure"] == "ALL_OLD"
    assert len(ddb.calls["get_item"]) == 1  # the cancellation carried the new value: no extra read
    assert len(slept) == 1 and 0 < slept[0] < 0.25  # jittered: half of the first backoff step


def test_gap_free_first_id_creates_the_counter_only_if_absent():
    ddb = ScriptedDynamoDB(get_item=[{}], transact_write_items=[{}])
    client, _ = _client(ddb)
    assert client.next("inv", item={"pk": "a"}).first == 1
    update = ddb.calls["transact_write_items"][0]["TransactItems"][0]["Update"]
    assert update["ConditionExpression"] == "attribute_not_exists(#v)"


def test_gap_free_transaction_conflict_reads_again_after_backoff():
    ddb = ScriptedDynamoDB(
        get_item=[_counter(1), _counter(3)],
        transact_write_items=[_canceled({"Code": "TransactionConflict"}, {"Code": "None"}), {}],
    )
    client, slept = _client(ddb)
    assert client.next("inv", item={"pk": "a"}).first == 4
    assert len(slept) == 1 and len(ddb.calls["get_item"]) == 2


def test_gap_free_duplicate_item_takes_no_number_and_is_not_retried():
    ddb = ScriptedDynamoDB(
        get_item=[_counter(7)],
        transact_write_items=[_canceled({"Code": "None"}, {"Code": "ConditionalCheckFailed"})],
    )
    client, _ = _client(ddb)
    with pytest.raises(ItemExists, match="no number was consumed"):
        client.next("inv", item={"pk": "dup"})
    assert len(ddb.calls["transact_write_items"]) == 1


def test_gap_free_item_refused_by_the_table_is_bad_input():
    ddb = ScriptedDynamoDB(
        get_item=[_counter(7)],
        transact_write_items=[_canceled({"Code": "None"}, {"Code": "ValidationError", "Message": "type mismatch"})],
    )
    client, _ = _client(ddb)
    with pytest.raises(InvalidInput, match="type mismatch"):
        client.next("inv", item={"pk": "a"})


def test_gap_free_gives_up_after_max_attempts_reading_afresh_once_the_backoff_is_long():
    config = GeneratorConfig.from_document({**json.loads(CONFIG.to_json()), "max_attempts": 10})
    moved = _canceled({"Code": "ConditionalCheckFailed", "Item": {"value": {"N": "9"}}}, {"Code": "None"})
    ddb = ScriptedDynamoDB(get_item=[_counter(8)] * 3, transact_write_items=[moved] * 10)
    client = SequenceClient(config, ddb, sleep=lambda _: None, rand=lambda: 0.5, clock=lambda: NOW)
    with pytest.raises(Contention, match="retry later"):
        client.next("inv", item={"pk": "a"})
    assert len(ddb.calls["transact_write_items"]) == 10
    assert len(ddb.calls["get_item"]) == 1 + 2  # the first read, then one after each of attempts 9 and 10


def _key_record(first: int, last: int, fp: str, expires_at: int = NOW + 60) -> dict:
    return {"Item": {"key": {"S": "x"}, "first": {"N": str(first)}, "last": {"N": str(last)},
                     "fingerprint": {"S": fp}, "expires_at": {"N": str(expires_at)}}}


def test_gap_free_key_written_in_the_same_transaction_and_a_racing_retry_replays():
    item = {"pk": "a"}
    ddb = ScriptedDynamoDB(
        get_item=[{}, _counter(2), _key_record(3, 3, fingerprint(1, item))],
        transact_write_items=[_canceled({"Code": "ConditionalCheckFailed", "Item": {"value": {"N": "3"}}},
                                        {"Code": "None"}, {"Code": "ConditionalCheckFailed"})],
    )
    client, _ = _client(ddb)
    ids = client.next("inv", item=item, idempotency_key="k")
    assert (ids.first, ids.replayed) == (3, True)
    key_put = ddb.calls["transact_write_items"][0]["TransactItems"][2]["Put"]
    assert key_put["TableName"] == "keys" and key_put["Item"]["key"] == {"S": "inv#k"}
    assert key_put["Item"]["expires_at"] == {"N": str(NOW + CONFIG.key_ttl_seconds)}


def test_atomic_increment_applies_the_start_and_the_ceiling():
    ddb = ScriptedDynamoDB(update_item=[{"Attributes": {"value": {"N": "14"}}}])
    client, _ = _client(ddb)
    ids = client.next("tix", 5)
    assert (ids.first, ids.last) == (10, 14)
    params = ddb.calls["update_item"][0]
    assert params["UpdateExpression"] == "SET #v = if_not_exists(#v, :base) + :count"
    assert params["ExpressionAttributeValues"][":base"] == {"N": "9"}
    assert params["ExpressionAttributeValues"][":limit"] == {"N": str(10**38 - 1 - 5)}


def test_atomic_at_the_ceiling_is_exhausted():
    ddb = ScriptedDynamoDB(update_item=[_error("ConditionalCheckFailedException", "UpdateItem")])
    client, _ = _client(ddb)
    with pytest.raises(SequenceExhausted):
        client.next("tix")


def test_atomic_idempotent_retry_replays_without_incrementing():
    ddb = ScriptedDynamoDB(get_item=[_key_record(20, 21, fingerprint(2, None))])
    client, _ = _client(ddb)
    ids = client.next("tix", 2, idempotency_key="k")
    assert (ids.first, ids.last, ids.replayed) == (20, 21, True)
    assert "update_item" not in ddb.calls


def test_atomic_keyed_request_claims_the_key_then_moves_the_counter_then_completes_the_claim():
    ddb = ScriptedDynamoDB(get_item=[{}], put_item=[{}],
                           update_item=[{"Attributes": {"value": {"N": "12"}}}, {}])
    client, _ = _client(ddb)
    ids = client.next("tix", idempotency_key="k")
    assert (ids.first, ids.last, ids.replayed) == (12, 12, False)
    claim = ddb.calls["put_item"][0]
    assert claim["Item"]["status"] == {"S": "in-progress"} and claim["Item"]["key"] == {"S": "tix#k"}
    assert claim["Item"]["expires_at"] == {"N": str(NOW + 30)}  # a dead holder's claim frees itself
    assert claim["ConditionExpression"] == "attribute_not_exists(#k) OR #exp < :now"
    completed = ddb.calls["update_item"][1]
    assert completed["ExpressionAttributeValues"][":first"] == {"N": "12"}
    assert completed["ExpressionAttributeValues"][":exp"] == {"N": str(NOW + CONFIG.key_ttl_seconds)}
    assert "REMOVE #s" in completed["UpdateExpression"]


def test_a_copy_finding_the_key_claimed_waits_for_the_holders_ids_and_takes_no_number():
    in_progress = _key_record(0, 0, fingerprint(1, None))
    in_progress["Item"]["status"] = {"S": "in-progress"}
    ddb = ScriptedDynamoDB(get_item=[{}, in_progress, _key_record(11, 11, fingerprint(1, None))],
                           put_item=[_error("ConditionalCheckFailedException", "PutItem")])
    client, slept = _client(ddb)
    ids = client.next("tix", idempotency_key="k")
    assert (ids.first, ids.replayed) == (11, True)
    assert "update_item" not in ddb.calls and len(slept) == 1  # the counter never moved for this copy


def test_a_copy_that_waits_too_long_is_told_to_retry():
    in_progress = _key_record(0, 0, fingerprint(1, None))
    in_progress["Item"]["status"] = {"S": "in-progress"}
    ddb = ScriptedDynamoDB(get_item=[{}] + [in_progress] * 12,
                           put_item=[_error("ConditionalCheckFailedException", "PutItem")])
    client, _ = _client(ddb)
    with pytest.raises(Contention, match="being processed"):
        client.next("tix", idempotency_key="k")


def test_a_failed_increment_frees_the_key_for_the_retry():
    ddb = ScriptedDynamoDB(get_item=[{}], put_item=[{}], delete_item=[{}],
                           update_item=[_error("ProvisionedThroughputExceededException", "UpdateItem")])
    client, _ = _client(ddb)
    with pytest.raises(ClientError):
        client.next("tix", idempotency_key="k")
    assert ddb.calls["delete_item"][0]["Key"] == {"key": {"S": "tix#k"}}


def test_key_reused_for_another_request_is_refused_and_expired_keys_are_ignored():
    client, _ = _client(ScriptedDynamoDB(get_item=[_key_record(1, 1, "other")]))
    with pytest.raises(IdempotencyKeyReused):
        client.next("tix", idempotency_key="k")
    ddb = ScriptedDynamoDB(get_item=[_key_record(1, 1, "other", expires_at=NOW - 1)], put_item=[{}],
                           update_item=[{"Attributes": {"value": {"N": "30"}}}, {}])
    client, _ = _client(ddb)
    assert client.next("tix", idempotency_key="k").first == 30


class CountingCounter:
    """A thread-safe in-memory counter answering UpdateItem like DynamoDB."""

    def __init__(self) -> None:
        self.value, self.writes, self.lock = 0, 0, threading.Lock()

    def update_item(self, **params):
        with self.lock:
            self.writes += 1
            base = int(params["ExpressionAttributeValues"][":base"]["N"])
            self.value = (self.value or base) + int(params["ExpressionAttributeValues"][":count"]["N"])
            return {"Attributes": {"value": {"N": str(self.value)}}}


def test_block_allocator_leases_once_per_block_and_never_repeats_across_threads():
    ddb = CountingCounter()
    client = SequenceClient(CONFIG, ddb)
    allocators = [client.allocator("ord") for _ in range(3)]
    taken: list[int] = []
    lock = threading.Lock()

    def work(allocator):
        for _ in range(30):
            value = allocator.next()
            with lock:
                taken.append(value)

    threads = [threading.Thread(target=work, args=(a,)) for a in allocators for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(taken) == len(set(taken)) == 180
    assert ddb.writes == 180 // 3 == sum(a.leases for a in allocators)
    assert client.allocator("ord", 10).block_size == 10
    with pytest.raises(InvalidInput):
        client.allocator("ord", 0)
