"""WebSocket broadcast demo: two real clients, a topic, a publish from a client and one from the
backend, and a bad frame answered with an error frame."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from localcloud.demos import aws_client, demo, exchange
from localcloud.target import reachable_url


@demo("websockets")
def websockets(outputs: dict[str, Any], endpoint: str | None, say: Callable[[str], None]) -> None:
    try:
        from websockets.sync.client import connect
    except ImportError:
        say("  (install the 'websockets' package to watch two live clients here)")
        return
    secret = aws_client("secretsmanager", endpoint).get_secret_value(
        SecretId=outputs["token_secret_arn"])["SecretString"].encode()
    url = reachable_url(outputs["websocket_api_url"], endpoint)
    say("WebSocket broadcast: alice subscribes to 'demo' as she connects; bob publishes, then the backend does")
    try:
        _talk(connect, url, secret, reachable_url(outputs["url"], endpoint), say)
    except Exception as exc:  # a demo reports what went wrong and lets the others run
        say(f"  demo failed: {type(exc).__name__}: {exc}")


def _talk(connect: Any, url: str, secret: bytes, api: str, say: Callable[[str], None]) -> None:
    from functions.websockets.tokens import issue

    def text(frame: str | bytes) -> str:
        return frame.decode() if isinstance(frame, bytes) else frame

    with connect(f"{url}?token={quote(issue(secret, 'alice'))}&topics=demo", open_timeout=30) as alice, \
            connect(f"{url}?token={quote(issue(secret, 'bob'))}", open_timeout=30) as bob:
        for frame in ("not json", json.dumps({"action": "publish", "topic": "demo", "data": "hello from bob"})):
            bob.send(frame)
            say(f"  bob   -> {frame}\n  bob   <- {text(bob.recv(timeout=30))}")
        say(f"  alice <- {text(alice.recv(timeout=30))}")
        exchange(say, "POST", api + "/topics/demo/messages", json.dumps({"data": {"from": "the backend"}}))
        say(f"  alice <- {text(alice.recv(timeout=30))}")
