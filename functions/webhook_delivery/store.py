"""The dispatcher's state in DynamoDB.

Endpoints table, key ``endpoint_id``: ``url``, ``event_types``, ``description``, ``disabled`` /
``disabled_reason``, ``secrets`` (newest first, each ``{"key": "whsec_...", "expires_at": epoch|None}``)
and the circuit (``circuit``, ``failures``, ``open_until``, ``probe_until``).

Messages table, key ``message_id`` + ``item``:

- ``message``: ``event_type``, ``body`` (the exact bytes every attempt sends), ``digest`` (of type and
  data: a reused id with other content is a conflict), ``fanned_out``, ``endpoint_count``;
- ``delivery#<endpoint>``: ``status`` (``pending``, ``delivered``, ``dead_lettered``, ``cancelled``),
  ``attempts`` (a counter numbering the attempt log), ``last_status``;
- ``attempt#<endpoint>#<n>``: one attempt's ``status``, ``latency_ms``, ``excerpt``, ``error``, ``outcome``;
  with ``endpoint_id`` and ``at`` it is in the sparse index ``by_endpoint`` (an endpoint's attempts by time).

Every item expires (``expires_at``) after the retention period.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

from functions.common.errors import Conflict
from functions.common.timestamps import iso_utc
from functions.webhook_delivery.policy import CLOSED, HALF_OPEN, OPEN, Circuit

MESSAGE = "message"
BY_ENDPOINT = "by_endpoint"
CLOSED_CIRCUIT = {"circuit": CLOSED, "failures": 0, "open_until": 0, "probe_until": 0}  # a fresh start
_serializer, _deserializer = TypeSerializer(), TypeDeserializer()


def _dynamo(item: dict[str, Any]) -> dict[str, Any]:
    return {k: _serializer.serialize(v) for k, v in item.items() if v is not None}


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, set)):
        return [_plain(v) for v in value]
    return value


def _python(item: dict[str, Any] | None) -> dict[str, Any] | None:
    return None if item is None else {k: _plain(_deserializer.deserialize(v)) for k, v in item.items()}


def _values(values: dict[str, Any]) -> dict[str, Any]:
    return {k: _serializer.serialize(v) for k, v in values.items()}


def _conditional_failed(error: ClientError) -> bool:
    return error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException"


def delivery_item(endpoint_id: str) -> str:
    return f"delivery#{endpoint_id}"


def attempt_item(endpoint_id: str, number: int) -> str:
    return f"attempt#{endpoint_id}#{number:04d}"


def circuit_of(endpoint: dict[str, Any]) -> Circuit:
    return Circuit(endpoint.get("circuit", CLOSED), int(endpoint.get("failures", 0)),
                   float(endpoint.get("open_until", 0)), float(endpoint.get("probe_until", 0)))


class DispatcherStore:
    """Reads and conditional writes of endpoints, messages, deliveries and attempts."""

    def __init__(self, dynamodb: Any, endpoints_table: str, messages_table: str, retention_seconds: int) -> None:
        self.dynamodb, self.endpoints, self.messages = dynamodb, endpoints_table, messages_table
        self.retention_seconds = retention_seconds

    def _expires(self) -> int:
        return int(time.time()) + self.retention_seconds

    # Endpoints

    def create_endpoint(self, endpoint: dict[str, Any]) -> None:
        self.dynamodb.put_item(TableName=self.endpoints, Item=_dynamo(endpoint),
                               ConditionExpression="attribute_not_exists(endpoint_id)")

    def endpoint(self, endpoint_id: str) -> dict[str, Any] | None:
        found = self.dynamodb.get_item(TableName=self.endpoints, Key=_dynamo({"endpoint_id": endpoint_id}),
                                       ConsistentRead=True)
        return _python(found.get("Item"))

    def update_endpoint(self, endpoint_id: str, changes: dict[str, Any], remove: tuple[str, ...] = ()) -> \
            dict[str, Any] | None:
        """Set ``changes`` (and drop ``remove``) on an existing endpoint: the endpoint as it is now, or None."""
        names = {f"#f{i}": k for i, k in enumerate([*changes, *remove])}
        clauses = []
        if changes:
            clauses.append("SET " + ", ".join(f"#f{i} = :v{i}" for i in range(len(changes))))
        if remove:
            clauses.append("REMOVE " + ", ".join(f"#f{len(changes) + i}" for i in range(len(remove))))
        request: dict[str, Any] = {
            "TableName": self.endpoints, "Key": _dynamo({"endpoint_id": endpoint_id}),
            "UpdateExpression": " ".join(clauses), "ConditionExpression": "attribute_exists(endpoint_id)",
            "ExpressionAttributeNames": names, "ReturnValues": "ALL_NEW"}
        if changes:
            request["ExpressionAttributeValues"] = _values({f":v{i}": v for i, v in enumerate(changes.values())})
        try:
            updated = self.dynamodb.update_item(**request)
        except ClientError as exc:
            if _conditional_failed(exc):
                return None
            raise
        return _python(updated["Attributes"])

    def delete_endpoint(self, endpoint_id: str) -> bool:
        try:
            self.dynamodb.delete_item(TableName=self.endpoints, Key=_dynamo({"endpoint_id": endpoint_id}),
                                      ConditionExpression="attribute_exists(endpoint_id)")
        except ClientError as exc:
            if _conditional_failed(exc):
                return False
            raise
        return True

    def list_endpoints(self, limit: int, after: str | None = None) -> tuple[list[dict[str, Any]], str | None]:
        """One page of endpoints and the cursor of the next (None at the end)."""
        request: dict[str, Any] = {"TableName": self.endpoints, "Limit": limit}
        if after:
            request["ExclusiveStartKey"] = _dynamo({"endpoint_id": after})
        page = self.dynamodb.scan(**request)
        last = page.get("LastEvaluatedKey")
        cursor = (_python(last) or {}).get("endpoint_id") if last else None
        return [_python(i) or {} for i in page.get("Items", [])], cursor

    def subscribers(self, event_type: str) -> list[dict[str, Any]]:
        """Every enabled endpoint subscribed to ``event_type`` (read whole: the list must be current)."""
        return list(self._every_item(self.dynamodb.scan, {
            "TableName": self.endpoints, "ConsistentRead": True,
            "FilterExpression": "contains(event_types, :type) AND (attribute_not_exists(disabled) OR disabled = :no)",
            "ExpressionAttributeValues": _values({":type": event_type, ":no": False})}))

    @staticmethod
    def _every_item(read: Any, request: dict[str, Any]) -> Iterator[dict[str, Any]]:
        """Every item of a ``Scan`` or ``Query``, page after page."""
        while True:
            page = read(**request)
            yield from (_python(i) or {} for i in page.get("Items", []))
            if not page.get("LastEvaluatedKey"):
                return
            request = {**request, "ExclusiveStartKey": page["LastEvaluatedKey"]}

    # Circuit

    def record_success(self, endpoint: dict[str, Any]) -> None:
        if circuit_of(endpoint) == Circuit():
            return  # nothing to reset: no write on the healthy path
        self._set_circuit(endpoint["endpoint_id"], CLOSED_CIRCUIT)

    def record_failure(self, endpoint_id: str, threshold: int, cooldown: int, probing: bool) -> None:
        """Count a consecutive failure; open the circuit at ``threshold`` (or at once after a failed probe)."""
        try:
            updated = self.dynamodb.update_item(
                TableName=self.endpoints, Key=_dynamo({"endpoint_id": endpoint_id}),
                UpdateExpression="ADD failures :one", ConditionExpression="attribute_exists(endpoint_id)",
                ExpressionAttributeValues=_values({":one": 1}), ReturnValues="ALL_NEW")
        except ClientError as exc:
            if _conditional_failed(exc):
                return  # the endpoint was deleted meanwhile
            raise
        circuit = circuit_of(_python(updated["Attributes"]) or {})
        if probing or (circuit.state == CLOSED and circuit.failures >= threshold):
            self._set_circuit(endpoint_id, {"circuit": OPEN, "open_until": time.time() + cooldown, "probe_until": 0})

    def acquire_slot(self, endpoint_id: str, limit: int, now: float, stale_after: float) -> bool:
        """Count one more attempt in flight to the endpoint, unless ``limit`` already are. A count no
        attempt has touched for ``stale_after`` seconds (its workers died) starts again from one."""
        values = {":one": 1, ":zero": 0, ":limit": limit, ":now": Decimal(str(now))}
        try:
            self.dynamodb.update_item(
                TableName=self.endpoints, Key=_dynamo({"endpoint_id": endpoint_id}),
                UpdateExpression="SET in_flight = if_not_exists(in_flight, :zero) + :one, in_flight_at = :now",
                ConditionExpression="attribute_exists(endpoint_id) AND "
                                    "(attribute_not_exists(in_flight) OR in_flight < :limit)",
                ExpressionAttributeValues=_values(values))
            return True
        except ClientError as exc:
            if not _conditional_failed(exc):
                raise
        try:
            self.dynamodb.update_item(
                TableName=self.endpoints, Key=_dynamo({"endpoint_id": endpoint_id}),
                UpdateExpression="SET in_flight = :one, in_flight_at = :now",
                ConditionExpression="in_flight_at < :stale",
                ExpressionAttributeValues=_values({":one": 1, ":now": Decimal(str(now)),
                                                   ":stale": Decimal(str(now - stale_after))}))
            return True
        except ClientError as exc:
            if _conditional_failed(exc):
                return False
            raise

    def release_slot(self, endpoint_id: str) -> None:
        try:
            self.dynamodb.update_item(
                TableName=self.endpoints, Key=_dynamo({"endpoint_id": endpoint_id}),
                UpdateExpression="SET in_flight = in_flight - :one", ConditionExpression="in_flight > :zero",
                ExpressionAttributeValues=_values({":one": 1, ":zero": 0}))
        except ClientError as exc:
            if not _conditional_failed(exc):
                raise

    def claim_probe(self, endpoint_id: str, now: float, probe_seconds: float) -> bool:
        """Become the one half-open probe of an open circuit whose cooldown is over."""
        try:
            self.dynamodb.update_item(
                TableName=self.endpoints, Key=_dynamo({"endpoint_id": endpoint_id}),
                UpdateExpression="SET circuit = :half, probe_until = :until",
                ConditionExpression="(circuit = :open AND open_until <= :now) OR "
                                    "(circuit = :half AND probe_until <= :now)",
                ExpressionAttributeValues=_values({":half": HALF_OPEN, ":open": OPEN, ":now": Decimal(str(now)),
                                                   ":until": Decimal(str(now + probe_seconds))}))
        except ClientError as exc:
            if _conditional_failed(exc):
                return False
            raise
        return True

    def _set_circuit(self, endpoint_id: str, values: dict[str, Any]) -> None:
        values = {k: Decimal(str(v)) if isinstance(v, float) else v for k, v in values.items()}
        self.update_endpoint(endpoint_id, values)

    # Messages and deliveries

    def put_message(self, message_id: str, event_type: str, body: str, digest: str) -> dict[str, Any] | None:
        """Store a new message; None if it is new, the stored one if the id was seen with the same content.

        A reused id with another event type or data is :class:`Conflict` (409)."""
        item = {"message_id": message_id, "item": MESSAGE, "event_type": event_type, "body": body, "digest": digest,
                "created_at": int(time.time()), "fanned_out": False, "expires_at": self._expires()}
        try:
            self.dynamodb.put_item(TableName=self.messages, Item=_dynamo(item),
                                   ConditionExpression="attribute_not_exists(message_id)")
            return None
        except ClientError as exc:
            if not _conditional_failed(exc):
                raise
        stored = self.message(message_id)
        if stored is None or stored.get("digest") != digest:
            raise Conflict(f"message id {message_id!r} was already used for another event type or payload")
        return stored

    def message(self, message_id: str) -> dict[str, Any] | None:
        found = self.dynamodb.get_item(TableName=self.messages, ConsistentRead=True,
                                       Key=_dynamo({"message_id": message_id, "item": MESSAGE}))
        return _python(found.get("Item"))

    def open_delivery(self, message_id: str, endpoint_id: str) -> None:
        """The delivery's record, ``pending`` (kept as it is if the message is fanned out again)."""
        try:
            self.dynamodb.put_item(TableName=self.messages, Item=_dynamo({
                "message_id": message_id, "item": delivery_item(endpoint_id), "endpoint": endpoint_id,
                "status": "pending", "attempts": 0, "expires_at": self._expires()}),
                ConditionExpression="attribute_not_exists(message_id)")
        except ClientError as exc:
            if not _conditional_failed(exc):
                raise

    def mark_fanned_out(self, message_id: str, endpoint_count: int) -> None:
        self.dynamodb.update_item(
            TableName=self.messages, Key=_dynamo({"message_id": message_id, "item": MESSAGE}),
            UpdateExpression="SET fanned_out = :yes, endpoint_count = :n",
            ExpressionAttributeValues=_values({":yes": True, ":n": endpoint_count}))

    def delivery(self, message_id: str, endpoint_id: str) -> dict[str, Any] | None:
        found = self.dynamodb.get_item(TableName=self.messages, ConsistentRead=True,
                                       Key=_dynamo({"message_id": message_id, "item": delivery_item(endpoint_id)}))
        return _python(found.get("Item"))

    def next_attempt_number(self, message_id: str, endpoint_id: str) -> int:
        updated = self.dynamodb.update_item(
            TableName=self.messages, Key=_dynamo({"message_id": message_id, "item": delivery_item(endpoint_id)}),
            UpdateExpression="ADD attempts :one SET endpoint = :endpoint, expires_at = if_not_exists(expires_at, :exp)",
            ExpressionAttributeValues=_values({":one": 1, ":endpoint": endpoint_id, ":exp": self._expires()}),
            ReturnValues="UPDATED_NEW")
        return int(_plain(_deserializer.deserialize(updated["Attributes"]["attempts"])))

    def settle_delivery(self, message_id: str, endpoint_id: str, status: str, last_status: int | None = None,
                        reason: str | None = None) -> None:
        values: dict[str, Any] = {":status": status, ":at": int(time.time())}
        expression = "SET #status = :status, updated_at = :at"
        if last_status is not None:
            values[":last"] = last_status
            expression += ", last_status = :last"
        if reason is not None:
            values[":reason"] = reason
            expression += ", reason = :reason"
        self.dynamodb.update_item(
            TableName=self.messages, Key=_dynamo({"message_id": message_id, "item": delivery_item(endpoint_id)}),
            UpdateExpression=expression, ExpressionAttributeNames={"#status": "status"},
            ExpressionAttributeValues=_values(values))

    def log_attempt(self, message_id: str, endpoint_id: str, number: int, record: dict[str, Any]) -> None:
        at = iso_utc(time.time())
        self.dynamodb.put_item(TableName=self.messages, Item=_dynamo({
            "message_id": message_id, "item": attempt_item(endpoint_id, number), "endpoint_id": endpoint_id,
            "at": f"{at}#{message_id}#{number:04d}", "timestamp": at, "attempt": number,
            "expires_at": self._expires(), **record}))

    def message_items(self, message_id: str) -> Iterator[dict[str, Any]]:
        return self._every_item(self.dynamodb.query, {
            "TableName": self.messages, "ConsistentRead": True, "KeyConditionExpression": "message_id = :id",
            "ExpressionAttributeValues": _values({":id": message_id})})

    def endpoint_attempts(self, endpoint_id: str, limit: int) -> list[dict[str, Any]]:
        """The endpoint's latest ``limit`` attempts, newest first."""
        page = self.dynamodb.query(TableName=self.messages, IndexName=BY_ENDPOINT, Limit=limit,
                                   ScanIndexForward=False, KeyConditionExpression="endpoint_id = :id",
                                   ExpressionAttributeValues=_values({":id": endpoint_id}))
        return [_python(i) or {} for i in page.get("Items", [])]
