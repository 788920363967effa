"""``PubSubScatterGather``: scatter a quote request over an SNS topic, gather the replies from a queue.

``POST /quotes`` opens the aggregate, starts a deadline timer (a Step Functions Wait, precise to the
second, with no Lambda sleeping) and publishes the request with the amount as a message attribute.
Providers (:class:`~components.scatter_gather.quote_provider.QuoteProvider`) receive it through their own filtered
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

from components.core import iam, queue_with_dead_letters, sqs_consumer
from components.scatter_gather.base import ProviderTarget, ScatterGatherArgs, ScatterGatherBase, lambda_task

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
    """Publish-subscribe scatter-gather. ``provider_target`` is what providers need to plug in.

    Outputs: ``url``, ``aggregates_table_name``, ``registry_table_name``, ``events_bus_name``,
    ``timer_state_machine_arn``, ``deadline_seconds``, ``requests_topic_arn``, ``replies_queue_url``,
    ``replies_dlq_url``.
    """

    TYPE = "serverless-patterns:scatter_gather:PubSubScatterGather"
    LEGACY_TYPES = ("serverless-patterns:scatter_gather_pubsub:PubSubScatterGather",)
    MODE = "pubsub"

    topic: aws.sns.Topic
    reply_queue: aws.sqs.Queue
    dead_letter_queue: aws.sqs.Queue

    def __init__(self, name: str, args: ScatterGatherArgs | None = None, opts: pulumi.ResourceOptions | None = None):
        args = args or ScatterGatherArgs()
        super().__init__(name, args, opts)
        child = self.child
        self.topic = aws.sns.Topic(f"{name}-requests", opts=child)
        self.reply_queue, self.dead_letter_queue = queue_with_dead_letters(
            f"{name}-replies", f"{name}-replies-dlq", MAX_RECEIVE_COUNT, self,
            visibility_timeout_seconds=REPLY_VISIBILITY_SECONDS,
        )
        aggregator = self._function(
            "aggregator", "aggregator.handler",
            [*self._aggregate_statements(),
             iam.sqs_consumer_statement([self.reply_queue.arn]),
             iam.allow(["sqs:SendMessage"], [self.dead_letter_queue.arn])],
            {"dead_letter_queue_url": self.dead_letter_queue.url},
            timeout=AGGREGATOR_TIMEOUT_SECONDS,
        )
        sqs_consumer(f"{name}-replies-to-aggregator", self.reply_queue.arn, aggregator.name, self,
                     max_concurrency=args.aggregator_concurrency, depends_on=[aggregator])
        close = self._close_function()
        machine = self._state_machine(close.arn.apply(lambda arn: json.dumps(timer_definition(arn))), [close])
        self._api(
            machine,
            [iam.dynamodb_statement(self.aggregates.arn, ["PutItem", "GetItem", "UpdateItem"]),
             iam.dynamodb_statement(self.registry.arn, ["Scan"]),
             iam.allow(["events:PutEvents"], [self.bus.arn]),
             iam.allow(["sns:Publish"], [self.topic.arn])],
            {"registry_table": self.registry.name, "topic_arn": self.topic.arn,
             "reply_queue_url": self.reply_queue.url},
        )
        self.provider_target = ProviderTarget(
            registry_table_name=self.registry.name, topic_arn=self.topic.arn, reply_queue_arn=self.reply_queue.arn
        )
        self._publish_outputs("timer", {"requests_topic_arn": self.topic.arn, "replies_queue_url": self.reply_queue.url,
                                        "replies_dlq_url": self.dead_letter_queue.url})
