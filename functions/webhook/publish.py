"""Publishing one verified delivery to the bus: a failed entry is retried, and never reported as success."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any


class PublishFailed(RuntimeError):
    """PutEvents did not accept the entry after every attempt; the delivery must not be acknowledged."""


def put_event(
    client: Any,
    bus_name: str,
    entry: Mapping[str, Any],
    attempts: int = 3,
    backoff_seconds: float = 0.2,
    sleep: Callable[[float], None] = time.sleep,
) -> str:
    """PutEvents one entry and return its event id, retrying a failed entry or call with backoff."""
    reason = "no attempt made"
    for attempt in range(attempts):
        if attempt:
            sleep(backoff_seconds * 2 ** (attempt - 1))
        try:
            response = client.put_events(Entries=[{**entry, "EventBusName": bus_name}])
        except Exception as exc:  # botocore errors: the call itself failed (botocore already retried throttling)
            reason = f"{type(exc).__name__}: {exc}"
            continue
        result = (response.get("Entries") or [{}])[0]
        if not response.get("FailedEntryCount") and result.get("EventId"):
            return result["EventId"]
        reason = f"{result.get('ErrorCode', 'unknown error')}: {result.get('ErrorMessage', '')}"
    raise PublishFailed(f"PutEvents failed {attempts} times; last: {reason}")
