"""The status table: one item per stored request that a consumer has seen, keyed ``<target>/<id>``."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from typing import Any

from functions.storage_first.config import StorageFirstConfig
from functions.storage_first.processing import Outcome, StoredRequest


def status_key(target: str, request_id: str) -> str:
    return f"{target}/{request_id}"


class DynamoStatusStore:
    """:class:`~functions.storage_first.processing.StatusStore` on a DynamoDB table (key ``id``, TTL
    attribute ``expires_at``), through a boto3 client."""

    def __init__(self, client: Any, table: str, ttl_seconds: int) -> None:
        self.client, self.table, self.ttl_seconds = client, table, ttl_seconds

    def status(self, target: str, request_id: str) -> dict[str, Any] | None:
        item = self.client.get_item(TableName=self.table, Key={"id": {"S": status_key(target, request_id)}},
                                    ConsistentRead=True).get("Item")
        if not item:
            return None
        found = {"target": target, "id": request_id, "status": item["status"]["S"],
                 "attempts": int(item.get("attempts", {}).get("N", "0"))}
        if "reason" in item:
            found["reason"] = item["reason"]["S"]
        if "body_sha256" in item:
            found["body_sha256"] = item["body_sha256"]["S"]
            found["body_bytes"] = int(item["body_bytes"]["N"])
        return found

    def failed(self, request: StoredRequest, reason: str) -> int:
        result = self.client.update_item(
            TableName=self.table, Key={"id": {"S": status_key(request.target, request.id)}},
            UpdateExpression="ADD attempts :one SET #s = :retrying, reason = :reason, expires_at = :expires",
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues={":one": {"N": "1"}, ":retrying": {"S": "retrying"},
                                       ":reason": {"S": reason}, ":expires": {"N": self._expiry()}},
            ReturnValues="UPDATED_NEW")
        return int(result["Attributes"]["attempts"]["N"])

    def settle(self, request: StoredRequest, status: Outcome, reason: str | None = None) -> None:
        names = {"#s": "status"}
        values = {":status": {"S": status}, ":expires": {"N": self._expiry()}, ":one": {"N": "1"}}
        expression = "SET #s = :status, expires_at = :expires ADD attempts :one"
        if status == "dead_lettered":  # the failure that gave up was counted already
            expression = "SET #s = :status, expires_at = :expires"
            del values[":one"]
        if reason is not None:
            expression = expression.replace("SET ", "SET reason = :reason, ", 1)
            values[":reason"] = {"S": reason}
        # What was processed, for audit: the digest and size of the stored body.
        expression = expression.replace("SET ", "SET body_sha256 = :digest, body_bytes = :size, ", 1)
        body = request.body.encode("utf-8")
        values[":digest"] = {"S": hashlib.sha256(body).hexdigest()}
        values[":size"] = {"N": str(len(body))}
        self.client.update_item(TableName=self.table, Key={"id": {"S": status_key(request.target, request.id)}},
                                UpdateExpression=expression, ExpressionAttributeNames=names,
                                ExpressionAttributeValues=values)

    def _expiry(self) -> str:
        return str(int(time.time()) + self.ttl_seconds)


def dead_letter_attributes(request: StoredRequest, reason: str) -> dict[str, dict[str, str]]:
    """What a dead letter carries besides its body: why, which request, which target."""
    return {name: {"DataType": "String", "StringValue": value[:1000] or "-"} for name, value in (
        ("rejected-reason", reason), ("request-id", request.id), ("target", request.target))}


def dead_letter_to(client: Any, settings: StorageFirstConfig, log: Any) -> Callable[[StoredRequest, str], None]:
    """Parks a request in its target's (standard) DLQ: the body as stored, with the reason."""
    def dead_letter(request: StoredRequest, reason: str) -> None:
        client.send_message(QueueUrl=settings.targets[request.target].dlq_url, MessageBody=request.body,
                            MessageAttributes=dead_letter_attributes(request, reason))
        log.warning("dead-lettered", target=request.target, request_id=request.id, reason=reason)
    return dead_letter
