"""Sequence generator demo: atomic ids, a leased block, gap-free invoices with a refused duplicate,
an idempotent retry, and bad input refused."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

from localcloud.demos import demo, exchange
from localcloud.http import signed_session
from localcloud.target import reachable_url


@demo("sequence")
def sequence(outputs: dict[str, Any], endpoint: str | None, say: Callable[[str], None]) -> None:
    base = reachable_url(outputs["url"], endpoint) + "/sequences"
    tenant = uuid.uuid4().hex[:6]
    say("atomic: two ticket numbers (the sequence starts at 1000), then a range of three")
    exchange(say, "POST", f"{base}/ticket/next")
    exchange(say, "POST", f"{base}/ticket/next", '{"count": 3}')
    say("block: one request leases 100 order numbers")
    exchange(say, "POST", f"{base}/order-{tenant}/next")
    say("gap-free: two invoices, then a duplicate invoice (refused, no number taken), then the next one")
    for ref in ("A-1", "A-2", "A-2", "A-3"):
        exchange(say, "POST", f"{base}/invoice-{tenant}/next", json.dumps({"item": {"pk": f"{tenant}-{ref}"}}))
    say("idempotency: the same Idempotency-Key twice gives the same number")
    key = f"demo-{tenant}"
    for _ in range(2):
        response = signed_session().post(f"{base}/ticket/next", headers={"Idempotency-Key": key}, timeout=30)
        say(f"  -> POST {base}/ticket/next  Idempotency-Key: {key}\n  <- {response.status_code} {response.text}")
    say("bad input: count 0, and an undeclared sequence")
    exchange(say, "POST", f"{base}/ticket/next", '{"count": 0}')
    exchange(say, "POST", f"{base}/undeclared/next")
