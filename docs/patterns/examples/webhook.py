"""Signed webhooks from GitHub, Stripe and your own senders, and a subscriber of their events."""

import pulumi
import pulumi_aws as aws

from components.webhook import (
    WebhookIngress,
    WebhookIngressArgs,
    WebhookSource,
    WebhookSubscription,
    WebhookSubscriptionArgs,
    github,
    hmac_sha256,
    stripe,
)

stripe_secret = aws.secretsmanager.Secret("stripe-signing-secret")          # an existing secret of yours
orders_secret = aws.ssm.Parameter("orders-signing-secret", type="SecureString", value="change-me")

hooks = WebhookIngress("hooks", WebhookIngressArgs(sources=[
    WebhookSource("github", github()),                                      # creates its secret
    WebhookSource("stripe", stripe(), secret_arn=stripe_secret.arn),
    WebhookSource("orders", hmac_sha256("X-Signature", timestamp_header="X-Timestamp",
                                        delivery_header="X-Delivery-Id", event_headers=["X-Event"]),
                  ssm_parameter_arn=orders_secret.arn, storage_first=True),
]))
pulumi.export("webhook", hooks.outputs)  # url, events_bus_name, source_secret_arns, ...

# Another stack subscribes with a rule on the bus (bus_name from a StackReference there).
payments = WebhookSubscription("payments", WebhookSubscriptionArgs(
    bus_name=hooks.bus_name, sources=["stripe"], detail_types=["payment_intent.succeeded", "charge.refunded"]))
pulumi.export("payments", payments.outputs)  # events_queue_url, events_dlq_url, ...
