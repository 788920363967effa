"""The accounts read model, kept up to date from the event store's notification log.

Each event is applied with a **version-guarded** update (an account's version ``v`` is written only over
``v - 1``), so a redelivered event changes nothing and an event never skips one; the projection's
checkpoint (the last position applied) only moves up. An event that cannot be applied (malformed, an
unknown type) is parked in the DLQ with the reason and skipped: the rest apply.

Used by the stream handler (:mod:`functions.event_store.projector`) and by a rebuild, which replays the
whole log into an emptied read model (:meth:`AccountsProjection.rebuild`).
"""

from __future__ import annotations

import json
from base64 import b64encode
from collections.abc import Iterable
from typing import Any

from botocore.exceptions import ClientError

from functions.event_store import accounts
from functions.event_store.store import EventLog, RecordedEvent

CHECKPOINT = "$checkpoint"


class ProjectionGap(RuntimeError):
    """An event arrived before the one it follows: the batch is retried (events are applied in order)."""


class AccountsProjection:
    def __init__(self, table: str, dynamodb: Any, sqs: Any = None, dlq_url: str = "") -> None:
        self.table, self.dynamodb, self.sqs, self.dlq_url = table, dynamodb, sqs, dlq_url

    def apply_all(self, events: Iterable[RecordedEvent]) -> dict[str, int]:
        """Apply events in log order; returns how many were applied, already there, and parked."""
        counts = {"applied": 0, "duplicates": 0, "parked": 0}
        last = 0
        for event in events:
            try:
                counts["applied" if self.apply(event) else "duplicates"] += 1
            except (ValueError, KeyError, TypeError) as poison:
                self._park(event, f"{type(poison).__name__}: {poison}")
                self._skip(event)
                counts["parked"] += 1
            last = max(last, event.position)
        if last:
            self.checkpoint(last)
        return counts

    def apply(self, event: RecordedEvent) -> bool:
        """Apply one event; False when it was already applied (a redelivery)."""
        current = self._current(event.stream_id) if event.version > 1 else None
        account = accounts.apply(current or accounts.Account(), event)  # raises on a poison event
        condition = "attribute_not_exists(#v)" if event.version == 1 else "#v = :previous"
        values: dict[str, Any] = {":v": {"N": str(event.version)}, ":owner": {"S": account.owner},
                                  ":balance": {"N": str(account.balance)}, ":p": {"N": str(event.position)}}
        if event.version > 1:
            values[":previous"] = {"N": str(event.version - 1)}
        try:
            self.dynamodb.update_item(
                TableName=self.table, Key={"id": {"S": event.stream_id}},
                UpdateExpression="SET #v = :v, #owner = :owner, #balance = :balance, #p = :p",
                ConditionExpression=condition, ExpressionAttributeValues=values,
                ExpressionAttributeNames={"#v": "version", "#owner": "owner", "#balance": "balance", "#p": "position"})
        except ClientError as error:
            if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            stored = self._version(event.stream_id)
            if stored >= event.version:
                return False
            raise ProjectionGap(f"{event.stream_id} is at version {stored}; event {event.version} "
                                "arrived before the one it follows") from None
        return True

    def _skip(self, event: RecordedEvent) -> None:
        """Move the account past a parked event (its version noted in ``parked``), so its later events apply."""
        condition = "attribute_not_exists(#v)" if event.version == 1 else "#v = :previous"
        values: dict[str, Any] = {":v": {"N": str(event.version)}, ":p": {"N": str(event.position)},
                                  ":parked": {"L": [{"N": str(event.version)}]}, ":none": {"L": []}}
        if event.version > 1:
            values[":previous"] = {"N": str(event.version - 1)}
        try:
            self.dynamodb.update_item(
                TableName=self.table, Key={"id": {"S": event.stream_id}}, ConditionExpression=condition,
                UpdateExpression="SET #v = :v, #p = :p, parked = list_append(if_not_exists(parked, :none), :parked)",
                ExpressionAttributeNames={"#v": "version", "#p": "position"}, ExpressionAttributeValues=values)
        except ClientError as error:
            if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise

    def checkpoint(self, position: int) -> None:
        try:
            self.dynamodb.update_item(
                TableName=self.table, Key={"id": {"S": CHECKPOINT}}, UpdateExpression="SET #p = :p",
                ConditionExpression="attribute_not_exists(#p) OR #p < :p", ExpressionAttributeNames={"#p": "position"},
                ExpressionAttributeValues={":p": {"N": str(position)}})
        except ClientError as error:
            if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise

    def rebuild(self, log: EventLog, page: int = 500) -> dict[str, int]:
        """Empty the read model, then replay the whole log into it."""
        self._empty()
        totals = {"applied": 0, "duplicates": 0, "parked": 0}
        after = 0
        while batch := log.notifications(after, page, inclusive=False):
            for key, value in self.apply_all(batch).items():
                totals[key] += value
            after = batch[-1].position
        return totals

    def _current(self, account_id: str) -> accounts.Account | None:
        item = self.item(account_id)
        if item is None:
            return None
        owner, balance = item.get("owner", {}).get("S", ""), int(item.get("balance", {}).get("N", 0))
        return accounts.Account(owner=owner, balance=balance, opened=True)

    def _version(self, account_id: str) -> int:
        item = self.item(account_id)
        return int(item["version"]["N"]) if item else 0

    def item(self, account_id: str) -> dict[str, Any] | None:
        """The read model's row of ``account_id`` (or of the checkpoint), strongly consistent."""
        return self.dynamodb.get_item(TableName=self.table, Key={"id": {"S": account_id}},
                                      ConsistentRead=True).get("Item")

    def _empty(self) -> None:
        query: dict[str, Any] = {"TableName": self.table, "ProjectionExpression": "id", "ConsistentRead": True}
        while True:
            page = self.dynamodb.scan(**query)
            for item in page.get("Items", []):
                self.dynamodb.delete_item(TableName=self.table, Key={"id": item["id"]})
            if "LastEvaluatedKey" not in page:
                return
            query["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def _park(self, event: RecordedEvent, reason: str) -> None:
        if not self.sqs or not self.dlq_url:
            raise RuntimeError(f"cannot apply event {event.position} and no DLQ is configured: {reason}")
        body = {"position": event.position, "stream_id": event.stream_id, "version": event.version,
                "topic": event.topic, "state_base64": b64encode(event.state).decode()}
        self.sqs.send_message(QueueUrl=self.dlq_url, MessageBody=json.dumps(body), MessageAttributes={
            "reason": {"DataType": "String", "StringValue": reason[:1000]}})
