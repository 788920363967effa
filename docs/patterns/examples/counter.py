"""Atomic counters in your own stack: POST {url}/counters/{name} adds, GET reads."""

import pulumi

from components.counter import AtomicCounter, AtomicCounterArgs

counter = AtomicCounter("orders", AtomicCounterArgs(max_increment=100))
pulumi.export("orders_counter", counter.outputs)  # url, counters_table_name
