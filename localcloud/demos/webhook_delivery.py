"""Outbound webhooks demo: a receiver on 127.0.0.1 registered as an endpoint, a message it receives
after two failed attempts (same ``webhook-id``, re-signed each time), the attempt log, and an endpoint
inside the network refused."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from typing import Any

from localcloud.demos import demo, exchange
from localcloud.receiver import Receiver, Reply
from localcloud.target import reachable_url


@demo("webhook_delivery")
def webhook_delivery(outputs: dict[str, Any], endpoint: str | None, say: Callable[[str], None]) -> None:
    base = reachable_url(outputs["url"], endpoint)
    receiver = Receiver(lifetime=60)
    path = f"/hooks/{uuid.uuid4().hex[:8]}"
    try:
        say("outbound webhooks: register a receiver listening on 127.0.0.1 (its secret comes back once)")
        registered = exchange(say, "POST", base + "/endpoints",
                              json.dumps({"url": receiver.url(path), "event_types": ["invoice.paid"]})).json()
        receiver.script(path, [Reply(503), Reply(500)], then=Reply(200))
        say("send a message; the receiver fails twice, then accepts")
        message = exchange(say, "POST", base + "/messages",
                           json.dumps({"event_type": "invoice.paid", "payload": {"invoice": "in_1"}})).json()
        for request in receiver.wait_for(path, 3):
            say(f"  receiver got webhook-id={request.headers.get('webhook-id')} "
                f"webhook-signature={request.headers.get('webhook-signature', '')[:24]}...")
        time.sleep(1)
        say("the message, its delivery and every attempt")
        exchange(say, "GET", f"{base}/messages/{message['id']}")
        say("an endpoint at the cloud metadata address is refused")
        exchange(say, "POST", base + "/endpoints",
                 json.dumps({"url": "http://169.254.169.254/latest/meta-data/", "event_types": ["invoice.paid"]}))
        exchange(say, "DELETE", f"{base}/endpoints/{registered['id']}")
    finally:
        receiver.stop()
