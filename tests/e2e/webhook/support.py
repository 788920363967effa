"""Helpers for the webhook e2e tests: a sender that signs like GitHub / Stripe / Slack / acme, and a
subscriber reading the events a rule on the bus delivered to its queue."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import requests

from functions.webhook import schemes
from functions.webhook.config import WebhookConfig
from tests.e2e.support import environment_of, set_environment

SCHEMES = {
    "github": schemes.github(),
    "rotating": schemes.github(),
    "github-async": schemes.github(),
    "stripe": schemes.stripe(),
    "standard": schemes.standard_webhooks(),
    "slack": schemes.slack(),
    "acme": schemes.hmac_sha256("X-Acme-Signature", timestamp_header="X-Acme-Timestamp", signature_prefix="v1=",
                                encoding="base64", delivery_header="X-Acme-Delivery", event_headers=["X-Acme-Event"]),
}
# The bus is unreachable from a verifier told to publish to a bus in another account: PutEvents fails.
UNREACHABLE_BUS = "arn:aws:events:us-east-1:111111111111:event-bus/unreachable"


def current_secret(outputs: dict[str, Any], source: str) -> bytes:
    """The secret a correctly configured sender signs with (Secrets Manager AWSCURRENT or SSM line 1)."""
    arn = outputs["source_secret_arns"][source]
    if arn.split(":")[2] == "ssm":
        value = boto3.client("ssm").get_parameter(Name=arn, WithDecryption=True)["Parameter"]["Value"]
        return value.splitlines()[0].encode()
    return boto3.client("secretsmanager").get_secret_value(SecretId=arn)["SecretString"].encode()


class Sender:
    """Builds and posts signed deliveries the way each real sender does."""

    def __init__(self, outputs: dict[str, Any], url: str, http: requests.Session) -> None:
        self.outputs, self.url, self.http = outputs, url, http

    def delivery(
        self,
        source: str,
        payload: Any = None,
        *,
        delivery_id: str | None = None,
        event: str = "push",
        secret: bytes | None = None,
        timestamp: int | None = None,
        body: bytes | None = None,
    ) -> tuple[bytes, dict[str, str], str]:
        """(body, headers, delivery id) of a correctly signed delivery for ``source``."""
        scheme = SCHEMES[source]
        delivery_id = delivery_id or f"d-{uuid.uuid4()}"
        if payload is None:
            # Like a real sender's, every body is unique (a delivery is recognised by its signed content too).
            payload = {"id": delivery_id, "type": event} if scheme.kind == "stripe" else {"hello": "world",
                                                                                           "sent": delivery_id}
        if scheme.kind == "standard-webhooks" and isinstance(payload, dict):
            payload = {"type": event, "timestamp": "2026-12-01T00:00:00Z", "data": payload}
        if scheme.kind == "slack" and isinstance(payload, dict):
            payload = {"type": "event_callback", "event_id": delivery_id, "event": {"type": event}, **payload}
        if body is None:
            body = json.dumps(payload, ensure_ascii=False).encode()
        timestamp = timestamp if timestamp is not None else int(time.time())
        headers = schemes.sign(scheme, secret or current_secret(self.outputs, source), body,
                               timestamp if scheme.kind in ("stripe", "slack") or scheme.timestamp_header else None,
                               delivery_id=delivery_id)
        headers["Content-Type"] = "application/json"
        if scheme.kind == "github":
            headers.update({"X-GitHub-Delivery": delivery_id, "X-GitHub-Event": event})
        elif scheme.kind == "hmac-sha256":
            headers.update({"X-Acme-Delivery": delivery_id, "X-Acme-Event": event})
        return body, headers, delivery_id

    def post(self, source: str, body: bytes, headers: dict[str, str]) -> requests.Response:
        return self.http.post(f"{self.url}/webhooks/{source}", data=body, headers=headers, timeout=60)

    def send(self, source: str, payload: Any = None, **kwargs: Any) -> tuple[requests.Response, str]:
        body, headers, delivery_id = self.delivery(source, payload, **kwargs)
        return self.post(source, body, headers), delivery_id


class Subscriber:
    """Reads the subscriber queue; keeps every event seen, by delivery id."""

    def __init__(self, queue_url: str) -> None:
        self.queue_url = queue_url
        self.sqs = boto3.client("sqs")
        self.seen: dict[str, list[dict[str, Any]]] = {}

    def _drain(self, wait: int) -> None:
        messages = self.sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10,
                                            WaitTimeSeconds=wait).get("Messages", [])
        for message in messages:
            event = json.loads(message["Body"])
            self.seen.setdefault(event["detail"]["webhook"]["delivery_id"], []).append(event)
            self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])

    def events(self, delivery_id: str, expect: int = 1, timeout: float = 20, settle: float = 1) -> list[dict]:
        """The events for ``delivery_id``: waits up to ``timeout`` for ``expect`` of them, then ``settle``
        seconds more so that an extra (duplicate) event would be seen too."""
        deadline = time.monotonic() + timeout
        while len(self.seen.get(delivery_id, [])) < expect and time.monotonic() < deadline:
            self._drain(wait=1)
        settle_until = time.monotonic() + settle
        while time.monotonic() < settle_until:
            self._drain(wait=1)
        return self.seen.get(delivery_id, [])

    def with_marker(self, marker: str, settle: float = 4) -> list[dict]:
        """Every event so far (after ``settle`` seconds more) whose payload carries ``marker``."""
        self.events("", expect=0, timeout=0, settle=settle)
        return [event for events in self.seen.values() for event in events
                if isinstance(event["detail"]["payload"], dict) and event["detail"]["payload"].get("marker") == marker]

    def nothing_for(self, delivery_id: str, settle: float = 2) -> bool:
        return not self.events(delivery_id, expect=0, timeout=0, settle=settle)


@contextlib.contextmanager
def bus_unreachable(function_name: str) -> Iterator[None]:
    """Make ``function_name`` publish to a bus it cannot reach, then restore its configuration."""
    variables = environment_of(function_name)
    config = WebhookConfig.from_environment(variables)
    unreachable = dataclasses.replace(config, event_bus_name=UNREACHABLE_BUS)
    set_environment(function_name, {**variables, WebhookConfig.VARIABLE: unreachable.to_json()})
    try:
        yield
    finally:
        set_environment(function_name, variables)
