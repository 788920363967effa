"""Webhook ingress demo: a GitHub-signed delivery, the same delivery again, a forged one, and an
unsigned one; then the events the subscriber queue received."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

import requests

from functions.webhook.schemes import github, sign
from localcloud.demos import aws_client, demo
from localcloud.target import reachable_url


@demo("webhook")
def webhook(outputs: dict[str, Any], endpoint: str | None, say: Callable[[str], None]) -> None:
    ingress = outputs["ingress"]
    url = reachable_url(ingress["url"], endpoint) + "/webhooks/github"
    secret = aws_client("secretsmanager", endpoint).get_secret_value(SecretId=ingress["source_secret_arns"]["github"])
    body = json.dumps({"zen": "Keep it logically awesome.", "hook_id": 1}).encode()
    delivery = str(uuid.uuid4())
    signed = {**sign(github(), secret["SecretString"].encode(), body), "X-GitHub-Delivery": delivery,
              "X-GitHub-Event": "ping", "Content-Type": "application/json"}
    say("webhook ingress: a signed GitHub delivery, the same again (a replay), a forged one, an unsigned one")
    for label, headers, data in (
        ("signed", signed, body),
        ("replayed", signed, body),
        ("forged body", signed, body.replace(b"awesome", b"average")),
        ("unsigned", {"Content-Type": "application/json"}, body),
    ):
        response = requests.post(url, data=data, headers=headers, timeout=30)
        say(f"  -> POST {url} ({label})\n  <- {response.status_code} {response.text.strip()}")
    sqs = aws_client("sqs", endpoint)
    messages = sqs.receive_message(QueueUrl=outputs["subscriber"]["events_queue_url"], MaxNumberOfMessages=10,
                                   WaitTimeSeconds=2).get("Messages", [])
    ours = [json.loads(m["Body"]) for m in messages if delivery in m["Body"]]
    say(f"  subscriber queue: {len(ours)} event(s) for delivery {delivery}")
    for event in ours:
        say(f"    {event['source']} / {event['detail-type']}: {json.dumps(event['detail']['payload'])}")
