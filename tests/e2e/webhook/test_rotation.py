"""Secret rotation, end to end: while a rotation is under way both the old and the new secret are
accepted; after the next rotation the oldest is refused. Bounded: about 15 s (the verifier re-reads
its secrets at most every ``secret_refresh_seconds``, 5 s in the catalog)."""

# ruff: noqa: F811  (the shared fixtures are imported from webhook_support and requested by name)
from __future__ import annotations

import secrets
import time

import boto3

from tests.e2e.webhook.support import Sender, current_secret

REFRESH_SECONDS = 5  # WebhookIngressArgs.secret_refresh_seconds in the catalog


def _accepted(sender: Sender, source: str, secret: bytes) -> int:
    response, _ = sender.send(source, secret=secret)
    assert "message" not in response.json() or secret.decode() not in response.text
    return response.status_code


def test_secrets_manager_rotation_accepts_current_and_previous_then_drops_the_oldest(sender, outputs, subscriber):
    """Operators finish a rotation once no event says AWSPREVIOUS any more: each event names its secret."""
    client = boto3.client("secretsmanager")
    arn = outputs["source_secret_arns"]["rotating"]
    first = current_secret(outputs, "rotating")
    assert _accepted(sender, "rotating", first) == 200

    second = secrets.token_urlsafe(32).encode()
    client.put_secret_value(SecretId=arn, SecretString=second.decode())  # second: AWSCURRENT, first: AWSPREVIOUS
    time.sleep(REFRESH_SECONDS + 0.5)
    assert _accepted(sender, "rotating", second) == 200
    assert _accepted(sender, "rotating", first) == 200

    third = secrets.token_urlsafe(32).encode()
    client.put_secret_value(SecretId=arn, SecretString=third.decode())  # first is no longer valid
    time.sleep(REFRESH_SECONDS + 0.5)
    assert _accepted(sender, "rotating", third) == 200
    response, delivery_id = sender.send("rotating", secret=second)
    assert response.status_code == 200, response.text
    assert _accepted(sender, "rotating", first) == 401
    [event] = subscriber.events(delivery_id)
    assert event["detail"]["webhook"]["signed_with"] == "AWSPREVIOUS"


def test_ssm_securestring_rotation_accepts_every_listed_secret(sender, outputs):
    ssm = boto3.client("ssm")
    # PutParameter takes names
    name = ssm.get_parameter(Name=outputs["source_secret_arns"]["acme"])["Parameter"]["Name"]
    old = current_secret(outputs, "acme")
    new = secrets.token_urlsafe(32).encode()
    assert _accepted(sender, "acme", old) == 200

    ssm.put_parameter(Name=name, Value=f"{new.decode()}\n{old.decode()}", Type="SecureString", Overwrite=True)
    time.sleep(REFRESH_SECONDS + 0.5)
    assert _accepted(sender, "acme", new) == 200
    assert _accepted(sender, "acme", old) == 200
