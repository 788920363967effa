"""Event store demo: two appends to an order's stream, a conflicting one refused, the stream and the log."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from functions.event_store.exceptions import VersionConflict
from functions.event_store.store import EventLog, NewEvent
from localcloud.demos import aws_client, demo


@demo("event_store")
def event_store(outputs: dict[str, Any], endpoint: str | None, say: Callable[[str], None]) -> None:
    log = EventLog(outputs["events_table_name"], aws_client("dynamodb", endpoint), namespace="demo/")
    order = f"order-{uuid.uuid4().hex[:6]}"
    say(f"event store: stream {order}, appended in-process on the deployed table")
    positions = log.append([NewEvent(order, 1, "Placed", b"{}"), NewEvent(order, 2, "Paid", b"{}")])
    say(f"  append Placed v1, Paid v2 -> positions {positions}")
    try:
        log.append([NewEvent(order, 2, "Cancelled", b"{}")])
    except VersionConflict as refused:
        say(f"  append Cancelled v2 (stale) -> refused: {refused}")
    say(f"  the stream: {[(e.version, e.topic) for e in log.stream(order)]}")
    say(f"  the log from its start: {[(e.position, e.stream_id, e.topic) for e in log.notifications(None, 10)]}")
