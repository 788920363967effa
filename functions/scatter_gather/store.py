"""The aggregator both variants share: one DynamoDB item per correlation id, changed only by
conditional updates, and one completion event per aggregate.

- a reply is recorded with ``SET replies.<provider>`` on condition that the aggregate is open, the
  provider was asked and has not replied yet: concurrent replies never overwrite each other, and a
  duplicate (or a redelivered message) is counted once;
- the aggregate completes when its strategy has enough replies, or at the deadline, by a
  conditional update that also checks ``replyCount``: the result is computed from exactly the
  replies recorded, and only one writer completes it;
- a reply after completion goes to ``late`` and never changes the result;
- the completion event is put on the bus after the item is complete; ``publishedAt`` marks it sent,
  and every later touch of a completed, unpublished aggregate publishes it (at least once).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from botocore.exceptions import ClientError

from functions.scatter_gather.strategies import strategy_from

EVENT_SOURCE = "serverless-patterns.scatter-gather"
COMPLETED = "QuoteAggregateCompleted"
RETENTION_SECONDS = 7 * 24 * 3600
OPEN, COMPLETE = "open", "complete"


class UnknownCorrelation(LookupError):
    """No aggregate exists for this correlation id."""


class UnexpectedProvider(LookupError):
    """The reply comes from a provider this aggregate did not ask."""


def to_plain(value: Any) -> Any:
    """DynamoDB values (Decimal) as JSON-friendly ints and floats, recursively."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: to_plain(v) for k, v in value.items()}
    if isinstance(value, list | set | tuple):
        return [to_plain(v) for v in value]
    return value


def to_dynamo(value: Any) -> Any:
    """JSON values as DynamoDB accepts them (floats become Decimal)."""
    return json.loads(json.dumps(value), parse_float=Decimal)


def result_of(item: dict[str, Any], completed_by: str) -> dict[str, Any]:
    """The aggregate's answer: the strategy's quotes and who was asked but had not replied."""
    replies = to_plain(item.get("replies") or {})
    providers = list(item.get("providers") or [])
    strategy = strategy_from(to_plain(item["strategy"]))
    return {
        "quotes": [{k: v for k, v in q.items() if k != "correlationId"} for q in strategy.select(replies)],
        "missing": sorted(set(providers) - set(replies)),
        "replyCount": len(replies),
        "expected": len(providers),
        "completedBy": completed_by,
    }


