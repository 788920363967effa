"""Helpers shared by the priority-queue e2e tests: reading job records."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import boto3

from functions.priority.dynamo_queue import plain


def records(table: Any, ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    """The current records of these job ids (consistent reads, 100 per BatchGetItem)."""
    wanted = list(dict.fromkeys(ids))
    found: dict[str, dict[str, Any]] = {}
    resource = boto3.resource("dynamodb")  # its batch_get_item returns plain (deserialised) items
    for start in range(0, len(wanted), 100):
        keys: list[dict[str, Any]] = [{"id": job_id} for job_id in wanted[start:start + 100]]
        request = {table.name: {"Keys": keys, "ConsistentRead": True}}
        while request:
            response = resource.batch_get_item(RequestItems=request)
            for item in response["Responses"].get(table.name, []):
                found[item["id"]] = plain(item)
            request = response.get("UnprocessedKeys") or {}
    return found


def all_with_status(table: Any, ids: list[str], status: str) -> dict[str, dict[str, Any]] | None:
    """The records of ``ids`` once every one has ``status``; None before that."""
    current = records(table, ids)
    if len(current) == len(ids) and all(r.get("status") == status for r in current.values()):
        return current
    return None


def max_concurrent_batches(batch_records: Iterable[dict[str, Any]]) -> int:
    """How many worker invocations (jobs grouped by ``request_id``) ever ran at once, judged from
    their jobs' start and completion times."""
    spans: dict[str, list[int]] = {}
    for record in batch_records:
        span = spans.setdefault(record["request_id"], [record["started_at"], record["completed_at"]])
        span[0], span[1] = min(span[0], record["started_at"]), max(span[1], record["completed_at"])
    events = sorted([(start, 1) for start, _ in spans.values()] + [(end, -1) for _, end in spans.values()])
    running = peak = 0
    for _, change in events:  # at equal times an end (-1) sorts before a start (+1)
        running += change
        peak = max(peak, running)
    return peak
