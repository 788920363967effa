"""``ShardedQueue``: keyed messages spread over SQS FIFO queues by consistent hashing, each queue
(a shard) with its own worker and DLQ, and resharding that keeps every key's order.

- ``POST /messages`` (or :class:`functions.sharding.client.ShardedQueueClient` in-process) picks the
  key's shard from the current membership and sends the message with the key as its message group,
  so SQS FIFO keeps the key's order inside the shard.
- The membership (which shards, weights, algorithm) lives in a DynamoDB table, versioned: written
  once at the first deploy (from ``ShardedQueueArgs.membership``), then changed only by publishing
  the next version (``POST /membership``), never by a redeploy.
- Resharding: publish the next version. A key whose shard changes keeps going to its old shard
  until that shard has settled every message of the key it holds (the ledger's fence), then moves.
- Each shard's worker processes each message once (the ledger records it), retries failures, and
  moves a message that keeps failing to the shard's DLQ with the reason.

Shards are deployed queues; the membership chooses which of them are in use. To grow beyond the
deployed shards, add shards to the component (a deploy), then publish a membership that uses them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from components.core import (
    Authorization,
    IamAuth,
    PatternComponent,
    PythonFunction,
    PythonFunctionArgs,
    RestApi,
    RestApiArgs,
    Route,
    handoff,
    iam,
    on_demand_table,
    queue_with_dead_letters,
    sqs_consumer,
    validation,
)
from components.core.auth import check_auth
from functions.sharding.config import DEFAULT_HANDLER, ShardingConfig
from functions.sharding.membership import Membership
from functions.sharding.store import check_routable, initial_items

SHARD = re.compile(r"^[a-z0-9][a-z0-9-]{0,15}$")
ROUTES = [("POST", "/messages"), ("GET", "/membership/{version}"), ("POST", "/membership"),
          ("POST", "/membership/plan"), ("GET", "/keys/{key}")]


@dataclass(frozen=True, kw_only=True)
class MessageHandlerCode:
    """The code each shard's worker runs per message: ``handler`` (``module.function`` taking a
    ``functions.sharding.processing.ShardMessage``; raise to fail), ``files`` bundled into the worker
    (archive path -> file or folder), ``statements`` the handler's IAM needs. The default does nothing."""

    handler: str = DEFAULT_HANDLER
    files: Mapping[str, str] = field(default_factory=dict)
    statements: Sequence[dict[str, Any]] = ()

    def __post_init__(self) -> None:
        validation.check("." in self.handler, self, "handler", "must be 'module.function'")


@dataclass(frozen=True, kw_only=True)
class ShardedQueueArgs:
    """shards: the deployed shard queues (1-16 lowercase letters, digits, '-'). membership: the first
    membership (version 1; default every shard, rendezvous); later ones are published at run time.
    handler: the workers' code. max_attempts: handler failures before a message goes to the DLQ.
    max_receive_count: receives before SQS itself moves a message to the DLQ (a crashing worker).
    retry_delay_seconds: wait before a failed message comes back. worker_timeout: seconds per batch.
    visibility_timeout: default 6 worker timeouts. batch_size: messages per batch (1..10).
    membership_cache_seconds: how long a router reuses the membership it read.
    drain_wait_seconds: how long a send waits for a moving key's old shard to finish its messages
    (then it follows them there). max_body_bytes: the
    largest message body. record_ttl_seconds: how long message outcomes are kept (deduplication).
    auth / stage_name: the API's.
    """

    shards: Sequence[str] = ("s0", "s1", "s2", "s3")
    membership: Membership | None = None
    handler: MessageHandlerCode = field(default_factory=MessageHandlerCode)
    max_attempts: int = 3
    max_receive_count: int = 10
    retry_delay_seconds: int = 1
    worker_timeout: int = 30
    visibility_timeout: int | None = None
    batch_size: int = 10
    membership_cache_seconds: float = 5.0
    drain_wait_seconds: float = 2.0
    max_body_bytes: int = 64 * 1024
    record_ttl_seconds: int = 7 * 24 * 3600
    auth: Authorization = field(default_factory=IamAuth)
    stage_name: str = "api"

    def __post_init__(self) -> None:
        validation.names(self, "shards", SHARD, "1-16 lowercase letters, digits or '-'", "shard")
        membership = self.initial_membership
        validation.check(membership.version == 1, self, "membership", "must be version 1 (Membership.initial)")
        try:
            check_routable(membership, self.shards)
        except ValueError as exc:
            raise ValueError(f"ShardedQueueArgs.membership: {exc}") from None
        validation.integer(self, "max_attempts", 1, 100)
        validation.integer(self, "max_receive_count", self.max_attempts + 1, 1000)
        validation.integer(self, "retry_delay_seconds", 0, 43200)
        validation.integer(self, "worker_timeout", 1, 900)
        validation.integer(self, "visibility_timeout", self.worker_timeout, 43200, optional=True)
        validation.integer(self, "batch_size", 1, 10)
        validation.number(self, "membership_cache_seconds", 0, 3600)
        validation.number(self, "drain_wait_seconds", 0, 20)
        validation.integer(self, "max_body_bytes", 1, 256 * 1024 - 4096)
        validation.integer(self, "record_ttl_seconds", 60, None)
        validation.stage_name(self)
        check_auth(self)

    @property
    def initial_membership(self) -> Membership:
        return self.membership or Membership.initial(list(self.shards))


