"""``PubSubScatterGather``: scatter a quote request over an SNS topic, gather the replies from a queue.

``POST /quotes`` opens the aggregate, starts a deadline timer (a Step Functions Wait, precise to the
second, with no Lambda sleeping) and publishes the request with the amount as a message attribute.
Providers (:class:`components.quote_provider.QuoteProvider`) receive it through their own filtered
queue and reply to the reply queue named in the message. The aggregator consumes that queue in
batches and records each reply with a conditional update; the aggregate completes when every
provider asked has replied (or its strategy has enough) or when the timer fires, and the result is
put on the event bus and served by ``GET /quotes/{correlationId}``.
"""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pulumi_aws as aws

from components import iam
from components.queues import queue_with_dead_letters
from components.scatter_gather import ProviderTarget, ScatterGatherArgs, ScatterGatherBase, lambda_task

AGGREGATOR_TIMEOUT_SECONDS = 6
REPLY_VISIBILITY_SECONDS = AGGREGATOR_TIMEOUT_SECONDS  # a failed (or throttled) batch is retried this soon
MAX_RECEIVE_COUNT = 5


def timer_definition(close_arn: str) -> dict[str, Any]:
    """Wait until the request's deadline (an ISO timestamp in the input), then close its aggregate."""
    return {
        "Comment": "Deadline of one scatter-gather request",
        "StartAt": "WaitForDeadline",
        "States": {
            "WaitForDeadline": {"Type": "Wait", "TimestampPath": "$.deadlineAt", "Next": "Close"},
            "Close": lambda_task(close_arn, {"correlationId.$": "$.correlationId"}, End=True),
        },
    }


class PubSubScatterGather(ScatterGatherBase):
    """Publish-subscribe scatter-gather. ``provider_target`` is what providers need to plug in."""

    topic: aws.sns.Topic
    reply_queue: aws.sqs.Queue
    dead_letter_queue: aws.sqs.Queue

    def __init__(self, name: str, args: ScatterGatherArgs | None = None, opts: pulumi.ResourceOptions | None = None):
        args = args or ScatterGatherArgs()
        super().__init__("serverless-patterns:scatter_gather_pubsub:PubSubScatterGather", name, args, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.topic = aws.sns.Topic(f"{name}-requests", opts=child)
        self.reply_queue, self.dead_letter_queue = queue_with_dead_letters(
            f"{name}-replies", f"{name}-replies-dlq", MAX_RECEIVE_COUNT, self,
            visibility_timeout_seconds=REPLY_VISIBILITY_SECONDS,
        )
        aggregator = self._function(
            "aggregator", "aggregator.handler",
            [*self._aggregate_statements(),
             iam.allow(["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"], [self.reply_queue.arn]),
             iam.allow(["sqs:SendMessage"], [self.dead_letter_queue.arn])],
            {"DEAD_LETTER_QUEUE_URL": self.dead_letter_queue.url},
            timeout=AGGREGATOR_TIMEOUT_SECONDS,
        )
        aws.lambda_.EventSourceMapping(
            f"{name}-replies-to-aggregator",
            function_name=aggregator.name,
            event_source_arn=self.reply_queue.arn,
            batch_size=10,
            function_response_types=["ReportBatchItemFailures"],
            scaling_config=aws.lambda_.EventSourceMappingScalingConfigArgs(maximum_concurrency=args.aggregator_concurrency)
            if args.aggregator_concurrency else None,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[aggregator]),
        )
        close = self._close_function()
        machine = self._state_machine(close.arn.apply(lambda arn: json.dumps(timer_definition(arn))), [close])
        self._api(
            "pubsub", machine,
            [iam.dynamodb_statement(self.aggregates.arn, ["PutItem", "GetItem", "UpdateItem"]),
             iam.dynamodb_statement(self.registry.arn, ["Scan"]),
             iam.allow(["events:PutEvents"], [self.bus.arn]),
             iam.allow(["sns:Publish"], [self.topic.arn])],
            {"REGISTRY_TABLE": self.registry.name, "TOPIC_ARN": self.topic.arn,
             "REPLY_QUEUE_URL": self.reply_queue.url},
        )
        self.topic_arn = self.topic.arn
        self.reply_queue_url = self.reply_queue.url
        self.dead_letter_queue_url = self.dead_letter_queue.url
        self.provider_target = ProviderTarget(
            registry_table_name=self.registry.name, topic_arn=self.topic.arn, reply_queue_arn=self.reply_queue.arn
        )
        self._outputs({"topic_arn": self.topic_arn, "reply_queue_url": self.reply_queue_url,
                       "dead_letter_queue_url": self.dead_letter_queue_url})
