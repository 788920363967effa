"""The catalog's shard message handler (bundled into each worker by ``__main__.py``; no part of the
library): a body ``{"poison": true}`` always fails, ``{"work_ms": n}`` takes n ms (so shards hold
backlogs while the e2e tests reshard)."""

from __future__ import annotations

import time
from typing import Any


def handle(message: Any) -> dict[str, Any]:
    body = message.body if isinstance(message.body, dict) else {}
    if body.get("poison"):
        raise ValueError(f"poison message {message.id} of key {message.key}")
    work = body.get("work_ms")
    if isinstance(work, int) and not isinstance(work, bool) and work > 0:
        time.sleep(min(work, 500) / 1000)
    return {"handled": message.id}
