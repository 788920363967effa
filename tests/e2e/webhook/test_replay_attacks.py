"""A captured, correctly signed delivery can never be republished: not under a new delivery id, not
without one, not under another event type, on every source whose scheme takes the delivery id or the
event type from headers the signature does not cover (GitHub, and generic HMAC with such headers)."""

from __future__ import annotations

import time
import uuid

import pytest

from tests.e2e.webhook.support import SCHEMES

# Sources whose delivery id and event type come from unsigned headers.
UNSIGNED_HEADER_SOURCES = ["github", "rotating", "acme", "github-async"]


def _headers_of(source: str) -> tuple[str, str]:
    scheme = SCHEMES[source]
    return scheme.delivery_header or "", scheme.event_headers[0]


@pytest.mark.parametrize("source", UNSIGNED_HEADER_SOURCES)
def test_a_replay_with_a_new_delivery_id_or_none_or_another_event_publishes_nothing(sender, subscriber, source):
    delivery_header, event_header = _headers_of(source)
    assert delivery_header and event_header
    marker = uuid.uuid4().hex
    body, headers, delivery_id = sender.delivery(source, {"marker": marker}, event="push")
    storage_first = source == "github-async"

    first = sender.post(source, body, headers)
    assert first.status_code == (202 if storage_first else 200), first.text
    assert len(subscriber.events(delivery_id)) == 1

    attacks = {
        "new delivery id": {**headers, delivery_header: f"d-{uuid.uuid4()}"},
        "no delivery id": {k: v for k, v in headers.items() if k != delivery_header},
        "relabelled": {**headers, delivery_header: f"d-{uuid.uuid4()}", event_header: "release"},
        "relabelled, same id": {**headers, event_header: "deployment"},
    }
    for attack, forged in attacks.items():
        response = sender.post(source, body, forged)
        assert response.status_code == (202 if storage_first else 200), f"{attack}: {response.text}"
        if not storage_first:
            assert response.json()["status"] == "duplicate", attack

    events = subscriber.with_marker(marker, settle=6 if storage_first else 3)
    assert len(events) == 1, [e["detail-type"] for e in events]
    assert events[0]["detail-type"] == "push"
    assert events[0]["detail"]["webhook"]["delivery_id"] == delivery_id


def test_a_sender_retry_with_a_fresh_signature_is_recognised_by_its_signed_delivery_id(sender, subscriber):
    """Stripe re-signs a retry with a new timestamp: the signed material differs, the event id does not."""
    payload_id = f"evt_{uuid.uuid4().hex}"
    first, _ = sender.send("stripe", {"id": payload_id, "type": "invoice.paid"})
    assert first.status_code == 200 and first.json()["status"] == "published"
    body, headers, _ = sender.delivery("stripe", {"id": payload_id, "type": "invoice.paid"},
                                       timestamp=int(time.time()) + 1)
    retry = sender.post("stripe", body, headers)
    assert retry.status_code == 200 and retry.json()["status"] == "duplicate"
    assert len(subscriber.events(payload_id)) == 1
