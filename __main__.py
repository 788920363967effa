"""The whole catalog in one Pulumi program: every pattern, with its outputs exported.

Each section instantiates one pattern (small timeouts and deadlines so the end-to-end tests see
retries, DLQs and expiries within seconds) and exports each component's outputs, as the component
built them, under the pattern's name.
"""

import secrets
from pathlib import Path

import pulumi
import pulumi_aws as aws

from components.core import (
    ApiKeyAuth,
    PythonFunction,
    PythonFunctionArgs,
    RestApi,
    RestApiArgs,
    Route,
    UsageTier,
    handoff,
    iam,
)
from components.counter import AtomicCounter
from components.event_store import BankAccounts, BankAccountsArgs, EventStore
from components.priority import (
    DynamoPriorityQueue,
    DynamoPriorityQueueArgs,
    JobCode,
    PriorityQueues,
    PriorityQueuesArgs,
)
from components.rate_limit import Downstream, Limit, RateLimiter, RateLimiterArgs, RequestBuffer, RequestBufferArgs
from components.scatter_gather import (
    PubSubScatterGather,
    QuoteProvider,
    QuoteProviderArgs,
    RecipientListScatterGather,
    ScatterGatherArgs,
)
from components.sequence import SequenceGenerator, SequenceGeneratorArgs, SequenceSpec
from components.sharding import Membership, MessageHandlerCode, ShardedQueue, ShardedQueueArgs
from components.storage_first import ProcessorCode, StorageFirstApi, StorageFirstApiArgs, StorageTarget
from components.webhook import (
    WebhookIngress,
    WebhookIngressArgs,
    WebhookSource,
    WebhookSubscription,
    WebhookSubscriptionArgs,
    github,
    hmac_sha256,
    slack,
    standard_webhooks,
    stripe,
)
from components.webhook_delivery import WebhookDispatcher, WebhookDispatcherArgs
from components.websockets import WebSocketBroadcast, WebSocketBroadcastArgs
from functions.scatter_gather.config import BankConfig
from localcloud.capabilities import missing_capabilities
from localcloud.target import resolve_target

# Atomic counter
counter = AtomicCounter("counter")
pulumi.export("counter", counter.outputs)


# Priority queues. Short timeouts and delays so tests see retries, DLQs and lease expiry within seconds.
# The job code is the test catalog's own, with hooks that make a job slow, fail or crash on demand: it
# is bundled here and is no part of the library (a component's default job code does nothing).
catalog_jobs = JobCode(handler="catalog_jobs.run",
                       files={"catalog_jobs.py": str(Path(__file__).parent / "tests/e2e/priority/catalog_jobs.py")})
# A 20 s visibility timeout (two worker timeouts; the default is six): a job whose retry delay could not
# be set (an injected fault) comes back within the test's patience.
priority = PriorityQueues("priority", PriorityQueuesArgs(worker_timeout=10, retry_delay_seconds=1, job=catalog_jobs,
                                                         visibility_timeout=20))
priority_dynamo = DynamoPriorityQueue(
    "priority-dynamo",
    DynamoPriorityQueueArgs(lease_seconds=5, worker_timeout=30, retry_delay_seconds=1, max_workers=4,
                            job=catalog_jobs),
)
pulumi.export("priority", {"levels": priority.outputs, "dynamo": priority_dynamo.outputs})


# Sequence generator
sequence = SequenceGenerator("sequence", SequenceGeneratorArgs(sequences=[
    SequenceSpec("ticket", start=1000, direct_route=True),   # one atomic sequence, also served without Lambda
    SequenceSpec("atomic-*"),                                 # a family: one atomic counter per name
    SequenceSpec("invoice-*", mode="gap-free"),               # per-tenant gap-free invoice numbers
    SequenceSpec("order-*", mode="block", block_size=100),    # leased in blocks of 100
    SequenceSpec("wide-*", start=10**38 - 3),                 # start near DynamoDB's 38-digit ceiling
    SequenceSpec("wide-invoice-*", mode="gap-free", start=10**38 - 3),
]))
pulumi.export("sequence", sequence.outputs)


# Scatter-gather: both variants, with the same demonstration banks registered with each. Small amounts
# also reach a slow bank (slower than the deadline) and a failing one; large amounts reach three more, one of
# them a second behind the others.

SCATTER_DEADLINE = 6
# Queue-driven Lambdas at most 2 at a time each: the embedded emulator runs only 8 Lambdas at once, and every
# throttled batch waits out its visibility timeout (and counts towards its redrive).
scatter_args = ScatterGatherArgs(deadline_seconds=SCATTER_DEADLINE, recipient_timeout_seconds=SCATTER_DEADLINE + 2,
                                 aggregator_concurrency=2)
