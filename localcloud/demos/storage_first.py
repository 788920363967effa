"""Storage-first demo: API Gateway stores requests itself (202 with the id), refuses bad ones before
anything is stored, deduplicates a repeated Idempotency-Key on the FIFO route; then what the consumer
recorded, through the status route."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

from localcloud.demos import demo
from localcloud.http import signed_session
from localcloud.target import reachable_url


@demo("storage_first")
def storage_first(outputs: dict[str, Any], endpoint: str | None, say: Callable[[str], None]) -> None:
    base = reachable_url(outputs["url"], endpoint)
    session = signed_session()
    key = f"demo-{uuid.uuid4().hex[:12]}"

    def post(path: str, body: str, headers: dict[str, str] | None = None) -> Any:
        response = session.post(base + path, data=body, timeout=30,
                                headers={"Content-Type": "application/json", **(headers or {})})
        shown = "".join(f" {k}: {v}" for k, v in (headers or {}).items())
        say(f"  -> POST {path}{shown}  body={body}\n  <- {response.status_code} {response.text.strip()}")
        return response

    say("storage-first: API Gateway -> SQS with no Lambda in the path; bad input refused by API Gateway itself")
    accepted = post("/orders", '{"sku": "A-1", "quantity": 2}')
    post("/orders", '{"sku": "A-1"}')                        # the model requires quantity
    post("/orders", "sku=A-1")                               # not JSON
    post("/ledger", '{"amount": 5}')                         # the FIFO route requires an Idempotency-Key
    post("/ledger", '{"amount": 5}', {"Idempotency-Key": key})
    post("/ledger", '{"amount": 5}', {"Idempotency-Key": key})  # the same key: the same message, stored once
    if accepted.status_code == 202:
        status_url = f"{base}/orders/{accepted.json()['id']}"
        for _ in range(20):
            response = session.get(status_url, timeout=30)
            if response.status_code == 200:
                break
            time.sleep(0.5)
        say(f"  -> GET /orders/{accepted.json()['id']}\n  <- {response.status_code} {response.text.strip()}")
