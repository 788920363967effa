"""Real-time push in your own stack: clients connect to {websocket_api_url}?token=...&topics=news,
send {"action": "subscribe" | "unsubscribe" | "publish" | "ping", ...} frames; your backend publishes
with a signed POST {url}/topics/{topic}/messages, or an event on its bus (detail-type "WebSocket publish",
detail {"topic": ..., "data": ...})."""

import pulumi

from components.websockets import WebSocketBroadcast, WebSocketBroadcastArgs

live = WebSocketBroadcast("live", WebSocketBroadcastArgs(
    chunk_size=100,           # connections per delivery: one sender invocation each, in parallel
    sender_concurrency=20,    # at most 20 sender invocations at once (PostToConnection is throttled per account)
    max_attempts=3,           # a connection that keeps failing (not gone) goes to the DLQ with the reason
    event_bus_name="default", # also publish the bus's "WebSocket publish" events
))
pulumi.export("live", live.outputs)  # url, websocket_api_url, token_secret_arn, connections_table_name, ...