loan_brokers = {
    "pubsub": PubSubScatterGather("quotes-pubsub", scatter_args),
    "recipient_list": RecipientListScatterGather("quotes-list", scatter_args),
}
banks = [  # (id, base rate, delay seconds, failure, min amount, max amount)
    ("bank-universal", 4.5, 0, "", None, None),
    ("bank-premium", 3.9, 0, "", None, None),
    ("bank-slow", 3.0, SCATTER_DEADLINE + 4, "", None, 999_999),
    ("bank-flaky", 3.5, 0, "core banking system unavailable", None, 999_999),
    ("bank-jumbo-1", 4.1, 0, "", 1_000_000, None),
    ("bank-jumbo-2", 4.2, 0, "", 1_000_000, None),
    ("bank-jumbo-3", 4.3, 1, "", 1_000_000, None),  # a second behind the others
]
for bank_id, rate, delay, failure, low, high in banks:
    timeout = delay + 5
    bank = PythonFunction(bank_id, PythonFunctionArgs(
        package="scatter_gather", handler="bank.handler", timeout=timeout,
        environment=handoff(BankConfig, bank_id=bank_id, base_rate=rate, delay_seconds=delay, failure=failure),
    ))
    for variant, broker in loan_brokers.items():
        QuoteProvider(f"{bank_id}-{variant}", QuoteProviderArgs(
            provider_id=bank_id, function=bank, target=broker.provider_target, min_amount=low, max_amount=high,
            visibility_timeout_seconds=timeout, max_concurrency=2,
        ))
pulumi.export("scatter_gather", {variant: broker.outputs for variant, broker in loan_brokers.items()})


# Webhook ingress: GitHub, Stripe, Slack and a generic HMAC sender (its secret in an SSM
# SecureString), a source kept for rotation drills, and a storage-first GitHub source; plus one
# subscriber queue on the bus, as another stack would add.
acme_secret = aws.ssm.Parameter(
    "webhook-acme-secret", type="SecureString", value=pulumi.Output.secret(secrets.token_urlsafe(32)),
    description="signing secret(s) of the acme webhook, one per line",
    opts=pulumi.ResourceOptions(ignore_changes=["value"]),
)
webhook = WebhookIngress("webhook", WebhookIngressArgs(
    sources=[
        WebhookSource("github", github()),
        WebhookSource("stripe", stripe()),
        WebhookSource("slack", slack()),
        WebhookSource("acme", hmac_sha256("X-Acme-Signature", timestamp_header="X-Acme-Timestamp",
                                          signature_prefix="v1=", encoding="base64",
                                          delivery_header="X-Acme-Delivery", event_headers=["X-Acme-Event"]),
                      ssm_parameter_arn=acme_secret.arn),
        WebhookSource("rotating", github()),
        WebhookSource("github-async", github(), storage_first=True),
        WebhookSource("standard", standard_webhooks()),
    ],
    ingest_visibility_timeout_seconds=15,
))
webhook_events = WebhookSubscription("webhook-events", WebhookSubscriptionArgs(bus_name=webhook.bus_name))
pulumi.export("webhook", {"ingress": webhook.outputs, "subscriber": webhook_events.outputs})


# Rate limiting: one limiter (10 per minute as a token bucket, and 100 per hour) with its 429 authorizer in
# front of GET /limited/hello; the same limits decided in a function (POST /decorated/{key}); API keys with
# usage plans per tier (GET /tiers/hello); and an inbound buffer whose worker calls a downstream that takes
# at most 2 calls at once (the test catalog's downstream records what it saw).
rate_limits = [Limit("per_minute", 10, 60, "token_bucket"), Limit("per_hour", 100, 3600, "sliding_counter")]
limiter = RateLimiter("rate-limit", RateLimiterArgs(limits=rate_limits))
limited_backend = PythonFunction("rate-limit-demo", PythonFunctionArgs(
    package="rate_limit", handler="demo.handler", statements=limiter.statements(),
    environment=limiter.environment()))
limited_api = RestApi("rate-limit-api", RestApiArgs(
    routes=[Route("GET", "/limited/hello", limited_backend, auth=limiter.authorizer),
            Route("GET", "/tiers/hello", limited_backend, auth=ApiKeyAuth(tiers=(
                UsageTier(name="free", keys=("free-1",), rate_limit=5, burst_limit=5, quota_limit=3),
                UsageTier(name="pro", keys=("pro-1",), rate_limit=50, burst_limit=100, quota_limit=1000),
            )))],
    auth=limiter.authorizer, description="Rate-limited routes (serverless-patterns)"))
decorated_api = RestApi("rate-limit-decorated", RestApiArgs(
    routes=[Route("POST", "/decorated/{key}", limited_backend)],
    description="A route whose function decides the rate limit itself (serverless-patterns)"))
observations = aws.dynamodb.Table(
    "rate-limit-observations", attributes=[aws.dynamodb.TableAttributeArgs(name="id", type="S")],
    hash_key="id", billing_mode="PAY_PER_REQUEST")
