"""Webhook ingress: signed webhooks verified over the exact bytes, de-duplicated, and published to
an EventBridge bus that other stacks subscribe to."""

from components.webhook.ingress import WebhookIngress, WebhookIngressArgs, WebhookSource
from components.webhook.subscription import WebhookSubscription, WebhookSubscriptionArgs
from functions.webhook.schemes import Scheme, github, hmac_sha256, slack, standard_webhooks, stripe

__all__ = [
    "Scheme",
    "WebhookIngress",
    "WebhookIngressArgs",
    "WebhookSource",
    "WebhookSubscription",
    "WebhookSubscriptionArgs",
    "github",
    "hmac_sha256",
    "slack",
    "standard_webhooks",
    "stripe",
]
