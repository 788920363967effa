"""The provider registry: one DynamoDB item per provider (``providerId``, ``functionArn``, optional
``minAmount``/``maxAmount``), written by each provider's registration at deploy time."""

from __future__ import annotations

from typing import Any

from functions.scatter_gather.messages import accepts
from functions.scatter_gather.store import to_plain


def providers_for(table: Any, amount: float) -> list[dict[str, Any]]:
    """The registered providers that quote for ``amount``, ordered by id."""
    entries: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"ConsistentRead": True}
    while True:
        page = table.scan(**kwargs)
        entries += [to_plain(item) for item in page.get("Items", [])]
        if "LastEvaluatedKey" not in page:
            break
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    return sorted((e for e in entries if accepts(e, amount)), key=lambda e: e["providerId"])
