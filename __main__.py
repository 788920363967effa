"""The whole catalog in one Pulumi program: every pattern, with its outputs exported."""

import pulumi

from components.counter import AtomicCounter

counter = AtomicCounter("counter")
pulumi.export("counter", {"url": counter.url, "table_name": counter.table_name})

# Webhook ingress: GitHub, Stripe, Slack and a generic HMAC sender (its secret in an SSM
# SecureString), a source kept for rotation drills, and a storage-first GitHub source; plus one
# subscriber queue on the bus, as another stack would add.
import secrets  # noqa: E402

import pulumi_aws as aws  # noqa: E402

from components.webhook import WebhookIngress, WebhookIngressArgs, WebhookSource, github, hmac_sha256, slack, stripe  # noqa: E402,E501
from components.webhook_subscription import WebhookSubscription, WebhookSubscriptionArgs  # noqa: E402

acme_secret = aws.ssm.Parameter(
    "webhook-acme-secret", type="SecureString", value=pulumi.Output.secret(secrets.token_urlsafe(32)),
    description="signing secret(s) of the acme webhook, one per line",
    opts=pulumi.ResourceOptions(ignore_changes=["value"]),
)
webhook = WebhookIngress("webhook", WebhookIngressArgs(
    sources=[
        WebhookSource("github", github()),
        WebhookSource("stripe", stripe()),
        WebhookSource("slack", slack()),
        WebhookSource("acme", hmac_sha256("X-Acme-Signature", timestamp_header="X-Acme-Timestamp",
                                          signature_prefix="v1=", encoding="base64",
                                          delivery_header="X-Acme-Delivery", event_headers=["X-Acme-Event"]),
                      ssm_parameter_arn=acme_secret.arn),
        WebhookSource("rotating", github()),
        WebhookSource("github-async", github(), storage_first=True),
    ],
    ingest_visibility_timeout_seconds=15,
))
webhook_events = WebhookSubscription("webhook-events", WebhookSubscriptionArgs(bus_name=webhook.bus_name))
pulumi.export("webhook", {
    "url": webhook.url,
    "bus_name": webhook.bus_name,
    "bus_arn": webhook.bus_arn,
    "archive_name": webhook.archive_name,
    "table_name": webhook.table_name,
    "secret_arns": webhook.secret_arns,
    "verifier_name": webhook.verifier.name,
    "queue_verifier_name": webhook.queue_verifier.name if webhook.queue_verifier else None,
    "ingest_queue_url": webhook.ingest_queue.url if webhook.ingest_queue else None,
    "dead_letter_queue_url": webhook.dead_letter_queue.url if webhook.dead_letter_queue else None,
    "subscriber_queue_url": webhook_events.queue_url,
    "subscriber_dead_letter_queue_url": webhook_events.dead_letter_queue_url,
})
