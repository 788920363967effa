"""Tasks of the state machines: looking up the recipients (recipient list) and closing an aggregate
at its deadline (both variants: the publish-subscribe timer and the end of the recipient list's Map)."""

from __future__ import annotations

from typing import Any

import boto3

from functions.scatter_gather.config import ScatterGatherConfig
from functions.scatter_gather.registry import providers_for
from functions.scatter_gather.store import AggregateStore, to_plain

config = ScatterGatherConfig.from_environment()
dynamodb = boto3.resource("dynamodb")
store = AggregateStore(dynamodb.Table(config.aggregates_table), boto3.client("events"), config.event_bus)


def recipients(event: dict[str, Any], context: object) -> dict[str, Any]:
    """The registered providers that quote for this amount; fixes them on the aggregate."""
    entries = providers_for(dynamodb.Table(config.registry_table), event["amount"])
    item = store.set_providers(event["correlationId"], [e["providerId"] for e in entries])
    asked = set(item.get("providers") or [])
    return {"recipients": [{"providerId": e["providerId"], "functionArn": e["functionArn"]}
                           for e in entries if e["providerId"] in asked]}


def close(event: dict[str, Any], context: object) -> dict[str, Any]:
    """Complete the aggregate with the replies it has (no-op when already complete)."""
    item = to_plain(store.close(event["correlationId"], event.get("completedBy", "deadline")))
    return {"correlationId": item["correlationId"], "status": item["status"],
            "completedBy": (item.get("result") or {}).get("completedBy")}
