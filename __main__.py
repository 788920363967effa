"""The whole catalog in one Pulumi program: every pattern, with its outputs exported."""

import pulumi

from components.counter import AtomicCounter

counter = AtomicCounter("counter")
pulumi.export("counter", {"url": counter.url, "table_name": counter.table_name})

from components.dynamo_priority_queue import DynamoPriorityQueue, DynamoPriorityQueueArgs  # noqa: E402
from components.priority_queues import PriorityQueues, PriorityQueuesArgs  # noqa: E402

# Short timeouts and delays so tests see retries, DLQs and lease expiry within seconds.
priority = PriorityQueues("priority", PriorityQueuesArgs(worker_timeout=10, retry_delay_seconds=1))
priority_dynamo = DynamoPriorityQueue(
    "priority-dynamo",
    DynamoPriorityQueueArgs(lease_seconds=5, worker_timeout=30, retry_delay_seconds=1, max_workers=4),
)
pulumi.export("priority", {
    "url": priority.url, "queue_urls": priority.queue_urls, "dlq_urls": priority.dlq_urls,
    "jobs_table": priority.jobs_table, "worker_name": priority.worker_name,
    "dynamo": {"url": priority_dynamo.url, "jobs_table": priority_dynamo.jobs_table,
               "worker_name": priority_dynamo.worker_name},
})

from components.sequence import SequenceGenerator, SequenceGeneratorArgs, SequenceSpec  # noqa: E402

sequence = SequenceGenerator("sequence", SequenceGeneratorArgs(sequences=[
    SequenceSpec("ticket", start=1000, direct_route=True),   # one atomic sequence, also served without Lambda
    SequenceSpec("atomic-*"),                                 # a family: one atomic counter per name
    SequenceSpec("invoice-*", mode="gap-free"),               # per-tenant gap-free invoice numbers
    SequenceSpec("order-*", mode="block", block_size=100),    # leased in blocks of 100
    SequenceSpec("wide-*", start=10**38 - 3),                 # start near DynamoDB's 38-digit ceiling
    SequenceSpec("wide-invoice-*", mode="gap-free", start=10**38 - 3),
]))
pulumi.export("sequence", {
    "url": sequence.url,
    "counters_table": sequence.counters.name,
    "keys_table": sequence.keys.name,
    "items_table": sequence.items.name if sequence.items else None,
    "client_config": sequence.client_config,
})
