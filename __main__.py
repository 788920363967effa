"""The whole catalog in one Pulumi program: every pattern, with its outputs exported.

Each section instantiates one pattern (small timeouts and deadlines so the end-to-end tests see
retries, DLQs and expiries within seconds) and exports each component's outputs, as the component
built them, under the pattern's name.
"""

import secrets
from pathlib import Path

import pulumi
import pulumi_aws as aws

from components.core import PythonFunction, PythonFunctionArgs, handoff
from components.counter import AtomicCounter
from components.priority import (
    DynamoPriorityQueue,
    DynamoPriorityQueueArgs,
    JobCode,
    PriorityQueues,
    PriorityQueuesArgs,
)
from components.scatter_gather import (
    PubSubScatterGather,
    QuoteProvider,
    QuoteProviderArgs,
    RecipientListScatterGather,
    ScatterGatherArgs,
)
from components.sequence import SequenceGenerator, SequenceGeneratorArgs, SequenceSpec
from components.webhook import (
    WebhookIngress,
    WebhookIngressArgs,
    WebhookSource,
    WebhookSubscription,
    WebhookSubscriptionArgs,
    github,
    hmac_sha256,
    slack,
    stripe,
)
from functions.scatter_gather.config import BankConfig

# Atomic counter
counter = AtomicCounter("counter")
pulumi.export("counter", counter.outputs)


# Priority queues. Short timeouts and delays so tests see retries, DLQs and lease expiry within seconds.
# The job code is the test catalog's own, with hooks that make a job slow, fail or crash on demand: it
# is bundled here and is no part of the library (a component's default job code does nothing).
catalog_jobs = JobCode(handler="catalog_jobs.run",
                       files={"catalog_jobs.py": str(Path(__file__).parent / "tests/e2e/priority/catalog_jobs.py")})
priority = PriorityQueues("priority", PriorityQueuesArgs(worker_timeout=10, retry_delay_seconds=1, job=catalog_jobs))
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
    ],
    ingest_visibility_timeout_seconds=15,
))
webhook_events = WebhookSubscription("webhook-events", WebhookSubscriptionArgs(bus_name=webhook.bus_name))
pulumi.export("webhook", {"ingress": webhook.outputs, "subscriber": webhook_events.outputs})
