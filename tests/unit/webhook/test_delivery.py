"""From request to EventBridge entry: the checks in order, the exact bytes from API Gateway and from
the storage-first queue, delivery ids, detail-types and the entry size."""

from __future__ import annotations

import base64
import json
import urllib.parse

import pytest

from functions.webhook.config import Source, WebhookConfig
from functions.webhook.delivery import (
    MAX_ENTRY_BYTES,
    Request,
    accept,
    detail_type,
    entry_size,
    request_from_api_event,
)
from functions.webhook.schemes import Rejected, github, hmac_sha256, sign, slack, stripe
from functions.webhook.storage_first import decode_headers, request_from_record, request_template

NOW = 1_700_000_000
SECRET = b"s3cret"
CONFIG = WebhookConfig(
    event_bus_name="bus", deliveries_table="deliveries",
    sources={
        "github": Source("github", github(), "arn:secret:github"),
        "stripe": Source("stripe", stripe(), "arn:secret:stripe"),
        "slack": Source("slack", slack(), "arn:secret:slack"),
        "commands": Source("commands", slack(body_format="form"), "arn:secret:commands"),
        "plain": Source("plain", hmac_sha256("X-Sig"), "arn:secret:plain"),
    },
    max_body_bytes=1024,
)


def _request(source: str, body: bytes, headers: dict[str, str] | None = None, timestamp: int | None = None):
    scheme = CONFIG.sources[source].scheme if source in CONFIG.sources else github()
    signed = sign(scheme, SECRET, body, timestamp)
    return Request(source, {k.lower(): v for k, v in {**signed, **(headers or {})}.items()}, body, NOW)


def _accept(request: Request):
    return accept(CONFIG, request, [("AWSCURRENT", SECRET)], NOW, "sync")


def test_github_delivery_becomes_an_entry_with_payload_and_metadata():
    body = '{"zen": "Ünïcödé ☃"}'.encode()
    delivery = _accept(_request("github", body, {"X-GitHub-Delivery": "abc-1", "X-GitHub-Event": "push"}))

    assert (delivery.source, delivery.delivery_id) == ("github", "abc-1")
    assert delivery.entry["Source"] == "webhook.github" and delivery.entry["DetailType"] == "push"
    detail = json.loads(delivery.entry["Detail"])
    assert detail["payload"] == {"zen": "Ünïcödé ☃"}
    assert detail["webhook"] == {"source": "github", "delivery_id": "abc-1", "scheme": "github",
                                 "received_at": "2023-11-14T22:13:20.000Z", "signed_at": None,
                                 "signed_with": "AWSCURRENT", "mode": "sync"}
    assert delivery.entry["Time"] == NOW


def test_stripe_id_and_type_come_from_the_body():
    body = b'{"id": "evt_9", "type": "invoice.paid"}'
    delivery = _accept(_request("stripe", body, timestamp=NOW))
    assert (delivery.delivery_id, delivery.entry["DetailType"]) == ("evt_9", "invoice.paid")
    assert json.loads(delivery.entry["Detail"])["webhook"]["signed_at"] == "2023-11-14T22:13:20.000Z"


def test_without_a_delivery_id_the_signature_identifies_the_delivery():
    request = _request("plain", b'{"a": 1}')
    delivery = _accept(request)
    assert delivery.delivery_id == "signature:" + request.headers["x-sig"]
    assert delivery.entry["DetailType"] == "webhook"


def test_slack_form_body_and_url_verification_challenge():
    command = _accept(_request("commands", b"command=%2Fdeploy&text=prod", timestamp=NOW))
    assert command.entry["DetailType"] == "/deploy"
    assert json.loads(command.entry["Detail"])["payload"] == {"command": "/deploy", "text": "prod"}
    challenge = _accept(_request("slack", b'{"type": "url_verification", "challenge": "xyz"}', timestamp=NOW))
    assert challenge.challenge == "xyz"


@pytest.mark.parametrize(("source", "body", "status", "reason"), [
    ("gitlab", b"{}", 404, "unknown webhook source 'gitlab'"),
    ("github", b"x" * 1025, 413, "body is 1025 bytes; the maximum is 1024"),
    ("github", b"not json", 400, "not valid JSON"),
    ("github", b"\xff\xfe{}", 400, "not valid UTF-8"),
])
def test_bad_input_is_refused_with_status_and_reason(source, body, status, reason):
    with pytest.raises(Rejected, match=reason) as refused:
        _accept(_request(source, body))
    assert refused.value.status == status


def test_size_is_checked_before_the_signature_and_the_signature_before_the_body():
    unsigned = Request("github", {}, b"x" * 2000, NOW)
    with pytest.raises(Rejected) as refused:
        _accept(unsigned)
    assert refused.value.status == 413
    with pytest.raises(Rejected) as refused:
        _accept(Request("github", {}, b"not json", NOW))
    assert refused.value.status == 401