class AggregateStore:
    """Aggregates in one table (key ``correlationId``); completion events on one EventBridge bus."""

    def __init__(self, table: Any, events: Any, bus_name: str, clock: Callable[[], float] = time.time) -> None:
        self.table = table
        self.events = events
        self.bus_name = bus_name
        self.clock = clock

    def open(
        self, correlation_id: str, request: dict[str, Any], strategy: dict[str, Any], deadline: float,
        providers: list[str] | None,
    ) -> dict[str, Any]:
        """Create the aggregate (before anything is published, so no reply can precede it)."""
        now = self.clock()
        item: dict[str, Any] = {
            "correlationId": correlation_id,
            "status": OPEN,
            "request": request,
            "strategy": strategy,
            "deadline": deadline,
            "createdAt": now,
            "replies": {},
            "late": {},
            "failures": {},
            "replyCount": 0,
            "expiresAt": int(now) + RETENTION_SECONDS,
        }
        if providers is not None:
            item["providers"] = providers
        self.table.put_item(Item=to_dynamo(item), ConditionExpression="attribute_not_exists(correlationId)")
        if providers is not None and not providers:
            self.complete_if_satisfied(item)
        return item

    def discard(self, correlation_id: str) -> None:
        """Remove an aggregate whose request could not be sent out (the caller was told to retry), so
        nothing is left half-applied; an aggregate already under way is kept."""
        try:
            self.table.delete_item(Key={"correlationId": correlation_id}, ConditionExpression="#s = :open",
                                   ExpressionAttributeNames={"#s": "status"},
                                   ExpressionAttributeValues={":open": OPEN})
        except self.table.meta.client.exceptions.ConditionalCheckFailedException:
            pass

    def set_providers(self, correlation_id: str, providers: list[str]) -> dict[str, Any]:
        """Fix who is asked (recipient list: after its lookup); only once per aggregate."""
        try:
            item = self.table.update_item(
                Key={"correlationId": correlation_id},
                UpdateExpression="SET providers = :providers",
                ConditionExpression="attribute_exists(correlationId) AND attribute_not_exists(providers)",
                ExpressionAttributeValues={":providers": providers},
                ReturnValues="ALL_NEW",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )["Attributes"]
        except ClientError as exc:
            old = _old_item(exc)
            if old is None:
                raise UnknownCorrelation(correlation_id) from None
            item = old  # a retried lookup: keep the providers fixed the first time
        self.complete_if_satisfied(item)
        return item

    def record_reply(self, reply: dict[str, Any]) -> str:
        """Record one provider's quote; returns ``recorded``, ``completed``, ``duplicate`` or ``late``."""
        correlation_id, provider = reply["correlationId"], reply["providerId"]
        quote = {k: v for k, v in reply.items() if k not in ("correlationId", "providerId")}
        quote["receivedAt"] = self.clock()
        try:
            item = self.table.update_item(
                Key={"correlationId": correlation_id},
                UpdateExpression="SET replies.#provider = :quote ADD replyCount :one",
                ConditionExpression=(
                    "#status = :open AND contains(providers, :provider) AND attribute_not_exists(replies.#provider)"
                ),
                ExpressionAttributeNames={"#provider": provider, "#status": "status"},
                ExpressionAttributeValues={
                    ":quote": to_dynamo(quote), ":one": 1, ":open": OPEN, ":provider": provider,
                },
                ReturnValues="ALL_NEW",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )["Attributes"]
        except ClientError as exc:
            return self._not_recorded(exc, correlation_id, provider, quote)
        return "completed" if self.complete_if_satisfied(item) else "recorded"

    def _not_recorded(self, exc: ClientError, correlation_id: str, provider: str, quote: dict[str, Any]) -> str:
        old = _old_item(exc)
        if old is None:
            raise UnknownCorrelation(f"no aggregate for correlation id {correlation_id}") from None
        if provider not in (old.get("providers") or []):
            raise UnexpectedProvider(f"provider {provider!r} was not asked for {correlation_id}") from None
        if provider in (old.get("replies") or {}):
            self.publish_if_pending(old)
            return "duplicate"
        # Completed before this reply: keep it apart so the published result never changes.
        try:
            self.table.update_item(
                Key={"correlationId": correlation_id},
                UpdateExpression="SET late.#provider = :quote",
                ConditionExpression="attribute_not_exists(late.#provider)",
                ExpressionAttributeNames={"#provider": provider},
                ExpressionAttributeValues={":quote": to_dynamo(quote)},
            )
        except ClientError as late_exc:
            if _code(late_exc) != "ConditionalCheckFailedException":
                raise
            return "duplicate"
        self.publish_if_pending(old)
        return "late"

    def record_failure(self, correlation_id: str, provider: str, error: str) -> None:
        """Note why a provider gave no quote (recipient list: its task failed or timed out)."""
        try:
            self.table.update_item(
                Key={"correlationId": correlation_id},
                UpdateExpression="SET failures.#provider = :error",
                ConditionExpression="attribute_exists(correlationId) AND attribute_not_exists(replies.#provider)",
                ExpressionAttributeNames={"#provider": provider},
                ExpressionAttributeValues={":error": error[:512]},
            )
        except ClientError as exc:
            if _code(exc) != "ConditionalCheckFailedException":
                raise

    def complete_if_satisfied(self, item: dict[str, Any]) -> bool:
        """Complete when the strategy has enough replies; True if this call completed it."""
        if item.get("status") != OPEN or "providers" not in item:
            return False
        strategy = strategy_from(to_plain(item["strategy"]))
        if not strategy.enough(int(item.get("replyCount", 0)), len(item["providers"])):
            return False
        completed_by = "all-replied" if int(item.get("replyCount", 0)) >= len(item["providers"]) else "enough-replies"
        return self._complete(item, completed_by)

    def close(self, correlation_id: str, completed_by: str = "deadline", attempts: int = 10) -> dict[str, Any]:
        """The deadline (or, in the recipient list, every recipient has answered or failed): complete with
        whatever replies are in. Idempotent; returns the item."""
        for _ in range(attempts):
            item = self.get(correlation_id)
            if item is None:
                raise UnknownCorrelation(f"no aggregate for correlation id {correlation_id}")
            if item["status"] != OPEN:
                self.publish_if_pending(item)
                return item
            if "providers" not in item:
                item["providers"] = []  # the lookup never ran: nobody was asked
            if self._complete(item, completed_by):
                return self.get(correlation_id) or item
        raise RuntimeError(f"could not close {correlation_id}: replies kept arriving")

    def _complete(self, item: dict[str, Any], completed_by: str) -> bool:
        now = self.clock()
        result = result_of(item, completed_by)
        try:
            self.table.update_item(
                Key={"correlationId": item["correlationId"]},
                UpdateExpression=(
                    "SET #status = :complete, #result = :result, completedAt = :now, providers = :providers"
                ),
                ConditionExpression="#status = :open AND replyCount = :count",
                ExpressionAttributeNames={"#status": "status", "#result": "result"},
                ExpressionAttributeValues={
                    ":complete": COMPLETE, ":open": OPEN, ":count": int(item.get("replyCount", 0)),
                    ":result": to_dynamo(result), ":now": to_dynamo(now), ":providers": list(item["providers"]),
                },
            )
        except ClientError as exc:
            if _code(exc) == "ConditionalCheckFailedException":
                return False  # another writer recorded a reply or completed it first
            raise
        self.publish_if_pending({**item, "status": COMPLETE, "result": result, "completedAt": now})
        return True

    def publish_if_pending(self, item: dict[str, Any]) -> None:
        """Put the completion event on the bus unless it was already sent."""
        if item.get("status") != COMPLETE or item.get("publishedAt") is not None:
            return
        detail = {
            "correlationId": item["correlationId"],
            "request": to_plain(item.get("request")),
            "strategy": to_plain(item.get("strategy")),
            "completedAt": to_plain(item.get("completedAt")),
            **to_plain(item["result"]),
        }
        response = self.events.put_events(Entries=[{
            "Source": EVENT_SOURCE, "DetailType": COMPLETED, "Detail": json.dumps(detail),
            "EventBusName": self.bus_name,
        }])
        if response.get("FailedEntryCount"):
            raise RuntimeError(f"completion event for {item['correlationId']} not accepted: {response['Entries']}")
        self.table.update_item(
            Key={"correlationId": item["correlationId"]},
            UpdateExpression="SET publishedAt = :now",
            ExpressionAttributeValues={":now": to_dynamo(self.clock())},
        )

    def get(self, correlation_id: str) -> dict[str, Any] | None:
        return self.table.get_item(Key={"correlationId": correlation_id}, ConsistentRead=True).get("Item")


def public_view(item: dict[str, Any]) -> dict[str, Any]:
    """What ``GET /quotes/{correlationId}`` returns."""
    plain = to_plain(item)
    view = {
        "correlationId": plain["correlationId"],
        "status": plain["status"],
        "request": plain.get("request"),
        "strategy": plain.get("strategy"),
        "deadline": plain.get("deadline"),
        "providers": plain.get("providers"),
        "replied": sorted(plain.get("replies") or {}),
        "late": sorted(plain.get("late") or {}),
        "failures": plain.get("failures") or {},
    }
    if plain["status"] == COMPLETE:
        view["result"] = plain["result"]
        view["completedAt"] = plain.get("completedAt")
    return view


def _old_item(exc: ClientError) -> dict[str, Any] | None:
    if _code(exc) != "ConditionalCheckFailedException":
        raise exc
    item = exc.response.get("Item")
    if item is None:
        return None
    from boto3.dynamodb.types import TypeDeserializer

    deserializer = TypeDeserializer()
    return {k: deserializer.deserialize(v) for k, v in item.items()}


def _code(exc: ClientError) -> str:
    return exc.response.get("Error", {}).get("Code", "")
