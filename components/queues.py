"""A work queue and its dead-letter queue, written once.

Every asynchronous path in the catalog ends in a DLQ: a message that fails ``max_receive_count``
times is moved there by SQS redrive and kept for 14 days (the SQS maximum) for inspection.
"""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pulumi_aws as aws

DLQ_RETENTION_SECONDS = 14 * 24 * 3600


def queue_with_dead_letters(
    queue_name: str,
    dlq_name: str,
    max_receive_count: int,
    parent: pulumi.Resource,
    dlq_max_message_size: int | None = None,
    **queue_args: Any,
) -> tuple[aws.sqs.Queue, aws.sqs.Queue]:
    """``(queue, dlq)``: the queue redrives to the DLQ after ``max_receive_count`` receives.

    ``queue_args`` go to the work queue (visibility timeout, message size, retention...).
    """
    child = pulumi.ResourceOptions(parent=parent)
    dlq = aws.sqs.Queue(dlq_name, message_retention_seconds=DLQ_RETENTION_SECONDS,
                        max_message_size=dlq_max_message_size, opts=child)
    queue = aws.sqs.Queue(
        queue_name,
        redrive_policy=dlq.arn.apply(
            lambda arn: json.dumps({"deadLetterTargetArn": arn, "maxReceiveCount": max_receive_count})),
        opts=child,
        **queue_args,
    )
    return queue, dlq
