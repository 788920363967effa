"""What the consumers do with each stored request, whatever the target stored it: run the processor,
remember the outcome, retry failures, and give up on a request that keeps failing.

- A request whose outcome is already ``processed`` is a redelivery (SQS and streams deliver at least
  once): skipped, the processor is not run again.
- The processor raises: the failure is counted with its reason (the status route shows it); below
  ``max_attempts`` the request is retried; at ``max_attempts`` it is sent to its target's DLQ with the
  reason and settled as ``dead_lettered``, so the other requests go on.
"""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from functions.common.user_code import describe_error, load_callable
from functions.storage_first.config import TargetSettings
from functions.storage_first.templates import KEY_ATTRIBUTE

Outcome = Literal["processed", "skipped", "dead_lettered"]
MAX_REASON_LENGTH = 500


@dataclass(frozen=True)
class StoredRequest:
    """What a processor receives: the request as stored (``body`` the bytes sent, as text), its id in
    the target (message id, event id or idempotency key), the idempotency key if one was sent, when it
    was stored (epoch seconds) and which attempt this is (1 = first)."""

    target: str
    id: str
    body: str
    idempotency_key: str | None
    received_at: float
    attempt: int = 1

    def json(self) -> Any:
        """The body parsed (the route's schema made sure it is JSON)."""
        return json.loads(self.body)


def acknowledge(request: StoredRequest) -> None:
    """The default processor: does nothing (replace it with your own code)."""


def load_processor(path: str) -> Callable[[StoredRequest], Any]:
    return load_callable(path, "processor")


def from_queue_record(record: Mapping[str, Any], target: TargetSettings,
                      read_object: Callable[[str, str], str] | None = None) -> StoredRequest | None:
    """An SQS record as the request stored: by API Gateway itself (``sqs``, ``sqs-fifo``), as an
    EventBridge event a rule delivered to the target's queue (``eventbridge``: the body is the detail),
    or as a bucket's notification of a new object (``s3``: the body is the object, read with
    ``read_object(bucket, key)``; the id is the key). ``None`` for S3's test event (nothing stored)."""
    attributes = record.get("attributes") or {}
    received_at = int(attributes.get("SentTimestamp", 0)) / 1000
    attempt = int(attributes.get("ApproximateReceiveCount", 1))
    if target.kind == "s3":
        notification = json.loads(record["body"])
        if notification.get("Event") == "s3:TestEvent":
            return None
        [created] = notification["Records"]  # one object per notification
        bucket, key = created["s3"]["bucket"]["name"], urllib.parse.unquote_plus(created["s3"]["object"]["key"])
        if read_object is None:
            raise ValueError("an s3 target's records need read_object")
        return StoredRequest(target.name, key, read_object(bucket, key), None, received_at, attempt)
    if target.kind == "eventbridge":
        event = json.loads(record["body"])
        return StoredRequest(target.name, str(event["id"]), json.dumps(event["detail"], ensure_ascii=False), None,
                             received_at, attempt)
    sent_key = ((record.get("messageAttributes") or {}).get(KEY_ATTRIBUTE) or {}).get("stringValue")
    return StoredRequest(target.name, str(record["messageId"]), record.get("body") or "", sent_key, received_at,
                         attempt)


def from_stream_record(record: Mapping[str, Any], target: TargetSettings) -> StoredRequest:
    """A DynamoDB stream record (an INSERT of the target's table) as the request stored."""
    image = record["dynamodb"]["NewImage"]
    return StoredRequest(target.name, image["id"]["S"], image["body"]["S"], image["id"]["S"],
                         int(image.get("received_at", {}).get("N", "0")) / 1000)


class StatusStore(Protocol):
    """Where outcomes are kept (:class:`functions.storage_first.store.DynamoStatusStore`)."""

    def status(self, target: str, request_id: str) -> dict[str, Any] | None: ...

    def failed(self, request: StoredRequest, reason: str) -> int:
        """Count one failure with its reason; the failures counted so far."""
        ...

    def settle(self, request: StoredRequest, status: Outcome, reason: str | None = None) -> None: ...


class Consumer:
    """Runs ``processor`` on stored requests. ``dead_letter(request, reason)`` sends to the DLQ;
    ``max_attempts(target)``: the failures a request of that target is given."""

    def __init__(self, store: StatusStore, processor: Callable[[StoredRequest], Any],
                 dead_letter: Callable[[StoredRequest, str], None], max_attempts: Callable[[str], int]) -> None:
        self.store, self.processor, self.dead_letter, self.max_attempts = store, processor, dead_letter, max_attempts

    def process(self, request: StoredRequest) -> Outcome:
        """Process one request; raises when it should be retried."""
        done = self.store.status(request.target, request.id)
        if done is not None and done.get("status") in ("processed", "dead_lettered"):
            return "skipped"
        try:
            self.processor(request)
        except Exception as exc:
            reason = describe_error(exc, MAX_REASON_LENGTH)
            if self.store.failed(request, reason) < self.max_attempts(request.target):
                raise
            self.dead_letter(request, reason)
            self.store.settle(request, "dead_lettered", reason)
            return "dead_lettered"
        self.store.settle(request, "processed")
        return "processed"
