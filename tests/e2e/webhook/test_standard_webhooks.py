"""The ingress's ``standard_webhooks`` scheme on the deployed catalog, driven by the reference sender: a
delivery signed by the ``standardwebhooks`` package is published with the type from its body; the
sender's retry (same ``webhook-id``, a fresh timestamp and signature) is recognised and not republished;
a changed id, a wrong secret or a stale timestamp is refused with 401 and publishes nothing."""

from __future__ import annotations

import datetime
import json
import time
import uuid

from standardwebhooks.webhooks import Webhook as Reference

from tests.e2e.webhook.support import current_secret

SOURCE = "standard"


def _signed_by_the_reference(secret: str, msg_id: str, body: bytes, at: int) -> dict[str, str]:
    signature = Reference(secret).sign(msg_id, datetime.datetime.fromtimestamp(at, datetime.UTC), body.decode())
    return {"webhook-id": msg_id, "webhook-timestamp": str(at), "webhook-signature": signature,
            "Content-Type": "application/json"}


def test_a_reference_signed_delivery_is_published_once_even_when_the_sender_retries(sender, subscriber, outputs):
    secret = current_secret(outputs, SOURCE).decode()
    assert secret.startswith("whsec_")  # the ingress generated a Standard Webhooks secret
    msg_id = f"msg_{uuid.uuid4().hex}"
    body = json.dumps({"type": "invoice.paid", "timestamp": "2026-12-01T10:00:00Z", "data": {"n": 1}}).encode()
    now = int(time.time())

    first = sender.post(SOURCE, body, _signed_by_the_reference(secret, msg_id, body, now))
    retry = sender.post(SOURCE, body, _signed_by_the_reference(secret, msg_id, body, now + 5))

    assert (first.status_code, first.json()["status"]) == (200, "published"), first.text
    assert (retry.status_code, retry.json()["status"]) == (200, "duplicate"), retry.text
    [event] = subscriber.events(msg_id, settle=2)
    assert (event["source"], event["detail-type"]) == ("webhook.standard", "invoice.paid")
    assert event["detail"]["payload"]["data"] == {"n": 1}


def test_a_changed_id_a_wrong_secret_or_a_stale_timestamp_is_refused(sender, subscriber, outputs):
    secret = current_secret(outputs, SOURCE).decode()
    body = json.dumps({"type": "invoice.paid", "data": {}}).encode()
    now = int(time.time())
    good = _signed_by_the_reference(secret, "msg_good", body, now)
    forged = {
        "another id": {**good, "webhook-id": f"msg_{uuid.uuid4().hex}"},
        "wrong secret": _signed_by_the_reference("whsec_" + "A" * 32, "msg_w", body, now),
        "stale": _signed_by_the_reference(secret, "msg_s", body, now - 3600),
    }
    for attack, headers in forged.items():
        response = sender.post(SOURCE, body, headers)
        assert response.status_code == 401, f"{attack}: {response.text}"
        assert response.json()["code"] == "unauthorized"
    assert all(subscriber.nothing_for(headers["webhook-id"], settle=0.5) for headers in forged.values())
