"""The Standard Webhooks scheme against the libraries nobody here wrote: our signatures equal those of the
``standardwebhooks`` reference package for the same id, timestamp, body and secret, and both its verifier
and Svix's accept ours; ours accepts theirs, and refuses any change of a signed byte."""

from __future__ import annotations

import base64
import datetime
import json
import random
import time

import pytest
from standardwebhooks.webhooks import Webhook as Reference
from svix.webhooks import Webhook as Svix

from functions.webhook.schemes import Rejected, sign, standard_webhooks, verify

SCHEME = standard_webhooks()


def _secret(rng: random.Random) -> str:
    return "whsec_" + base64.b64encode(rng.randbytes(24)).decode()


def _headers(signed: dict[str, str]) -> dict[str, str]:
    return {k.lower(): v for k, v in signed.items()}


@pytest.mark.parametrize("seed", range(25))
def test_our_signature_is_the_reference_signature_and_both_verifiers_accept_it(seed):
    rng = random.Random(seed)
    secret, msg_id, now = _secret(rng), f"msg_{rng.getrandbits(64):x}", int(time.time()) - rng.randrange(200)
    body = json.dumps({"type": "invoice.paid", "data": {"n": rng.random(), "text": "é ✓" * rng.randrange(5)}},
                      ensure_ascii=False).encode()

    ours = sign(SCHEME, secret.encode(), body, now, delivery_id=msg_id)

    expected = Reference(secret).sign(msg_id, datetime.datetime.fromtimestamp(now, datetime.UTC), body.decode())
    assert ours["webhook-signature"] == expected
    assert Reference(secret).verify(body, ours) == json.loads(body)
    Svix(secret).verify(body, ours)
    assert verify(SCHEME, [("AWSCURRENT", secret.encode())], _headers(ours), body, now).signed_with == "AWSCURRENT"


def test_a_rotation_sends_both_signatures_and_either_secret_verifies():
    rng = random.Random(7)
    old, new, now, body = _secret(rng), _secret(rng), int(time.time()), b'{"type": "a"}'
    both = " ".join(sign(SCHEME, s.encode(), body, now, delivery_id="msg_1")["webhook-signature"] for s in (old, new))
    headers = {"webhook-id": "msg_1", "webhook-timestamp": str(now), "webhook-signature": both}

    for secret in (old, new):
        assert verify(SCHEME, [("only", secret.encode())], headers, body, now).signed_with == "only"
        assert Reference(secret).verify(body, headers) == {"type": "a"}


@pytest.mark.parametrize(("change", "message"), [
    ({"body": b'{"type": "b"}'}, "invalid signature"),
    ({"webhook-id": "msg_2"}, "invalid signature"),
    ({"webhook-timestamp": "SHIFT"}, "invalid signature"),
    ({"webhook-id": ""}, "missing webhook-id"),
    ({"webhook-signature": "v2,abc"}, "no v1 signature"),
    ({"now": 10_000}, "stale timestamp"),
])
def test_any_change_of_a_signed_byte_or_a_stale_timestamp_is_refused(change, message):
    secret, now, body = _secret(random.Random(3)), int(time.time()), b'{"type": "a"}'
    headers = sign(SCHEME, secret.encode(), body, now, delivery_id="msg_1")
    headers.update({k: v for k, v in change.items() if k.startswith("webhook-")})
    if headers["webhook-timestamp"] == "SHIFT":
        headers["webhook-timestamp"] = str(now + 1)

    with pytest.raises(Rejected, match=message) as refused:
        verify(SCHEME, [("c", secret.encode())], headers, change.get("body", body), now + change.get("now", 0))
    assert refused.value.status == 401
