"""``WebhookSubscription``: how another stack consumes webhook events: a rule on the exported bus that
delivers the matching events into an SQS queue of its own (with a dead-letter queue).

Example (in the consuming stack)
--------------------------------
>>> hooks = pulumi.StackReference("org/webhooks/prod")
>>> orders = WebhookSubscription("orders", WebhookSubscriptionArgs(
...     bus_name=hooks.get_output("webhook")["bus_name"], sources=["stripe"],
...     detail_types=["payment_intent.succeeded"]))
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

import pulumi

from components.core import PatternComponent, events_to_queue, queue_with_dead_letters, validation
from functions.webhook.delivery import EVENT_SOURCE_PREFIX


@dataclass(frozen=True, kw_only=True)
class WebhookSubscriptionArgs:
    """bus_name: the ingress bus. sources: source names to receive (empty: every webhook source).
    detail_types: event types to receive (empty: all). max_receive_count: consumer attempts before
    a message moves to the dead-letter queue. visibility_timeout_seconds: the queue's.
    """

    bus_name: pulumi.Input[str]
    sources: Sequence[str] = ()
    detail_types: Sequence[str] = ()
    max_receive_count: int = 5
    visibility_timeout_seconds: int = 30

    def __post_init__(self) -> None:
        validation.integer(self, "max_receive_count", 1, 1000)
        validation.integer(self, "visibility_timeout_seconds", 0, 43200)
        validation.check(not isinstance(self.sources, str), self, "sources", "must be a list of source names")
        validation.check(not isinstance(self.detail_types, str), self, "detail_types", "must be a list of types")

    def event_pattern(self) -> str:
        pattern: dict = {"source": [EVENT_SOURCE_PREFIX + s for s in self.sources] or [{"prefix": EVENT_SOURCE_PREFIX}]}
        if self.detail_types:
            pattern["detail-type"] = list(self.detail_types)
        return json.dumps(pattern)


class WebhookSubscription(PatternComponent):
    """A rule on the webhook bus, its queue and dead-letter queue.

    Outputs: ``events_queue_url`` (where events land), ``events_queue_arn``, ``events_dlq_url``, ``events_rule_arn``.
    """

    TYPE = "serverless-patterns:webhook:WebhookSubscription"
    LEGACY_TYPES = ("serverless-patterns:webhook_subscription:WebhookSubscription",)

    def __init__(self, name: str, args: WebhookSubscriptionArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(name, opts)
        self.queue, self.dead_letter_queue = queue_with_dead_letters(
            f"{name}-queue", f"{name}-dlq", args.max_receive_count, self,
            visibility_timeout_seconds=args.visibility_timeout_seconds,
        )
        self.rule = events_to_queue(name, args.bus_name, args.event_pattern(), self.queue, self.dead_letter_queue,
                                    self, "webhook events for a subscriber")
        self._publish({"events_queue_url": self.queue.url, "events_queue_arn": self.queue.arn,
                       "events_dlq_url": self.dead_letter_queue.url, "events_rule_arn": self.rule.arn})
