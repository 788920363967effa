"""Outbound webhooks: :class:`WebhookDispatcher` delivers events to subscribers' endpoints, signed per
Standard Webhooks, with retries, circuit breaking, an attempt log, a DLQ and replay."""

from components.webhook_delivery.dispatcher import SVIX_SCHEDULE, WebhookDispatcher, WebhookDispatcherArgs

__all__ = ["SVIX_SCHEDULE", "WebhookDispatcher", "WebhookDispatcherArgs"]
