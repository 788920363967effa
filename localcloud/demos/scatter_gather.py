"""Scatter-gather demo: one loan request to each variant, the aggregate once complete, one bad request."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from localcloud.demos import demo, exchange
from localcloud.target import reachable_url


@demo("scatter_gather")
def scatter_gather(outputs: dict[str, Any], endpoint: str | None, say: Callable[[str], None]) -> None:
    deadline = outputs["pubsub"]["deadline_seconds"]
    body = json.dumps({"amount": 50000, "term": 24, "strategy": "best", "count": 2})
    say(f"loan broker: best 2 quotes from 4 banks (one slower than the {deadline}s deadline, "
        "one failing), then a refused request")
    for variant in ("pubsub", "recipient_list"):
        base = reachable_url(outputs[variant]["url"], endpoint) + "/quotes"
        say(f" {variant}:")
        response = exchange(say, "POST", base, body)
        if response.status_code != 202:
            continue
        time.sleep(deadline + 1.5)
        exchange(say, "GET", f"{base}/{response.json()['correlationId']}")
        exchange(say, "POST", base, '{"amount": -5, "term": 24}')
