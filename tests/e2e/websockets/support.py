"""Real WebSocket clients (the ``websockets`` package) for the broadcast's e2e tests: many connected at
once on one event loop, each recording every frame it receives."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import re
import time
import uuid
from collections.abc import Coroutine, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import quote

import boto3
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import InvalidStatus

from functions.websockets.config import WebSocketsConfig
from functions.websockets.tokens import issue
from tests.e2e.support import environment_of, set_environment

T = TypeVar("T")


def run(scenario: Coroutine[Any, Any, T]) -> T:
    """Run a scenario on a loop of its own, leaving the thread's event loop as it was (``asyncio.run``
    unsets it, which breaks the Pulumi mock harness of later tests in the same process)."""
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(scenario)
    finally:
        loop.close()


def topic_name(prefix: str) -> str:
    """A topic of this test alone."""
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def connect_secret(secret_arn: str) -> bytes:
    """The broadcast's token secret, as a backend that issues connect tokens reads it."""
    return boto3.client("secretsmanager").get_secret_value(SecretId=secret_arn)["SecretString"].encode()


def token_url(url: str, secret: bytes, subject: str, topics: Sequence[str] = ()) -> str:
    """The URL a client connects to: its token, and the topics it subscribes to from the start."""
    return f"{url}?token={quote(issue(secret, subject))}" + (f"&topics={quote(','.join(topics))}" if topics else "")


@dataclass
class Client:
    """One connection and the frames it received (parsed), in order."""

    name: str
    socket: ClientConnection
    frames: list[dict[str, Any]] = field(default_factory=list)
    replies: asyncio.Queue = field(default_factory=asyncio.Queue)
    reader: asyncio.Task | None = None

    def start(self) -> None:
        self.reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        try:
            async for raw in self.socket:
                frame = json.loads(raw)
                self.frames.append(frame)
                if frame.get("type") != "message":
                    await self.replies.put(frame)
        except Exception:  # the connection ended: what it received stays recorded
            pass

    async def request(self, frame: dict[str, Any] | str, timeout: float = 20) -> dict[str, Any]:
        """Send a frame (a dict as JSON, a string as it is) and wait for its reply frame."""
        await self.socket.send(frame if isinstance(frame, str) else json.dumps(frame))
        return await asyncio.wait_for(self.replies.get(), timeout)

    def messages(self, topic: str | None = None) -> list[dict[str, Any]]:
        return [f for f in self.frames if f.get("type") == "message" and (topic is None or f.get("topic") == topic)]

    async def close(self) -> None:
        await self.socket.close()
        if self.reader is not None:
            await asyncio.wait([self.reader], timeout=5)


async def connect_retrying(url: str, attempts: int = 6) -> ClientConnection:
    """Connect as a real client does: a handshake answered 5xx or 429 (the authorizer or the connect
    handler throttled: the emulator runs 8 Lambdas at once, an account has its own limits) is retried
    with backoff; 401/403 are not."""
    for attempt in range(attempts):
        try:
            return await connect(url, open_timeout=60, ping_interval=None, max_size=2**20)
        except InvalidStatus as refused:
            status = refused.response.status_code
            if (status < 500 and status != 429) or attempt == attempts - 1:
                raise
            await asyncio.sleep(min(0.2 * 2**attempt, 3))
    raise AssertionError("unreachable")


async def open_clients(url: str, secret: bytes, count: int, prefix: str, concurrency: int = 8,
                       topics: Sequence[str] = ()) -> list[Client]:
    """``count`` connected clients (``concurrency`` handshakes at a time), subjects ``prefix-<n>``,
    each subscribed to ``topics`` as it connects."""
    gate = asyncio.Semaphore(concurrency)

    async def one(index: int) -> Client:
        async with gate:
            socket = await connect_retrying(token_url(url, secret, f"{prefix}-{index}", topics))
        client = Client(f"{prefix}-{index}", socket)
        client.start()
        return client

    return list(await asyncio.gather(*(one(i) for i in range(count))))


async def subscribe_all(clients: Sequence[Client], topic: str, concurrency: int = 8) -> None:
    gate = asyncio.Semaphore(concurrency)

    async def one(client: Client) -> None:
        async with gate:
            reply = await client.request({"action": "subscribe", "topic": topic}, timeout=60)
        assert reply == {"type": "subscribed", "topic": topic}, reply

    await asyncio.gather(*(one(c) for c in clients))


async def wait_for_messages(clients: Sequence[Client], topic: str, count: int, timeout: float) -> float:
    """Wait until every client holds ``count`` messages of ``topic``; the seconds it took."""
    start = time.monotonic()
    while any(len(c.messages(topic)) < count for c in clients):
        if time.monotonic() - start > timeout:
            missing = [c.name for c in clients if len(c.messages(topic)) < count]
            raise AssertionError(f"{len(missing)} client(s) still lack message {count} of {topic} after "
                                 f"{timeout:.0f}s: {missing[:5]}")
        await asyncio.sleep(0.05)
    return time.monotonic() - start


async def close_all(clients: Sequence[Client]) -> None:
    await asyncio.gather(*(c.close() for c in clients), return_exceptions=True)


@contextlib.contextmanager
def pushing_elsewhere(sender_function: str) -> Iterator[None]:
    """Make the sender push to another API's @connections, which its role may not call (403: a failure
    that is not 410), then restore its configuration."""
    variables = environment_of(sender_function)
    config = WebSocketsConfig.from_environment(variables)
    elsewhere = dataclasses.replace(config, management_endpoint=re.sub(
        r"https://[a-z0-9]+\.", "https://elsewhere0.", config.management_endpoint))
    set_environment(sender_function, {**variables, WebSocketsConfig.VARIABLE: elsewhere.to_json()})
    try:
        yield
    finally:
        set_environment(sender_function, variables)


def rows_of(table: str, connection_id: str) -> list[dict[str, Any]]:
    return boto3.client("dynamodb").query(
        TableName=table, KeyConditionExpression="connection_id = :c",
        ExpressionAttributeValues={":c": {"S": connection_id}}, ConsistentRead=True)["Items"]


def connection_ids_of(table: str, subjects: set[str]) -> dict[str, str]:
    """subject -> connection id, for the connections of these subjects (a scan: a test's scale)."""
    found: dict[str, str] = {}
    scan: dict[str, Any] = {"TableName": table, "ConsistentRead": True}
    ddb = boto3.client("dynamodb")
    while True:
        page = ddb.scan(**scan)
        for item in page["Items"]:
            if item["sk"]["S"] == "#connection" and item["subject"]["S"] in subjects:
                found[item["subject"]["S"]] = item["connection_id"]["S"]
        if "LastEvaluatedKey" not in page:
            return found
        scan["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def row_count(table: str) -> int:
    ddb = boto3.client("dynamodb")
    scan: dict[str, Any] = {"TableName": table, "Select": "COUNT", "ConsistentRead": True}
    total = 0
    while True:
        page = ddb.scan(**scan)
        total += page["Count"]
        if "LastEvaluatedKey" not in page:
            return total
        scan["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def settled_row_count(table: str, quiet: float = 1.0, timeout: float = 60) -> int:
    """The table's row count once it has stopped changing for ``quiet`` seconds: the $disconnect of
    connections an earlier test closed may still be removing rows."""
    deadline = time.monotonic() + timeout
    count = row_count(table)
    while time.monotonic() < deadline:
        time.sleep(quiet)
        latest = row_count(table)
        if latest == count:
            return count
        count = latest
    raise AssertionError(f"the connections table kept changing for {timeout:.0f}s")
