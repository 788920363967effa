"""The SQS route end to end through API Gateway (no Lambda in the request path): 202 with the stored
request's id, the stored bytes equal to those sent, API Gateway's own refusals before anything is
stored, and the consumer's outcome through the status route."""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor

import boto3
import pytest

from tests.e2e.storage_first.support import dead_letters, digest, downstream_down, unique_key
from tests.e2e.support import wait_until

CONCURRENT = 100
OUTAGE_SECONDS = 12


def test_valid_post_is_202_with_the_id_and_the_stored_bytes_are_those_sent(client):
    sent = b'{"sku": "A-1",  "quantity": 2, "note": "spaces  and \\"quotes\\" kept"}'

    response = client.store("orders", sent)

    assert response.status_code == 202, response.text
    accepted = response.json()
    assert accepted["status"] == "accepted" and accepted["id"]
    outcome = client.outcome("orders", accepted["id"])
    assert outcome["status"] == "processed", outcome
    assert (outcome["body_sha256"], outcome["body_bytes"]) == (digest(sent), len(sent))


@pytest.mark.parametrize(("body", "content_type", "status", "code"), [
    (b'{"sku": "A-1"}', "application/json", 400, "BAD_REQUEST_BODY"),                   # schema: no quantity
    (b'{"sku": "A-1", "quantity": 0}', "application/json", 400, "BAD_REQUEST_BODY"),    # schema: minimum
    (b'{"sku": "A-1", "quantity": "2"}', "application/json", 400, "BAD_REQUEST_BODY"),  # schema: a string
    (b"sku=A-1&quantity=2", "application/json", 400, "BAD_REQUEST_BODY"),                # not JSON
    (b'[{"sku": "A-1", "quantity": 2}]', "application/json", 400, "BAD_REQUEST_BODY"),  # not an object
    (b'{"sku": "A-1", "quantity": 2}', "text/plain", 415, "UNSUPPORTED_MEDIA_TYPE"),    # no template for it
], ids=["missing-field", "below-minimum", "wrong-type", "not-json", "array", "text-plain"])
def test_bad_input_is_refused_by_api_gateway_with_a_message_and_nothing_is_stored(
        client, outputs, body, content_type, status, code):
    before = _queued(outputs["target_queue_urls"]["orders"])

    response = client.store("orders", body, headers={"Content-Type": content_type})

    assert response.status_code == status, response.text
    error = response.json()
    assert error["code"] == code and error["message"], error
    assert _queued(outputs["target_queue_urls"]["orders"]) <= before


def test_oversized_body_is_413_with_the_limit_and_nothing_is_stored(client):
    body = {"sku": "A-1", "quantity": 1, "blob": "x" * (64 * 1024)}

    response = client.store("orders", body)

    assert response.status_code == 413, response.text
    assert response.json() == {"message": "the queue refused the request: the body is over 65536 bytes; nothing "
                                          "stored", "code": "payload_too_large"}


def test_fifo_route_requires_an_idempotency_key(client):
    response = client.store("ledger", {"entry": 1})

    assert response.status_code == 400, response.text
    assert "Idempotency-Key" in response.json()["message"]


def test_a_repeated_idempotency_key_on_the_fifo_route_stores_one_request(client, outputs):
    key = unique_key()

    first = client.store("ledger", {"entry": key}, key=key)
    again = client.store("ledger", {"entry": key}, key=key)

    assert (first.status_code, again.status_code) == (202, 202), (first.text, again.text)
    assert first.json()["id"] == again.json()["id"]  # SQS deduplicated it: the same message
    assert client.outcome("ledger", first.json()["id"])["status"] == "processed"


def test_concurrent_requests_are_all_stored_and_processed_none_lost(client):
    bodies = [{"sku": f"C-{i}", "quantity": 1 + i % 7} for i in range(CONCURRENT)]

    with ThreadPoolExecutor(max_workers=16) as pool:
        responses = list(pool.map(lambda body: client.store("orders", body), bodies))

    assert [r.status_code for r in responses] == [202] * CONCURRENT, [r.text for r in responses if r.status_code != 202]
    ids = [r.json()["id"] for r in responses]
    assert len(set(ids)) == CONCURRENT
    outcomes = wait_until(lambda: (found := client.outcomes("orders", ids)) and len(found) == CONCURRENT and found,
                          40, what=f"{CONCURRENT} outcomes")
    assert set(outcomes.values()) == {"processed"}


def test_a_failing_request_goes_to_the_dlq_with_its_reason_and_the_others_are_processed(client, outputs):
    poison = json.dumps({"sku": "P-1", "quantity": 1, "fail": "poison request"}).encode()
    with ThreadPoolExecutor(max_workers=4) as pool:
        responses = list(pool.map(lambda body: client.store("orders", body),
                                  [b'{"sku": "G-1", "quantity": 1}', poison, b'{"sku": "G-2", "quantity": 1}']))
    assert [r.status_code for r in responses] == [202] * 3
    good, bad, other = (r.json()["id"] for r in responses)

    parked = client.outcome("orders", bad)

    assert parked["status"] == "dead_lettered" and parked["attempts"] == 2, parked
    assert parked["reason"] == "ProcessingFailed: poison request"
    letters = wait_until(lambda: bad in (found := dead_letters(outputs["target_dlq_urls"]["orders"])) and found,
                         10, what="the request in the DLQ")
    assert letters[bad]["body"].encode() == poison
    assert letters[bad]["rejected-reason"] == "ProcessingFailed: poison request"
    assert {client.outcome("orders", i)["status"] for i in (good, other)} == {"processed"}


def test_requests_are_accepted_while_the_downstream_is_down_and_processed_after_it_recovers(client, outputs):
    # "A minute" compressed to ~12 s: the tasks target gives each request 40 attempts a second apart.
    with downstream_down(outputs["worker_function_name"]):
        started = time.monotonic()
        responses = [client.store("tasks", {"job": i}) for i in range(5)]
        assert [r.status_code for r in responses] == [202] * 5  # answered at once, the processor down
        ids = [r.json()["id"] for r in responses]
        wait_until(lambda: set(client.outcomes("tasks", ids).values()) == {"retrying"}, 15,
                   what="every request to have failed at least once")
        time.sleep(max(0.0, OUTAGE_SECONDS - (time.monotonic() - started)))
        assert set(client.outcomes("tasks", ids).values()) == {"retrying"}

    outcomes = wait_until(lambda: (found := client.outcomes("tasks", ids)) and set(found.values()) == {"processed"}
                          and found, 20, what="every request processed after the recovery")
    assert len(outcomes) == 5
    assert all(client.status("tasks", i).json()["attempts"] >= 2 for i in ids)


def _queued(queue_url: str) -> int:
    attributes = boto3.client("sqs").get_queue_attributes(
        QueueUrl=queue_url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])
    return sum(int(v) for v in attributes["Attributes"].values())
