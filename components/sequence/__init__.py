"""Sequence generator: numeric ids from DynamoDB counters (atomic, gap-free, block-leased)."""

from components.sequence.generator import ItemsTable, SequenceGenerator, SequenceGeneratorArgs, SequenceSpec

__all__ = ["ItemsTable", "SequenceGenerator", "SequenceGeneratorArgs", "SequenceSpec"]
