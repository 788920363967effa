"""Webhook ingress, driven over HTTP like GitHub, Stripe, Slack and a generic HMAC sender would; the
outcome is read from an SQS queue subscribed by a rule on the bus (as another stack would).

Every refused delivery is followed by the genuine delivery with the same id: it must be published
exactly once, which shows the refused one published nothing and was not recorded as seen."""

# ruff: noqa: F811  (the shared fixtures are imported from webhook_support and requested by name)
from __future__ import annotations

import json
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import boto3
import pytest

from tests.e2e.webhook.support import bus_unreachable, current_secret


def test_github_delivery_reaches_subscriber_with_source_type_and_exact_payload(sender, subscriber):
    payload = {"action": "opened", "title": "Ünïcödé ☃ 日本語", "number": 7}
    response, delivery_id = sender.send("github", payload, event="pull_request")

    assert response.status_code == 200, response.text
    assert response.json()["status"] == "published"
    [event] = subscriber.events(delivery_id)
    assert event["source"] == "webhook.github"
    assert event["detail-type"] == "pull_request"
    assert event["id"] == response.json()["event_id"]
    assert event["detail"]["payload"] == payload
    metadata = event["detail"]["webhook"]
    assert metadata["delivery_id"] == delivery_id
    assert (metadata["scheme"], metadata["mode"], metadata["signed_with"]) == ("github", "sync", "AWSCURRENT")


def test_stripe_delivery_takes_type_and_id_from_the_body(sender, subscriber):
    delivery_id = f"evt_{uuid.uuid4().hex}"
    payload = {"id": delivery_id, "type": "payment_intent.succeeded", "data": {"object": {"amount": 2000}}}
    response, _ = sender.send("stripe", payload, delivery_id=delivery_id)

    assert response.status_code == 200, response.text
    [event] = subscriber.events(delivery_id)
    assert (event["source"], event["detail-type"]) == ("webhook.stripe", "payment_intent.succeeded")
    assert event["detail"]["payload"] == payload
    assert event["detail"]["webhook"]["signed_at"] is not None


@pytest.mark.parametrize("source", ["slack", "acme"])
def test_slack_and_generic_hmac_deliveries_are_published(sender, subscriber, source):
    response, delivery_id = sender.send(source, {"text": "hi"}, event="app_mention")

    assert response.status_code == 200, response.text
    [event] = subscriber.events(delivery_id)
    assert (event["source"], event["detail-type"]) == (f"webhook.{source}", "app_mention")
    assert event["detail"]["payload"]["text"] == "hi"


def test_slack_url_verification_is_answered_and_not_published(sender, subscriber):
    challenge = uuid.uuid4().hex
    response, delivery_id = sender.send("slack", {"type": "url_verification", "challenge": challenge})

    assert response.status_code == 200, response.text
    assert response.json() == {"challenge": challenge}
    assert subscriber.nothing_for(delivery_id)


def _tampered_body(sender, source):
    body, headers, delivery_id = sender.delivery(source, event="push")
    return body.replace(b"{", b"{ ", 1), headers, delivery_id, "invalid signature"  # still JSON, one byte more


def _wrong_secret(sender, source):
    body, headers, delivery_id = sender.delivery(source, secret=b"not-the-secret")
    return body, headers, delivery_id, "invalid signature"


def _missing_signature(sender, source):
    body, headers, delivery_id = sender.delivery(source)
    signature_header = {"github": "X-Hub-Signature-256", "stripe": "Stripe-Signature", "slack": "X-Slack-Signature",
                        "acme": "X-Acme-Signature"}[source]
    headers.pop(signature_header)
    return body, headers, delivery_id, "missing signature header"


def _stale_timestamp(sender, source):
    body, headers, delivery_id = sender.delivery(source, timestamp=int(time.time()) - 301)
    return body, headers, delivery_id, "stale timestamp"


@pytest.mark.parametrize(("source", "forge"), [
    ("github", _tampered_body), ("github", _wrong_secret), ("github", _missing_signature),
    ("stripe", _tampered_body), ("stripe", _wrong_secret), ("stripe", _stale_timestamp),
    ("slack", _stale_timestamp), ("slack", _wrong_secret), ("acme", _stale_timestamp), ("acme", _tampered_body),
])
def test_forged_or_stale_delivery_is_refused_with_401_and_publishes_nothing(sender, subscriber, outputs,
                                                                           source, forge):
    body, headers, delivery_id, reason = forge(sender, source)

    response = sender.post(source, body, headers)

    assert response.status_code == 401
    assert reason in response.json()["message"]
    assert current_secret(outputs, source).decode() not in response.text
    genuine, _ = sender.send(source, delivery_id=delivery_id)  # the real one is still accepted, once
    assert genuine.status_code == 200, genuine.text
    assert genuine.json()["status"] == "published"
    assert len(subscriber.events(delivery_id)) == 1


