"""The consumers' rules, with an in-memory status store: processed once, failures counted with their
reason, a request that keeps failing parked with the reason, redeliveries skipped; records of each
target read back as the request stored."""

from __future__ import annotations

import json
from typing import Any

import pytest

from functions.storage_first.config import StorageFirstConfig, TargetSettings
from functions.storage_first.processing import (
    Consumer,
    StoredRequest,
    from_queue_record,
    from_stream_record,
)

ORDERS = TargetSettings("orders", "sqs", "arn:aws:sqs:us-east-1:1:orders", "dlq-url")
EVENTS = TargetSettings("events", "eventbridge", "arn:aws:sqs:us-east-1:1:events", "dlq-url")
UPLOADS = TargetSettings("uploads", "s3", "arn:aws:sqs:us-east-1:1:uploads", "dlq-url")
PAYMENTS = TargetSettings("payments", "dynamodb", "arn:aws:dynamodb:us-east-1:1:table/payments", "dlq-url", 5)


class MemoryStore:
    def __init__(self) -> None:
        self.items: dict[tuple[str, str], dict[str, Any]] = {}

    def status(self, target: str, request_id: str) -> dict[str, Any] | None:
        return self.items.get((target, request_id))

    def failed(self, request: StoredRequest, reason: str) -> int:
        item = self.items.setdefault((request.target, request.id), {"attempts": 0})
        item.update(status="retrying", reason=reason, attempts=item["attempts"] + 1)
        return item["attempts"]

    def settle(self, request: StoredRequest, status: str, reason: str | None = None) -> None:
        item = self.items.setdefault((request.target, request.id), {"attempts": 0})
        item["status"] = status
        if reason:
            item["reason"] = reason


def _request(body: dict, request_id: str = "r-1") -> StoredRequest:
    return StoredRequest("orders", request_id, json.dumps(body), None, 0.0)


def _consumer(processor, attempts: int = 2):
    store, parked = MemoryStore(), []
    return Consumer(store, processor, lambda r, why: parked.append((r.id, why)), lambda _: attempts), store, parked


def test_a_request_is_processed_once_and_a_redelivery_skipped():
    seen = []
    consumer, store, _ = _consumer(seen.append)
    assert consumer.process(_request({"a": 1})) == "processed"
    assert consumer.process(_request({"a": 1})) == "skipped"
    assert len(seen) == 1 and store.items[("orders", "r-1")]["status"] == "processed"


def test_a_failure_is_retried_with_its_reason_then_parked_at_max_attempts():
    def fail(request):
        raise ValueError("no such sku")

    consumer, store, parked = _consumer(fail, attempts=2)
    with pytest.raises(ValueError):
        consumer.process(_request({}))
    assert store.items[("orders", "r-1")] == {"attempts": 1, "status": "retrying", "reason": "ValueError: no such sku"}
    assert consumer.process(_request({})) == "dead_lettered"
    assert parked == [("r-1", "ValueError: no such sku")]
    assert consumer.process(_request({})) == "skipped"  # a late redelivery of a parked request


def test_a_failure_then_success_is_processed():
    calls = []

    def flaky(request):
        calls.append(request)
        if len(calls) == 1:
            raise ConnectionError("down")

    consumer, store, parked = _consumer(flaky, attempts=3)
    with pytest.raises(ConnectionError):
        consumer.process(_request({}))
    assert consumer.process(_request({})) == "processed" and not parked


def test_queue_records_of_each_kind_read_back_as_the_request_stored():
    sqs = {"messageId": "m-1", "body": '{"sku": "A"}', "attributes": {"SentTimestamp": "1700000000000",
                                                                      "ApproximateReceiveCount": "2"},
           "messageAttributes": {"idempotency-key": {"stringValue": "k"}}}
    assert from_queue_record(sqs, ORDERS) == StoredRequest("orders", "m-1", '{"sku": "A"}', "k", 1700000000.0, 2)
    event = {"id": "e-1", "detail": {"a": "é"}, "source": "storage-first.events"}
    record = {"messageId": "m-2", "body": json.dumps(event), "attributes": {"SentTimestamp": "1000"}}
    request = from_queue_record(record, EVENTS)
    assert (request.id, request.json(), request.attempt) == ("e-1", {"a": "é"}, 1)


def test_a_bucket_notification_reads_back_as_the_object_stored_and_the_test_event_as_nothing():
    notification = {"Records": [{"s3": {"bucket": {"name": "b"}, "object": {"key": "req+1%2F2", "size": 3}}}]}
    record = {"messageId": "m", "body": json.dumps(notification), "attributes": {"ApproximateReceiveCount": "3"}}
    read = []
    request = from_queue_record(record, UPLOADS, lambda bucket, key: read.append((bucket, key)) or "{}")
    assert request == StoredRequest("uploads", "req 1/2", "{}", None, 0.0, 3) and read == [("b", "req 1/2")]
    test_event = {"messageId": "m", "body": json.dumps({"Service": "Amazon S3", "Event": "s3:TestEvent"})}
    assert from_queue_record(test_event, UPLOADS, lambda bucket, key: "") is None


def test_stream_records_read_back_as_the_item_stored():
    record = {"dynamodb": {"NewImage": {"id": {"S": "k-1"}, "body": {"S": '{"n": 1}'},
                                        "received_at": {"N": "1700000000500"}}}}
    assert from_stream_record(record, PAYMENTS) == StoredRequest("payments", "k-1", '{"n": 1}', "k-1", 1700000000.5)


def test_config_finds_the_target_of_a_queue_or_a_stream_and_its_retry_budget():
    config = StorageFirstConfig(targets={t.name: t for t in (ORDERS, EVENTS, PAYMENTS)}, status_table="s")
    assert config.target_for("arn:aws:sqs:us-east-1:1:orders") is ORDERS
    assert config.target_for("arn:aws:dynamodb:us-east-1:1:table/payments/stream/2026") is PAYMENTS
    assert (config.attempts_for("orders"), config.attempts_for("payments")) == (3, 5)
    with pytest.raises(LookupError):
        config.target_for("arn:aws:sqs:us-east-1:1:other")
    assert StorageFirstConfig.from_json(config.to_json()) == config
    with pytest.raises(ValueError):
        StorageFirstConfig(targets={}, status_table="s")
