"""Storage-first mode: API Gateway queues the raw request (202 at once) and the queue verifier
publishes it later, also after it failed for a while; refused requests land in the dead-letter
queue with the reason and publish nothing.

The failure is real: the test points the queue verifier at a bus it cannot reach (a bus ARN in
another account), so its PutEvents fails and the message stays on the queue; then it restores the
configuration. Bounded: the catalog's ingest visibility timeout is 15 s."""

from __future__ import annotations

import json

import boto3
import pytest

from tests.e2e.support import peek_all, wait_until
from tests.e2e.webhook.support import bus_unreachable

SOURCE = "github-async"


def _dead_letters(queue_url: str) -> dict[str, dict]:
    """Rejected requests in the dead-letter queue, by delivery id (read, then left for others)."""
    found = {}
    for message in peek_all(queue_url):
        attributes = message.get("MessageAttributes", {})
        headers = attributes.get("webhook-headers", {}).get("StringValue", "")
        for part in headers.split("&"):
            name, _, value = part.partition("=")
            if name == "x-github-delivery" and value:
                found[value] = {k: v["StringValue"] for k, v in attributes.items()}
    return found


@pytest.mark.parametrize("note", [
    "ascii only",
    pytest.param("façade ✓", marks=pytest.mark.requires("apigateway-sqs-raw-utf8-body")),
])
def test_signed_delivery_is_accepted_at_once_and_published_later(sender, subscriber, note):
    payload = {"ref": "refs/heads/main", "note": note}
    response, delivery_id = sender.send(SOURCE, payload)

    assert response.status_code == 202, response.text
    assert response.json() == {"status": "accepted"}
    [event] = subscriber.events(delivery_id, timeout=30)
    assert (event["source"], event["detail-type"]) == ("webhook.github-async", "push")
    assert event["detail"]["payload"] == payload
    assert event["detail"]["webhook"]["mode"] == "storage-first"


@pytest.mark.requires("eventbridge-putevents-failure")
def test_delivery_is_published_after_the_verifier_failed_for_a_while(sender, subscriber, outputs):
    sqs = boto3.client("sqs")

    def in_flight() -> int:
        attributes = sqs.get_queue_attributes(QueueUrl=outputs["ingest_queue_url"],
                                              AttributeNames=["ApproximateNumberOfMessagesNotVisible"])
        return int(attributes["Attributes"]["ApproximateNumberOfMessagesNotVisible"])

    with bus_unreachable(outputs["queue_verifier_function_name"]):
        response, delivery_id = sender.send(SOURCE, {"during": "outage"})
        assert response.status_code == 202, response.text
        wait_until(lambda: in_flight() >= 1, 15, what="the queue verifier to take the message")
        assert subscriber.nothing_for(delivery_id, settle=4)  # it failed: nothing published, message kept

    [event] = subscriber.events(delivery_id, timeout=45)
    assert event["detail"]["payload"] == {"during": "outage"}
    assert event["detail"]["webhook"]["receive_count"] >= 2


def test_forged_delivery_goes_to_the_dead_letter_queue_with_the_reason(sender, subscriber, outputs):
    body, headers, delivery_id = sender.delivery(SOURCE, secret=b"forged")

    response = sender.post(SOURCE, body, headers)

    assert response.status_code == 202  # storage-first answers before verifying
    found: dict = {}
    wait_until(lambda: found.update(_dead_letters(outputs["ingest_dlq_url"])) or delivery_id in found,
               30, what="the rejected request in the dead-letter queue")
    assert found[delivery_id]["rejected-status"] == "401"
    assert "invalid signature" in found[delivery_id]["rejected-reason"]
    assert subscriber.nothing_for(delivery_id)


@pytest.mark.parametrize(("body", "reason"), [
    (b"[" * 2000 + b"]" * 2000, "body is nested too deeply to parse"),
    (b'{"n": ' + b"7" * 5000 + b"}", "body has a number too long to parse"),
], ids=["nested-2000-deep", "5000-digit-number"])
def test_signed_delivery_the_verifier_cannot_parse_is_dead_lettered_at_once_with_the_reason(
        sender, subscriber, outputs, body, reason):
    body, headers, delivery_id = sender.delivery(SOURCE, body=body)

    assert sender.post(SOURCE, body, headers).status_code == 202
    found: dict = {}
    # At once: parked by the verifier on its first receive (a retry would come only after the ingest
    # queue's 15 s visibility timeout, and a redriven message carries no rejected-* attributes).
    wait_until(lambda: found.update(_dead_letters(outputs["ingest_dlq_url"])) or delivery_id in found,
               14, what="the unparseable request in the dead-letter queue before any retry")
    assert found[delivery_id]["rejected-status"] == "400", found[delivery_id]
    assert found[delivery_id]["rejected-reason"] == reason, found[delivery_id]
    assert subscriber.nothing_for(delivery_id)


def test_body_too_large_for_the_ingest_queue_is_413_at_once(sender):
    response, _ = sender.send(SOURCE, {"blob": "x" * (300 * 1024)})

    assert response.status_code == 413
    assert "over 262144 bytes" in json.loads(response.text)["message"]


def test_unsupported_content_type_is_415_and_queues_nothing(sender):
    body, headers, _ = sender.delivery(SOURCE)
    headers["Content-Type"] = "application/octet-stream"

    assert sender.post(SOURCE, body, headers).status_code == 415
