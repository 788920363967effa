"""The connection registry in DynamoDB: one row per connection, one per subscription.

Table keys: ``connection_id`` (hash) and ``sk``: ``#connection`` for the connection itself,
``topic#<topic>`` for each subscription, which also carries ``topic`` for the index by topic
(hash ``topic``, range ``connection_id``, keys only). Every row carries ``expires_at`` (epoch
seconds): DynamoDB's TTL removes the rows of a connection whose ``$disconnect`` never came, after
the longest a connection can live.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from typing import Any

from functions.websockets.config import WebSocketsConfig
from functions.websockets.exceptions import UnknownConnection

CONNECTION = "#connection"
TOPIC_PREFIX = "topic#"


class ConnectionStore:
    """Connections and subscriptions of one broadcast (``dynamodb``: a boto3 DynamoDB client)."""

    def __init__(self, dynamodb: Any, table: str, index: str, ttl_seconds: int) -> None:
        self.dynamodb, self.table, self.index, self.ttl_seconds = dynamodb, table, index, ttl_seconds

    @classmethod
    def of(cls, config: WebSocketsConfig, dynamodb: Any) -> ConnectionStore:
        """The store a handler's configuration names."""
        return cls(dynamodb, config.connections_table, config.topic_index, config.connection_ttl_seconds)

    def connect(self, connection_id: str, subject: str, topics: Sequence[str] = ()) -> None:
        """Register a connection, subscribed to ``topics`` from the start (one batch write)."""
        now = time.time()
        expires = {"N": str(int(now) + self.ttl_seconds)}
        rows = [{"connection_id": {"S": connection_id}, "sk": {"S": CONNECTION}, "subject": {"S": subject},
                 "connected_at": {"N": str(int(now))}, "expires_at": expires}]
        rows += [{"connection_id": {"S": connection_id}, "sk": {"S": TOPIC_PREFIX + topic}, "topic": {"S": topic},
                  "expires_at": expires} for topic in topics]
        self._write([{"PutRequest": {"Item": row}} for row in rows])

    def _write(self, requests: list[dict[str, Any]]) -> None:
        """``BatchWriteItem`` in pages of 25, unprocessed items retried with backoff."""
        for start in range(0, len(requests), 25):
            pending: dict[str, Any] = {self.table: requests[start:start + 25]}
            for attempt in range(8):
                pending = self.dynamodb.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}
                if not pending:
                    break
                time.sleep(min(0.05 * 2**attempt, 1))
            if pending:
                raise RuntimeError(f"DynamoDB left {len(pending[self.table])} writes unprocessed")

    def subscribe(self, connection_id: str, topic: str) -> None:
        """Subscribe a known connection (its row's expiry carried over); refused for an unknown one."""
        row = self.dynamodb.get_item(TableName=self.table, ConsistentRead=True,
                                     Key={"connection_id": {"S": connection_id}, "sk": {"S": CONNECTION}}).get("Item")
        if row is None:
            raise UnknownConnection("this connection is not registered (it has ended or expired): reconnect")
        self.dynamodb.put_item(TableName=self.table, Item={
            "connection_id": {"S": connection_id}, "sk": {"S": TOPIC_PREFIX + topic}, "topic": {"S": topic},
            "expires_at": row["expires_at"]})

    def unsubscribe(self, connection_id: str, topic: str) -> None:
        self.dynamodb.delete_item(TableName=self.table,
                                  Key={"connection_id": {"S": connection_id}, "sk": {"S": TOPIC_PREFIX + topic}})

    def rows_of(self, connection_id: str) -> list[str]:
        """The sort keys of every row of a connection."""
        return [item["sk"]["S"] for item in self._query(
            KeyConditionExpression="connection_id = :c", ExpressionAttributeValues={":c": {"S": connection_id}},
            ProjectionExpression="sk", ConsistentRead=True)]

    def remove(self, connection_id: str) -> int:
        """Delete a connection's rows (its subscriptions first); the number deleted. Idempotent."""
        keys = sorted(self.rows_of(connection_id), key=lambda sk: sk == CONNECTION)
        self._write([{"DeleteRequest": {"Key": {"connection_id": {"S": connection_id}, "sk": {"S": sk}}}}
                     for sk in keys])
        return len(keys)

    def subscribers(self, topic: str) -> Iterator[str]:
        """The connections subscribed to ``topic`` (the index is eventually consistent on AWS)."""
        for item in self._query(IndexName=self.index, KeyConditionExpression="topic = :t",
                                ExpressionAttributeValues={":t": {"S": topic}}, ProjectionExpression="connection_id"):
            yield item["connection_id"]["S"]

    def _query(self, **query: Any) -> Iterator[dict[str, Any]]:
        """Every item a query of the table finds, page after page (boto3's paginator)."""
        for page in self.dynamodb.get_paginator("query").paginate(TableName=self.table, **query):
            yield from page.get("Items", [])
