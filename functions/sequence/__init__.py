"""Sequence generator: numeric ids from DynamoDB counters in three modes (atomic, gap-free, block).

``SequenceClient`` (in :mod:`functions.sequence.client`) does the work, in-process or behind the REST
handler; :mod:`functions.sequence.sequences` holds the pure rules both share.
"""
