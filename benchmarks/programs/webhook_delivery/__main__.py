"""One dispatcher as a user would configure it, except loopback allowed (the benchmark's receiver runs
on 127.0.0.1): a 3 s request timeout, a circuit that opens after 5 failures for 30 s."""

import pulumi

from components.webhook_delivery import WebhookDispatcher, WebhookDispatcherArgs

hooks = WebhookDispatcher("bench", WebhookDispatcherArgs(
    event_types=["bench.warmup", "bench.throughput", "bench.latency"], request_timeout=3, require_https=False,
    allowed_networks=["127.0.0.0/8"], schedule=[0, 5, 30], circuit_threshold=5, circuit_cooldown=30,
))
pulumi.export("hooks", hooks.outputs)
