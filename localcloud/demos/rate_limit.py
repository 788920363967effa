"""Rate limiting demo: a client registered with the authorizer is limited (10 per minute), then the buffer
accepts a request and reports its status."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from typing import Any

import requests

from functions.rate_limit.identity import key_hash
from localcloud.demos import aws_client, exchange
from localcloud.demos import demo as register_demo
from localcloud.target import reachable_url


@register_demo("rate_limit")
def rate_limit(outputs: dict[str, Any], endpoint: str | None, say: Callable[[str], None]) -> None:
    api_key = "demo-" + secrets.token_urlsafe(12)
    aws_client("dynamodb", endpoint).put_item(TableName=outputs["limiter"]["clients_table_name"],
                                 Item={"key_hash": {"S": key_hash(api_key)}, "client": {"S": "demo-client"}})
    url = reachable_url(outputs["api"]["url"], endpoint) + "/limited/hello"
    say("rate limit: a registered API key calls GET /limited/hello 12 times (limit: 10 per minute)")
    for attempt in range(1, 13):
        response = requests.get(url, headers={"x-api-key": api_key}, timeout=30)
        if response.status_code == 429 or attempt in (1, 10):
            say(f"  call {attempt}: <- {response.status_code} RateLimit={response.headers.get('RateLimit')!r} "
                f"Retry-After={response.headers.get('Retry-After')!r} {response.text.strip()}")
    say("  without a key:")
    response = requests.get(url, timeout=30)
    say(f"  <- {response.status_code} {response.text.strip()}")
    say("inbound buffer: a request accepted (202), then its status")
    buffer = reachable_url(outputs["buffer"]["url"], endpoint)
    accepted = exchange(say, "POST", buffer + "/requests", '{"payload": {"order": 42}}')
    if accepted.status_code == 202:
        time.sleep(2)
        exchange(say, "GET", buffer + f"/requests/{accepted.json()['requestId']}")