buffer = RequestBuffer("rate-limit-buffer", RequestBufferArgs(
    max_concurrency=2, max_receive_count=2, retry_delay_seconds=1, worker_timeout=10,
    downstream=Downstream(
        handler="catalog_downstream.call",
        files={"catalog_downstream.py": str(Path(__file__).parent / "tests/e2e/rate_limit/catalog_downstream.py")},
        statements=[iam.dynamodb_statement(observations.arn, ["UpdateItem"])],
        settings={"observations_table": observations.name}),
))
pulumi.export("rate_limit", {"limiter": limiter.outputs, "api": limited_api.outputs,
                             "decorated": decorated_api.outputs, "buffer": buffer.outputs,
                             "observations_table_name": observations.name})
# Sharding: five shard queues deployed, four in the first membership (jump hash); the e2e tests reshard
# 4 -> 5 -> 4 under traffic. Short timeouts so a failing message reaches its DLQ within seconds; the routers
# reread the membership every second. The handler is the test catalog's own (it fails poison messages).
sharding = ShardedQueue("sharding", ShardedQueueArgs(
    shards=["s0", "s1", "s2", "s3", "s4"],
    membership=Membership.initial(["s0", "s1", "s2", "s3"], algorithm="jump"),
    handler=MessageHandlerCode(handler="catalog_handler.handle",
                               files={"catalog_handler.py": str(Path(__file__).parent /
                                                                "tests/e2e/sharding/catalog_handler.py")}),
    worker_timeout=5, visibility_timeout=6, retry_delay_seconds=1, max_attempts=3, membership_cache_seconds=1,
    drain_wait_seconds=3,
))
pulumi.export("sharding", sharding.outputs)

# Event store: the table behind the event-sourcing library and the eventsourcing persistence module
# (used in-process by the e2e tests), and CQRS on top of a store of its own: the bank-accounts domain.
event_store = EventStore("event-store")
pulumi.export("event_store", event_store.outputs)
bank_accounts = BankAccounts("accounts", BankAccountsArgs(snapshot_every=5, max_wait_seconds=3))
pulumi.export("cqrs", bank_accounts.outputs)

# Outbound webhooks: a compressed schedule (4 attempts over ~4 s), 2 s per attempt, a circuit that opens
# after 5 failures for 3 s, at most 2 attempts at once per endpoint, and loopback allowed (the tests'
# receiver listens on 127.0.0.1; plain HTTP).
webhook_delivery = WebhookDispatcher("hooks", WebhookDispatcherArgs(
    event_types=["invoice.paid", "invoice.voided", "customer.created", "ping"],
    schedule=[0, 1, 1, 2], request_timeout=2, require_https=False, allowed_networks=["127.0.0.0/8"],
    circuit_threshold=5, circuit_cooldown=3, max_retry_after=10, secret_overlap_seconds=600,
    max_in_flight_per_endpoint=2,
))
pulumi.export("webhook_delivery", webhook_delivery.outputs)

# Storage-first: API Gateway stores each request itself (no Lambda in the request path) into a queue, a FIFO
# queue (Idempotency-Key as deduplication id), a bus or a table (Idempotency-Key as item key). Two attempts
# one second apart, so a poison request reaches its DLQ within seconds. The processor is the test catalog's
# own (it fails requests that ask to).
storage_first = StorageFirstApi("storage-first", StorageFirstApiArgs(
    targets=[
        StorageTarget("orders", "sqs", max_body_bytes=64 * 1024, schema={
            "type": "object", "required": ["sku", "quantity"], "properties": {
                "sku": {"type": "string", "minLength": 1, "maxLength": 64},
                "quantity": {"type": "integer", "minimum": 1, "maximum": 1000}}}),
        StorageTarget("ledger", "sqs-fifo"),
        StorageTarget("events", "eventbridge"),
        StorageTarget("payments", "dynamodb"),
        StorageTarget("workflows", "stepfunctions"),
        StorageTarget("uploads", "s3"),
        StorageTarget("tasks", "sqs", max_attempts=40),  # outlasts a downstream outage of ~40 s
    ],
    processor=ProcessorCode(handler="catalog_processor.process", files={
        "catalog_processor.py": str(Path(__file__).parent / "tests/e2e/storage_first/catalog_processor.py")}),
    max_attempts=2, retry_delay_seconds=1, worker_timeout=10,
))
pulumi.export("storage_first", storage_first.outputs)

# WebSocket broadcast: connect tokens, topics, fan-out in deliveries of 25 connections with at most 4 sender
# invocations at once (the embedded emulator runs 8 Lambdas at once); short retries so a failing delivery
# reaches the DLQ within seconds. Left out where the target has no WebSocket APIs (LocalStack's free image),
# whose tests are skipped there.
if "apigateway-websocket" not in missing_capabilities(resolve_target()):
    websockets = WebSocketBroadcast("websockets", WebSocketBroadcastArgs(
        chunk_size=25, sender_concurrency=4, sender_timeout=10, max_attempts=2, retry_delay_seconds=1,
        event_bus_name="default"))
    pulumi.export("websockets", websockets.outputs)
