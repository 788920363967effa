"""Helpers of the outbound-webhook e2e tests: send a message, wait for what the receiver saw, verify
every delivery with the two reference verifiers."""

from __future__ import annotations

import json
import uuid
from typing import Any

import requests
import svix.webhooks
from standardwebhooks.webhooks import Webhook as StandardWebhook

from localcloud.receiver import Received
from tests.e2e.support import wait_until


def send(http: requests.Session, base: str, event_type: str = "invoice.paid", payload: Any = None,
         message_id: str | None = None) -> dict[str, Any]:
    response = http.post(f"{base}/messages", json={
        "event_type": event_type, "payload": {"n": 1} if payload is None else payload,
        "id": message_id or f"msg_{uuid.uuid4().hex}"})
    assert response.status_code == 202, response.text
    return response.json()


def verified(request: Received, secret: str) -> dict[str, Any]:
    """The body, verified by the Standard Webhooks reference and by Svix (both raise if it is not)."""
    headers = {k.lower(): v for k, v in request.headers.items()}
    svix.webhooks.Webhook(secret).verify(request.body, headers)  # raises WebhookVerificationError
    body = StandardWebhook(secret).verify(request.body.decode(), headers)
    assert body == json.loads(request.body)
    return body


def delivery_of(http: requests.Session, base: str, message_id: str, endpoint_id: str) -> dict[str, Any]:
    message = http.get(f"{base}/messages/{message_id}").json()
    return next(d for d in message["deliveries"] if d["endpoint_id"] == endpoint_id)


def settled(http: requests.Session, base: str, message_id: str, endpoint_id: str, status: str,
            timeout: float = 30) -> dict[str, Any]:
    def reached() -> dict[str, Any] | None:
        delivery = delivery_of(http, base, message_id, endpoint_id)
        return delivery if delivery["status"] == status else None

    return wait_until(reached, timeout, interval=0.3, what=f"delivery of {message_id} to {endpoint_id} {status}")
