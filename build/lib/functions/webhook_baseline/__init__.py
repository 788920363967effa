"""Benchmark baseline: the generic "webhook to EventBridge" function that verifies nothing."""
