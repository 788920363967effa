"""``QuoteProvider``: plug a provider function into a scatter-gather, from this stack or another.

The provider is entered in the registry (with the amount range it quotes for) only once it is wired:

- publish-subscribe: its own queue (with a dead-letter queue) subscribes to the request topic with a
  filter policy on the amount range, and feeds the function; SNS to SQS to Lambda rather than SNS to
  Lambda, so a throttled or failing provider is retried and finally dead-lettered, never dropped.
  Its role may read its queue and send to the reply queue.
- recipient list: the broker state machine's role may invoke the function.

Write the function with :func:`functions.scatter_gather.provider.quote_provider` to serve both.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Protocol

import pulumi
import pulumi_aws as aws

from components import iam
from components.queues import queue_with_dead_letters
from components.scatter_gather import ProviderTarget


class ProviderFunction(Protocol):
    """A Lambda function and its role (a ``PythonFunction`` is one)."""

    arn: pulumi.Output[str]
    name: pulumi.Output[str]
    role: aws.iam.Role


@dataclass
class QuoteProviderArgs:
    """provider_id: the provider's name in replies and results. function: the provider's Lambda.
    target: the scatter-gather's ``provider_target`` (or one built from its exported outputs).
    min_amount / max_amount: the amounts it quotes for (``None``: unbounded).
    batch_size: requests per invocation (publish-subscribe). visibility_timeout_seconds: at least the
    function's timeout. max_receive_count: receives before a request goes to the provider's DLQ (a
    throttled invocation counts too: AWS advises at least 5). max_concurrency: the most invocations the
    queue drives at once (``None``: Lambda's default scaling)."""

    provider_id: str
    function: ProviderFunction
    target: ProviderTarget
    min_amount: float | None = None
    max_amount: float | None = None
    batch_size: int = 1
    visibility_timeout_seconds: int = 30
    max_receive_count: int = 5
    max_concurrency: int | None = None

    def __post_init__(self) -> None:
        if self.min_amount is not None and self.max_amount is not None and self.min_amount > self.max_amount:
            raise ValueError(f"provider {self.provider_id}: min_amount is above max_amount")
        if self.target.topic_arn is None and self.target.invoker_role_name is None:
            raise ValueError("the target needs a topic (publish-subscribe) or an invoker role (recipient list)")


def amount_filter_policy(min_amount: float | None, max_amount: float | None) -> dict[str, Any] | None:
    """The SNS filter policy selecting requests whose ``amount`` attribute is in the range."""
    condition: list[Any] = []
    if min_amount is not None:
        condition += [">=", min_amount]
    if max_amount is not None:
        condition += ["<=", max_amount]
    return {"amount": [{"numeric": condition}]} if condition else None


def registry_item(provider_id: str, function_arn: str, min_amount: float | None, max_amount: float | None) -> str:
    """The registry entry, as the DynamoDB JSON a ``TableItem`` takes."""
    item: dict[str, Any] = {"providerId": {"S": provider_id}, "functionArn": {"S": function_arn}}
    if min_amount is not None:
        item["minAmount"] = {"N": repr(min_amount)}
    if max_amount is not None:
        item["maxAmount"] = {"N": repr(max_amount)}
    return json.dumps(item)


class QuoteProvider(pulumi.ComponentResource):
    """One provider registered with one scatter-gather. ``dead_letter_queue_url``: publish-subscribe only."""

    dead_letter_queue_url: pulumi.Output[str] | None = None

    def __init__(self, name: str, args: QuoteProviderArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("serverless-patterns:quote_provider:QuoteProvider", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        target, fn = args.target, args.function
        wiring: list[pulumi.Resource] = []
        if target.topic_arn is not None:
            wiring += self._subscribe(name, args)
        if target.invoker_role_name is not None:
            wiring.append(aws.iam.RolePolicy(
                f"{name}-invoke",
                role=target.invoker_role_name,
                policy=iam.policy_document([iam.allow(["lambda:InvokeFunction"], [fn.arn])]),
                opts=child,
            ))
        aws.dynamodb.TableItem(
            f"{name}-registration",
            table_name=target.registry_table_name,
            hash_key="providerId",
            item=fn.arn.apply(lambda arn: registry_item(args.provider_id, arn, args.min_amount, args.max_amount)),
            opts=pulumi.ResourceOptions(parent=self, depends_on=wiring),
        )
        self.register_outputs({"dead_letter_queue_url": self.dead_letter_queue_url})

    def _subscribe(self, name: str, args: QuoteProviderArgs) -> list[pulumi.Resource]:
        child = pulumi.ResourceOptions(parent=self)
        target, fn = args.target, args.function
        queue, dlq = queue_with_dead_letters(
            f"{name}-requests", f"{name}-dlq", args.max_receive_count, self,
            visibility_timeout_seconds=args.visibility_timeout_seconds,
        )
        queue_policy = aws.sqs.QueuePolicy(
            f"{name}-requests-policy",
            queue_url=queue.url,
            policy=pulumi.Output.all(queue.arn, target.topic_arn).apply(lambda v: json.dumps({
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com"},
                               "Action": "sqs:SendMessage", "Resource": v[0],
                               "Condition": {"ArnEquals": {"aws:SourceArn": v[1]}}}],
            })),
            opts=child,
        )
        policy = amount_filter_policy(args.min_amount, args.max_amount)
        subscription = aws.sns.TopicSubscription(
            f"{name}-subscription",
            topic=target.topic_arn,
            protocol="sqs",
            endpoint=queue.arn,
            raw_message_delivery=True,
            filter_policy=json.dumps(policy) if policy else None,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[queue_policy]),
        )
        role_policy = aws.iam.RolePolicy(
            f"{name}-consume",
            role=fn.role.name,
            policy=iam.policy_document([
                iam.allow(["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"], [queue.arn]),
                iam.allow(["sqs:SendMessage"], [target.reply_queue_arn]),
            ]),
            opts=child,
        )
        mapping = aws.lambda_.EventSourceMapping(
            f"{name}-requests-to-provider",
            function_name=fn.name,
            event_source_arn=queue.arn,
            batch_size=args.batch_size,
            function_response_types=["ReportBatchItemFailures"],
            scaling_config=aws.lambda_.EventSourceMappingScalingConfigArgs(maximum_concurrency=args.max_concurrency)
            if args.max_concurrency else None,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[role_policy]),
        )
        self.dead_letter_queue_url = dlq.url
        return [subscription, mapping]