def test_event_larger_than_eventbridge_takes_is_413():
    config = WebhookConfig(sources=CONFIG.sources, max_body_bytes=MAX_ENTRY_BYTES + 10, event_bus_name="bus",
                           deliveries_table="deliveries")
    body = json.dumps({"blob": "x" * (MAX_ENTRY_BYTES - 100)}).encode()  # fits the body limit, not the event
    with pytest.raises(Rejected, match="EventBridge takes at most") as refused:
        accept(config, _request("github", body), [("s", SECRET)], NOW, "sync")
    assert refused.value.status == 413


def test_entry_size_counts_utf8_bytes_and_time():
    assert entry_size({"Source": "a", "DetailType": "bc", "Detail": "☃", "Time": 1}) == 14 + 1 + 2 + 3


def test_detail_type_is_clamped_to_eventbridge_limit():
    assert detail_type(github(), {"x-github-event": "e" * 300}, {}) == "e" * 128


@pytest.mark.parametrize("base64_encoded", [False, True])
def test_api_gateway_event_gives_back_the_exact_bytes(base64_encoded):
    raw = '{"name": "Zoë ☃ 日本"}'.encode()
    event = {
        "path": "/webhooks/github",
        "pathParameters": None,
        "headers": {"X-Hub-Signature-256": "sha256=00", "Content-Type": "application/json"},
        "body": base64.b64encode(raw).decode() if base64_encoded else raw.decode(),
        "isBase64Encoded": base64_encoded,
        "requestContext": {"requestTimeEpoch": NOW * 1000},
    }
    request = request_from_api_event(event)
    assert (request.source, request.body, request.received_at) == ("github", raw, NOW)
    assert request.headers["x-hub-signature-256"] == "sha256=00"
    fallback = request_from_api_event({**event, "path": "/webhooks/other", "pathParameters": {"source": "x"}})
    assert fallback.source == "x"


def test_storage_first_template_captures_declared_and_lower_case_header_spellings():
    template = request_template("github", github().headers)
    assert template.startswith('#set($headers = "x-hub-signature-256=$util.urlEncode(')
    assert "$input.params('x-github-delivery')" in template
    assert "MessageBody=$util.urlEncode($input.body)" in template
    assert "MessageAttribute.1.Value.StringValue=github" in template


def test_queued_request_reads_back_headers_body_and_receipt_time():
    captured = urllib.parse.urlencode([("x-hub-signature-256", ""), ("x-hub-signature-256", "sha256=ab"),
                                       ("x-github-delivery", "d-1"), ("x-github-delivery", "d-ignored")])
    record = {
        "body": '{"zen": "é"}',
        "messageAttributes": {"webhook-source": {"stringValue": "github", "dataType": "String"},
                              "webhook-headers": {"stringValue": captured, "dataType": "String"}},
        "attributes": {"SentTimestamp": str(NOW * 1000), "ApproximateReceiveCount": "3"},
    }
    request = request_from_record(record)
    assert request.source == "github" and request.body == '{"zen": "é"}'.encode()
    assert request.headers == {"x-hub-signature-256": "sha256=ab", "x-github-delivery": "d-1"}
    assert (request.received_at, request.receive_count) == (NOW, 3)
    with pytest.raises(Rejected, match="no webhook-source"):
        request_from_record({**record, "messageAttributes": {}})
    assert decode_headers("A=1&a=2") == {"a": "1"}


def _digest(message: bytes) -> str:
    import hashlib

    return "signed:" + hashlib.sha256(message).hexdigest()


def test_replay_keys_come_from_what_is_signed():
    body = b'{"id": "evt_9", "event_id": "Ev1", "type": "x"}'
    github_copy = _accept(_request("github", body, {"X-GitHub-Delivery": "abc-1", "X-GitHub-Event": "push"}))
    relabelled = _accept(_request("github", body, {"X-GitHub-Delivery": "zzz-2", "X-GitHub-Event": "release"}))
    assert github_copy.replay_keys == relabelled.replay_keys == (_digest(body),)  # unsigned headers do not count
    assert _accept(_request("stripe", body, timestamp=NOW)).replay_keys == ("id:evt_9",)  # signed id; retries re-sign
    assert _accept(_request("stripe", body, timestamp=NOW - 60)).replay_keys == ("id:evt_9",)
    assert _accept(_request("slack", body, timestamp=NOW)).replay_keys == ("id:Ev1",)
    assert _accept(_request("plain", body)).replay_keys == (_digest(body),)


def test_a_timestamped_scheme_with_an_unsigned_delivery_id_keys_on_both():
    scheme = hmac_sha256("X-Sig", timestamp_header="X-Ts", delivery_header="X-Id")
    config = WebhookConfig(sources={"acme": Source("acme", scheme, "arn")}, event_bus_name="b", deliveries_table="d")
    body = b'{"a": 1}'
    headers = {k.lower(): v for k, v in {**sign(scheme, SECRET, body, NOW), "X-Id": "d-1"}.items()}
    delivery = accept(config, Request("acme", headers, body, NOW), [("s", SECRET)], NOW, "sync")
    assert delivery.replay_keys == (_digest(f"{NOW}.".encode() + body), "id:d-1")
