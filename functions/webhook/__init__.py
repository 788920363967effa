"""Webhook ingress: verify, de-duplicate and publish signed webhooks to EventBridge."""
