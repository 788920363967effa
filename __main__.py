"""The whole catalog in one Pulumi program: every pattern, with its outputs exported."""

import pulumi

from components.counter import AtomicCounter

counter = AtomicCounter("counter")
pulumi.export("counter", {"url": counter.url, "table_name": counter.table_name})
