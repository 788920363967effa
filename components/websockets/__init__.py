"""WebSocket broadcast: an API Gateway WebSocket API with authorised connects, a connection registry
with topics, and publishes fanned out through SQS to sender workers (the runtime is
:mod:`functions.websockets`; connect tokens are issued with :func:`functions.websockets.tokens.issue`)."""

from components.websockets.broadcast import WebSocketBroadcast, WebSocketBroadcastArgs

__all__ = ["WebSocketBroadcast", "WebSocketBroadcastArgs"]
