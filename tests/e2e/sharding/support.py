"""Reading what the shard workers recorded: every message's outcome, in each key's processing order."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

import boto3
from boto3.dynamodb.conditions import Key


def outcomes(table_name: str, keys: Iterable[str]) -> dict[str, list[dict[str, Any]]]:
    """``{key: [message record, ...]}`` in processing order (``position``), settled messages only."""
    table = boto3.resource("dynamodb").Table(table_name)
    found: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for key in keys:
        query: dict[str, Any] = {"KeyConditionExpression": Key("key").eq(key) & Key("item").begins_with("seq#"),
                                 "ConsistentRead": True}
        while True:
            page = table.query(**query)
            found[key] += [item for item in page["Items"] if item.get("status")]
            if "LastEvaluatedKey" not in page:
                break
            query["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        found[key].sort(key=lambda item: int(item["position"]))
    return found


def all_settled(table_name: str, expected: dict[str, int]) -> dict[str, list[dict[str, Any]]] | None:
    """The outcomes once every key has settled ``expected[key]`` messages (None before)."""
    table = boto3.resource("dynamodb").Table(table_name)
    for key, count in expected.items():
        state = table.get_item(Key={"key": key, "item": "#state"}, ConsistentRead=True).get("Item")
        if not state or int(state["settled"]) < count:
            return None
    return outcomes(table_name, expected)
