"""Outbound webhooks from your own stack: your customers register endpoints, your services publish events."""

import pulumi

from components.webhook_delivery import WebhookDispatcher, WebhookDispatcherArgs

hooks = WebhookDispatcher("hooks", WebhookDispatcherArgs(
    event_types=["invoice.paid", "invoice.voided", "customer.created"],
    # schedule=SVIX_SCHEDULE (the default: 8 attempts over ~27 h), require_https=True, no private networks
    request_timeout=10,
    circuit_threshold=10, circuit_cooldown=120,
))
pulumi.export("hooks", hooks.outputs)  # url (the API), bus_name (put events there), delivery_dlq_url, ...
