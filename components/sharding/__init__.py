"""Consistent hashing: a router that sends keyed messages to SQS FIFO shards, each with its worker and
DLQ, resharded by publishing a new membership (the placement library is :mod:`functions.sharding`)."""

from components.sharding.sharded_queue import MessageHandlerCode, ShardedQueue, ShardedQueueArgs
from functions.sharding.membership import Membership
from functions.sharding.placement import Shard

__all__ = ["Membership", "MessageHandlerCode", "Shard", "ShardedQueue", "ShardedQueueArgs"]
