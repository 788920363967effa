"""The whole catalog in one Pulumi program: every pattern, with its outputs exported."""

import pulumi

from components.counter import AtomicCounter

counter = AtomicCounter("counter")
pulumi.export("counter", {"url": counter.url, "table_name": counter.table_name})

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
