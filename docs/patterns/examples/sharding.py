"""Keyed messages over SQS FIFO shards in your own stack, resharded at run time without reordering a key."""

import pulumi

from components.sharding import Membership, Shard, ShardedQueue, ShardedQueueArgs

orders = ShardedQueue("orders", ShardedQueueArgs(
    shards=["s0", "s1", "s2", "s3", "s4", "s5"],  # deployed queues; the membership says which are in use
    membership=Membership.initial([Shard("s0"), Shard("s1"), Shard("s2", weight=2)], algorithm="rendezvous"),
    # handler=MessageHandlerCode(handler="my_orders.handle", files={"my_orders.py": "src/my_orders.py"}),
    max_attempts=5,
))
pulumi.export("orders", orders.outputs)  # url, shard_queue_urls, shard_dlq_urls, client_config, ...
