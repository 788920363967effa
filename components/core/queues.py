"""Queues written once: a work queue with its dead-letter queue, the SQS -> Lambda consumer wiring,
the queue policy that lets one AWS service send to a queue, and a bus rule delivering into a queue.

Every asynchronous path in the catalog ends in a DLQ: a message that fails ``max_receive_count``
times is moved there by SQS redrive and kept for 14 days (the SQS maximum) for inspection.
Consumers report partial batch failures (``ReportBatchItemFailures``), so only the failed messages
of a batch come back.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
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
    fifo: bool = False,
    **queue_args: Any,
) -> tuple[aws.sqs.Queue, aws.sqs.Queue]:
    """``(queue, dlq)``: the queue redrives to the DLQ after ``max_receive_count`` receives.

    ``queue_args`` go to the work queue (visibility timeout, message size, retention...). ``fifo``:
    both are FIFO queues (SQS requires a FIFO queue's DLQ to be FIFO too).
    """
    child = pulumi.ResourceOptions(parent=parent)
    if fifo:
        queue_args = {"fifo_queue": True, **queue_args}
    dlq = aws.sqs.Queue(dlq_name, message_retention_seconds=DLQ_RETENTION_SECONDS,
                        max_message_size=dlq_max_message_size, fifo_queue=True if fifo else None, opts=child)
    queue = aws.sqs.Queue(
        queue_name,
        redrive_policy=dlq.arn.apply(
            lambda arn: json.dumps({"deadLetterTargetArn": arn, "maxReceiveCount": max_receive_count})),
        opts=child,
        **queue_args,
    )
    return queue, dlq


def sqs_consumer(
    name: str,
    queue_arn: pulumi.Input[str],
    function_name: pulumi.Input[str],
    parent: pulumi.Resource,
    *,
    batch_size: int = 10,
    max_concurrency: int | None = None,
    depends_on: Sequence[pulumi.Resource] = (),
) -> aws.lambda_.EventSourceMapping:
    """The event source mapping feeding ``queue`` to a function that reports partial batch failures.

    ``max_concurrency``: the most batches in flight at once (2..1000; ``None``: Lambda's scaling).
    """
    return aws.lambda_.EventSourceMapping(
        name,
        event_source_arn=queue_arn,
        function_name=function_name,
        batch_size=batch_size,
        function_response_types=["ReportBatchItemFailures"],
        scaling_config=aws.lambda_.EventSourceMappingScalingConfigArgs(maximum_concurrency=max_concurrency)
        if max_concurrency else None,
        opts=pulumi.ResourceOptions(parent=parent, depends_on=list(depends_on)),
    )


def allow_service_to_send(
    name: str, queue: aws.sqs.Queue, service: str, source_arn: pulumi.Input[str], parent: pulumi.Resource
) -> aws.sqs.QueuePolicy:
    """A queue policy letting ``service`` (e.g. ``sns.amazonaws.com``) send, only on behalf of ``source_arn``."""
    return aws.sqs.QueuePolicy(
        name,
        queue_url=queue.url,
        policy=pulumi.Output.all(queue.arn, source_arn).apply(lambda values: json.dumps({
            "Version": "2012-10-17",
            "Statement": [{
                "Effect": "Allow",
                "Principal": {"Service": service},
                "Action": "sqs:SendMessage",
                "Resource": values[0],
                "Condition": {"ArnEquals": {"aws:SourceArn": values[1]}},
            }],
        })),
        opts=pulumi.ResourceOptions(parent=parent),
    )


def events_to_queue(
    name: str, bus_name: pulumi.Input[str], event_pattern: pulumi.Input[str], queue: aws.sqs.Queue,
    dead_letter_queue: aws.sqs.Queue, parent: pulumi.Resource, description: str,
) -> aws.cloudwatch.EventRule:
    """A rule on ``bus_name`` sending matching events into ``queue``; what EventBridge cannot deliver
    after a day of retries goes to ``dead_letter_queue`` (both queues allow only this rule to send)."""
    rule = aws.cloudwatch.EventRule(f"{name}-rule", event_bus_name=bus_name, event_pattern=event_pattern,
                                    description=description, opts=pulumi.ResourceOptions(parent=parent))
    for suffix, target in (("queue", queue), ("dlq", dead_letter_queue)):
        allow_service_to_send(f"{name}-{suffix}-policy", target, "events.amazonaws.com", rule.arn, parent)
    aws.cloudwatch.EventTarget(
        f"{name}-target",
        rule=rule.name,
        event_bus_name=bus_name,
        arn=queue.arn,
        retry_policy=aws.cloudwatch.EventTargetRetryPolicyArgs(maximum_event_age_in_seconds=24 * 3600,
                                                                maximum_retry_attempts=185),
        dead_letter_config=aws.cloudwatch.EventTargetDeadLetterConfigArgs(arn=dead_letter_queue.arn),
        opts=pulumi.ResourceOptions(parent=parent),
    )
    return rule
