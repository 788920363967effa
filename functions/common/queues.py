"""Sending to queues, written once: a queue's URL from its ARN, many messages to one queue, and a dead letter
with its reason.

One ``SendMessage`` per message, in parallel, rather than ``SendMessageBatch``: MiniStack 1.5.33
authorises a batch under an ``sqs:SendMessageBatch`` action that IAM does not have (AWS authorises it
as ``sqs:SendMessage``), so a role with exactly ``sqs:SendMessage`` would be refused there. The same
code and role then work on every target.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

MAX_PARALLEL = 8


def send_each(sqs: Any, queue_url: str, bodies: Sequence[str]) -> None:
    """Send every body to ``queue_url``; the first failure is raised (after the others were tried)."""
    if len(bodies) == 1:
        sqs.send_message(QueueUrl=queue_url, MessageBody=bodies[0])
        return
    with ThreadPoolExecutor(max_workers=max(1, min(MAX_PARALLEL, len(bodies)))) as pool:
        list(pool.map(lambda body: sqs.send_message(QueueUrl=queue_url, MessageBody=body), bodies))


_urls: dict[str, str] = {}


def queue_url(sqs: Any, arn: str) -> str:
    """The URL of the queue ``arn`` names (asked once per execution environment, then remembered)."""
    if arn not in _urls:
        _, _, _, _, account, name = arn.split(":", 5)
        _urls[arn] = sqs.get_queue_url(QueueName=name, QueueOwnerAWSAccountId=account)["QueueUrl"]
    return _urls[arn]


def dead_letter(sqs: Any, queue_url: str, body: str, reason: str, attribute: str = "reason", limit: int = 1000,
                **attributes: str) -> None:
    """Park ``body`` on a dead-letter queue with why (the string attribute ``attribute``, cut to ``limit``
    characters) and any other string ``attributes``."""
    values = {attribute: reason[:limit] or "unknown", **attributes}
    sqs.send_message(QueueUrl=queue_url, MessageBody=body, MessageAttributes={
        name: {"DataType": "String", "StringValue": value} for name, value in values.items()})
