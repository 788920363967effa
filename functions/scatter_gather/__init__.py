"""Scatter-gather (the serverless loan broker): request validation, aggregation strategies, the shared
aggregator store, and the handlers of both variants (publish-subscribe and recipient list)."""
