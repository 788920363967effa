"""The WebSocket broadcast twice: the sharded fan-out (deliveries of 25 connections, 4 senders at once,
8 PostToConnection calls in flight each) and the baseline the public samples use, one function looping
over every connection (one delivery of up to 500, one sender, one call at a time)."""

import pulumi

from components.websockets import WebSocketBroadcast, WebSocketBroadcastArgs

sharded = WebSocketBroadcast("bench-sharded", WebSocketBroadcastArgs(
    chunk_size=25, sender_concurrency=4, sender_threads=8, sender_timeout=60))
loop = WebSocketBroadcast("bench-loop", WebSocketBroadcastArgs(
    chunk_size=500, sender_concurrency=2, sender_threads=1, sender_timeout=120))
pulumi.export("sharded", sharded.outputs)
pulumi.export("loop", loop.outputs)
