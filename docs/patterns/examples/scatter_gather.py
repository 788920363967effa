"""A loan broker in one stack and a bank that plugs into it from another (here both in one program)."""

import pulumi

from components.core import PythonFunction, PythonFunctionArgs
from components.scatter_gather import (
    ProviderTarget,
    PubSubScatterGather,
    QuoteProvider,
    QuoteProviderArgs,
    ScatterGatherArgs,
)

broker = PubSubScatterGather("loans", ScatterGatherArgs(deadline_seconds=10))
pulumi.export("loans", broker.outputs)  # url, registry_table_name, requests_topic_arn, replies_queue_url, ...

# In the bank's own stack, the target is built from the broker stack's outputs (a StackReference).
target = ProviderTarget(registry_table_name=broker.registry.name, topic_arn=broker.topic.arn,
                        reply_queue_arn=broker.reply_queue.arn)
bank = PythonFunction("my-bank", PythonFunctionArgs(package="scatter_gather", handler="bank.handler"))
QuoteProvider("my-bank", QuoteProviderArgs(
    provider_id="my-bank", function=bank, min_amount=10_000, max_amount=2_000_000, target=target))
