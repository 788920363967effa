"""What the sequence generator refuses, each with its HTTP status in the catalog's error contract
(:mod:`functions.common.errors`); messages are safe to return to the caller."""

from __future__ import annotations

from functions.common.errors import Conflict, HttpError, NotFound, Unavailable, Unprocessable


class SequenceError(HttpError):
    """A request the generator refuses; the message is safe to return to the caller."""


class UnknownSequence(SequenceError, NotFound):
    """The name matches no declared sequence and auto-create is off."""

    code = "unknown_sequence"


class ItemExists(SequenceError, Conflict):
    """Gap-free mode: an item with the same key is already stored; no number was consumed."""

    code = "item_exists"


class SequenceExhausted(SequenceError, Conflict):
    """The next id would exceed DynamoDB's 38 significant digits."""

    code = "sequence_exhausted"


class IdempotencyKeyReused(SequenceError, Unprocessable):
    """The idempotency key was already used for a different request."""

    code = "idempotency_key_reused"


class Contention(SequenceError, Unavailable):
    """Gap-free mode: the counter kept moving under us for every attempt; retrying later succeeds."""

    code = "contention"