def test_unknown_source_is_404(sender):
    body, headers, _ = sender.delivery("github")
    response = sender.post("gitlab", body, headers)

    assert response.status_code == 404
    assert "unknown webhook source 'gitlab'" in response.json()["message"]


def test_signed_but_non_json_body_is_400_and_publishes_nothing(sender, subscriber):
    delivery_id = f"d-{uuid.uuid4()}"
    response, _ = sender.send("github", delivery_id=delivery_id, body=b"<xml>not json</xml>")

    assert response.status_code == 400
    assert "not valid JSON" in response.json()["message"]
    genuine, _ = sender.send("github", delivery_id=delivery_id)
    assert genuine.status_code == 200 and len(subscriber.events(delivery_id)) == 1


def test_body_over_the_maximum_is_413_and_publishes_nothing(sender, subscriber):
    big = {"blob": "x" * (256 * 1024)}
    response, delivery_id = sender.send("github", big)

    assert response.status_code == 413
    assert "maximum is 262144" in response.json()["message"]
    assert subscriber.nothing_for(delivery_id)


def test_replayed_delivery_is_acknowledged_but_published_once(sender, subscriber):
    body, headers, delivery_id = sender.delivery("stripe")

    first = sender.post("stripe", body, headers)
    again = sender.post("stripe", body, headers)

    assert first.status_code == 200 and first.json()["status"] == "published"
    assert again.status_code == 200 and again.json()["status"] == "duplicate"
    assert again.json()["event_id"] == first.json()["event_id"]
    assert len(subscriber.events(delivery_id)) == 1


def test_concurrent_copies_of_one_delivery_publish_exactly_one_event(sender, subscriber):
    body, headers, delivery_id = sender.delivery("github")

    with ThreadPoolExecutor(max_workers=12) as pool:
        responses = list(pool.map(lambda _: sender.post("github", body, headers), range(12)))

    statuses = [(r.status_code, r.json().get("status")) for r in responses]
    assert statuses.count((200, "published")) == 1, statuses
    assert all(s in ((200, "published"), (200, "duplicate"), (409, None)) for s in statuses), statuses
    assert len(subscriber.events(delivery_id, settle=3)) == 1


def test_concurrent_distinct_deliveries_are_each_published_once(sender, subscriber):
    deliveries = [sender.delivery("github", {"n": n}) for n in range(20)]

    with ThreadPoolExecutor(max_workers=20) as pool:
        responses = list(pool.map(lambda d: sender.post("github", d[0], d[1]), deliveries))

    assert [r.status_code for r in responses] == [200] * 20, [r.text for r in responses if r.status_code != 200]
    for _, _, delivery_id in deliveries:
        assert subscriber.events(delivery_id, settle=0), delivery_id
    subscriber.events("", expect=0, timeout=0, settle=4)  # then long enough for a late duplicate to show
    for n, (_, _, delivery_id) in enumerate(deliveries):
        assert [e["detail"]["payload"] for e in subscriber.seen[delivery_id]] == [{"n": n}]


@pytest.mark.requires("eventbridge-putevents-failure")
def test_failed_publish_is_never_acknowledged_and_the_retry_publishes_once(sender, subscriber, outputs):
    body, headers, delivery_id = sender.delivery("github")

    with bus_unreachable(outputs["verifier_function_name"]):
        refused = sender.post("github", body, headers)
    retried = sender.post("github", body, headers)

    assert refused.status_code == 503, refused.text
    assert "retry" in refused.json()["message"]
    assert retried.status_code == 200 and retried.json()["status"] == "published"
    assert len(subscriber.events(delivery_id)) == 1


@pytest.mark.requires("eventbridge-archive-replay")
def test_published_events_are_archived_and_can_be_replayed(sender, subscriber, outputs):
    started = time.time() - 1
    response, delivery_id = sender.send("github", {"archived": True})
    assert response.status_code == 200
    assert len(subscriber.events(delivery_id, settle=0)) == 1
    events = boto3.client("events")
    archive = events.describe_archive(ArchiveName=outputs["events_archive_name"])
    assert archive["EventSourceArn"] == outputs["events_bus_arn"] and archive["EventCount"] >= 1

    replay = f"webhook-e2e-{uuid.uuid4().hex[:12]}"
    events.start_replay(ReplayName=replay, EventSourceArn=archive["ArchiveArn"],
                        EventStartTime=started, EventEndTime=time.time() + 1,
                        Destination={"Arn": outputs["events_bus_arn"]})

    replayed = subscriber.events(delivery_id, expect=2, timeout=60, settle=0)
    assert len(replayed) == 2 and replayed[1]["id"] == replayed[0]["id"]
    assert json.dumps(replayed[1]["detail"]) == json.dumps(replayed[0]["detail"])
