"""``ShardedQueueClient``: the router in your own process, and the resharding procedure.

Producers inside the account send straight to the shard queues with the same routing as ``POST
/messages`` (the same fence, the same ledger). Operators publish membership changes and read move
plans and key states. Configured by the component's ``client_config`` output; grant the code that
uses it :meth:`components.sharding.ShardedQueue.client_statements`.

Examples
--------
>>> client = ShardedQueueClient(stack_outputs["client_config"])               # doctest: +SKIP
>>> client.send("tenant-42", {"order": 1}).assignment.shard                   # doctest: +SKIP
's2'
>>> current = client.membership()                                            # doctest: +SKIP
>>> client.publish(current.with_shard("s4"), current.version)               # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import boto3

from functions.sharding.config import ShardingConfig
from functions.sharding.ledger import KeyState
from functions.sharding.membership import Membership, MovePlan, plan_moves
from functions.sharding.messages import Envelope
from functions.sharding.router import CachedMembership, Sent, ShardRouter
from functions.sharding.store import DynamoLedger, DynamoMembershipStore


class ShardedQueueClient:
    """config: the component's ``client_config`` (JSON) or a :class:`ShardingConfig`."""

    def __init__(self, config: ShardingConfig | str, dynamodb: Any = None, sqs: Any = None) -> None:
        self.config = ShardingConfig.from_json(config) if isinstance(config, str) else config
        self.dynamodb = dynamodb or boto3.client("dynamodb")
        self.sqs = sqs or boto3.client("sqs")
        self.store = DynamoMembershipStore(self.dynamodb, self.config.membership_table, self.config.queue_urls)
        self.ledger = DynamoLedger(self.dynamodb, self.config.keys_table, ttl_seconds=self.config.record_ttl_seconds)
        self.memberships = CachedMembership(self.store.current, self.config.membership_cache_seconds)
        self.router = ShardRouter(self.memberships, self.ledger, self._send,
                                  drain_wait_seconds=self.config.drain_wait_seconds)

    def _send(self, envelope: Envelope) -> None:
        self.sqs.send_message(QueueUrl=self.config.queue_urls[envelope.shard], MessageBody=envelope.to_json(),
                              MessageGroupId=envelope.key, MessageDeduplicationId=envelope.deduplication_id)

    def send(self, key: str, body: Any = None, message_id: str | None = None) -> Sent:
        """Send ``body`` under ``key`` (validated as ``POST /messages`` validates it)."""
        return self.router.send(key, body, message_id)

    def membership(self, version: int | None = None) -> Membership:
        """The current membership, or a published version (``UnknownMembershipVersion`` otherwise)."""
        return self.store.current() if version is None else self.store.get(version)

    def publish(self, following: Membership, expected_version: int) -> Membership:
        """Publish the next version; routers pick it up within ``membership_cache_seconds``."""
        published = self.store.publish(following, expected_version)
        self.memberships.current(refresh=True)
        return published

    def plan(self, before: Membership, after: Membership, keys: Iterable[str]) -> MovePlan:
        return plan_moves(before, after, keys)

    def key_state(self, key: str) -> KeyState | None:
        return self.ledger.state(key)

    def state(self, key: str) -> dict[str, Any] | None:
        """A key's routing state and where the current membership places it."""
        state = self.ledger.state(key)
        if state is None:
            return None
        membership = self.membership()
        placement = membership.shard_for(key)
        return {"key": key, "shard": state.shard, "seq": state.seq, "settled": state.settled,
                "in_flight": state.in_flight, "routed_version": state.version,
                "membership_version": membership.version, "placement": placement,
                "moving": placement != state.shard}
