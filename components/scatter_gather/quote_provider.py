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

from components.core import (
    PatternComponent,
    allow_service_to_send,
    iam,
    queue_with_dead_letters,
    sqs_consumer,
    validation,
)
from components.scatter_gather.base import ProviderTarget


class ProviderFunction(Protocol):
    """A Lambda function and its role (a ``PythonFunction`` is one)."""

    arn: pulumi.Output[str]
    name: pulumi.Output[str]
    role: aws.iam.Role


@dataclass(frozen=True, kw_only=True)
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
        validation.check(isinstance(self.provider_id, str) and bool(self.provider_id.strip()), self, "provider_id",
                         "must be a non-empty string")
        validation.number(self, "min_amount", 0, optional=True)
        validation.number(self, "max_amount", 0, optional=True)
        validation.check(self.min_amount is None or self.max_amount is None or self.min_amount <= self.max_amount,
                         self, "max_amount", "must not be below min_amount")
        validation.check(self.target.topic_arn is not None or self.target.invoker_role_name is not None, self,
                         "target", "needs a topic (publish-subscribe) or an invoker role (recipient list)")
        validation.integer(self, "batch_size", 1, 10)
        validation.integer(self, "visibility_timeout_seconds", 1, 43200)
        validation.integer(self, "max_receive_count", 1, 1000)
        validation.integer(self, "max_concurrency", 2, 1000, optional=True)


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


class QuoteProvider(PatternComponent):
    """One provider registered with one scatter-gather.

    Outputs (publish-subscribe only): ``requests_queue_url``, ``requests_dlq_url``.
    """

    TYPE = "serverless-patterns:scatter_gather:QuoteProvider"
    LEGACY_TYPES = ("serverless-patterns:quote_provider:QuoteProvider",)

    def __init__(self, name: str, args: QuoteProviderArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(name, opts)
        child = self.child
        self._outputs: dict[str, Any] = {}
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
        self._publish(self._outputs)

    def _subscribe(self, name: str, args: QuoteProviderArgs) -> list[pulumi.Resource]:
        child = pulumi.ResourceOptions(parent=self)
        target, fn = args.target, args.function
        queue, dlq = queue_with_dead_letters(
            f"{name}-requests", f"{name}-dlq", args.max_receive_count, self,
            visibility_timeout_seconds=args.visibility_timeout_seconds,
        )
        assert target.topic_arn is not None and target.reply_queue_arn is not None
        queue_policy = allow_service_to_send(f"{name}-requests-policy", queue, "sns.amazonaws.com",
                                             target.topic_arn, self)
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
                iam.sqs_consumer_statement([queue.arn]),
                iam.allow(["sqs:SendMessage"], [target.reply_queue_arn]),
            ]),
            opts=child,
        )
        mapping = sqs_consumer(f"{name}-requests-to-provider", queue.arn, fn.name, self,
                               batch_size=args.batch_size, max_concurrency=args.max_concurrency,
                               depends_on=[role_policy])
        self._outputs = {"requests_queue_url": queue.url, "requests_dlq_url": dlq.url}
        return [subscription, mapping]