class ShardedQueue(PatternComponent):
    """Shard queues, DLQs and workers, the membership and keys tables, the router and its API.

    Outputs: ``url``, ``membership_table_name``, ``keys_table_name``, ``shard_queue_urls`` /
    ``shard_dlq_urls`` / ``worker_function_names`` (shard -> ...), ``router_function_name``,
    ``client_config`` (what :class:`ShardedQueueClient` takes; grant :meth:`client_statements`).
    """

    TYPE = "serverless-patterns:sharding:ShardedQueue"

    def __init__(self, name: str, args: ShardedQueueArgs | None = None, opts: pulumi.ResourceOptions | None = None):
        args = args or ShardedQueueArgs()
        super().__init__(name, opts)
        child = self.child
        self.memberships = on_demand_table(f"{name}-membership", "version", self)
        self.keys = on_demand_table(f"{name}-keys", "key", self, range_key="item", ttl_attribute="expires_at")
        for item in initial_items(args.initial_membership):  # once: later versions are published at run time
            aws.dynamodb.TableItem(f"{name}-membership-{item['version']['S'].replace('#', '')}",
                                   table_name=self.memberships.name, hash_key="version", item=json.dumps(item),
                                   opts=pulumi.ResourceOptions(parent=self, ignore_changes=["item"]))
        visibility = args.visibility_timeout or 6 * args.worker_timeout
        self.queues: dict[str, aws.sqs.Queue] = {}
        self.dlqs: dict[str, aws.sqs.Queue] = {}
        for shard in args.shards:
            self.queues[shard], self.dlqs[shard] = queue_with_dead_letters(
                f"{name}-{shard}", f"{name}-{shard}-dlq", args.max_receive_count, self, fifo=True,
                visibility_timeout_seconds=visibility)
        queue_urls = pulumi.Output.all(**{s: q.url for s, q in self.queues.items()})
        common = {"membership_table": self.memberships.name, "keys_table": self.keys.name, "queue_urls": queue_urls,
                  "membership_cache_seconds": args.membership_cache_seconds, "max_body_bytes": args.max_body_bytes,
                  "drain_wait_seconds": args.drain_wait_seconds,
                  "record_ttl_seconds": args.record_ttl_seconds}
        self.client_config = handoff(ShardingConfig, **common)[ShardingConfig.VARIABLE]
        self._statements = [
            iam.dynamodb_statement(self.keys.arn, ["GetItem", "UpdateItem", "PutItem"]),
            iam.dynamodb_statement(self.memberships.arn, ["GetItem", "PutItem", "UpdateItem"]),
            iam.allow(["sqs:SendMessage"], [q.arn for q in self.queues.values()]),
        ]
        self.workers: dict[str, PythonFunction] = {}
        for shard in args.shards:
            self.workers[shard] = PythonFunction(f"{name}-{shard}-worker", PythonFunctionArgs(
                package="sharding", handler="worker.handler", timeout=args.worker_timeout,
                statements=[
                    iam.sqs_consumer_statement([self.queues[shard].arn], change_visibility=True),
                    iam.allow(["sqs:SendMessage"], [self.dlqs[shard].arn]),
                    iam.dynamodb_statement(self.keys.arn, ["GetItem", "UpdateItem", "PutItem"]),
                    *args.handler.statements,
                ],
                environment=handoff(ShardingConfig, **common, shard=shard, dlq_url=self.dlqs[shard].url,
                                    max_attempts=args.max_attempts, retry_delay_seconds=args.retry_delay_seconds,
                                    message_handler=args.handler.handler),
                extra_files=args.handler.files,
            ), opts=child)
            sqs_consumer(f"{name}-{shard}-mapping", self.queues[shard].arn, self.workers[shard].arn, self,
                         batch_size=args.batch_size)
        self.router = PythonFunction(f"{name}-router", PythonFunctionArgs(
            package="sharding", handler="api.handler", statements=self._statements,
            environment=handoff(ShardingConfig, **common)), opts=child)
        api = RestApi(f"{name}-api", RestApiArgs(
            routes=[Route(method, path, self.router) for method, path in ROUTES], auth=args.auth,
            stage_name=args.stage_name, description="Sharded queues by consistent hashing (serverless-patterns)",
        ), opts=child)
        self.url = api.url
        self._publish({
            "url": api.url,
            "membership_table_name": self.memberships.name,
            "keys_table_name": self.keys.name,
            "shard_queue_urls": queue_urls,
            "shard_dlq_urls": pulumi.Output.all(**{s: q.url for s, q in self.dlqs.items()}),
            "worker_function_names": pulumi.Output.all(**{s: w.name for s, w in self.workers.items()}),
            "router_function_name": self.router.name,
            "client_config": self.client_config,
            **api.auth_outputs,
        })

    def client_statements(self) -> list[dict[str, Any]]:
        """IAM statements for code that uses :class:`ShardedQueueClient` (send, publish, plan)."""
        return list(self._statements)
