"""Both scatter-gather variants and 20 providers of equal delay; provider i quotes for amounts of at
least 1000 * i, so a request for 1000 * n reaches exactly the first n providers."""

import pulumi

from components.core import PythonFunction, PythonFunctionArgs, handoff
from components.scatter_gather import (
    PubSubScatterGather,
    QuoteProvider,
    QuoteProviderArgs,
    RecipientListScatterGather,
    ScatterGatherArgs,
)
from functions.scatter_gather.config import BankConfig

PROVIDERS = 20
DELAY_SECONDS = 1
args = ScatterGatherArgs(deadline_seconds=30, max_deadline_seconds=30)
brokers = {"pubsub": PubSubScatterGather("bench-pubsub", args),
           "recipient_list": RecipientListScatterGather("bench-list", args)}
for i in range(1, PROVIDERS + 1):
    bank_id = f"bank-{i:02d}"
    bank = PythonFunction(bank_id, PythonFunctionArgs(
        package="scatter_gather", handler="bank.handler", timeout=DELAY_SECONDS + 5,
        environment=handoff(BankConfig, bank_id=bank_id, base_rate=3 + i / 100, delay_seconds=DELAY_SECONDS),
    ))
    for variant, broker in brokers.items():
        QuoteProvider(f"{bank_id}-{variant}", QuoteProviderArgs(
            provider_id=bank_id, function=bank, target=broker.provider_target, min_amount=1000 * i,
            visibility_timeout_seconds=DELAY_SECONDS + 5))
pulumi.export("brokers", {variant: broker.outputs for variant, broker in brokers.items()})
pulumi.export("delay_seconds", DELAY_SECONDS)
