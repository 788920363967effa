"""Scatter-gather (the loan broker): one request fanned out to providers, replies aggregated into
one answer by a deadline; publish-subscribe or recipient-list."""

from components.scatter_gather.base import ProviderTarget, ScatterGatherArgs
from components.scatter_gather.pubsub import PubSubScatterGather
from components.scatter_gather.quote_provider import QuoteProvider, QuoteProviderArgs
from components.scatter_gather.recipient_list import RecipientListScatterGather

__all__ = [
    "ProviderTarget",
    "PubSubScatterGather",
    "QuoteProvider",
    "QuoteProviderArgs",
    "RecipientListScatterGather",
    "ScatterGatherArgs",
]
