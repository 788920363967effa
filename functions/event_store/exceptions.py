"""What the event store refuses, each with its HTTP status in the catalog's error contract
(:mod:`functions.common.errors`); messages are safe to return to the caller."""

from __future__ import annotations

from functions.common.errors import Conflict, HttpError, PayloadTooLarge, Unavailable, Unprocessable


class EventStoreError(HttpError):
    """A write or read the store refuses."""


class VersionConflict(EventStoreError, Conflict):
    """A stream already holds a version the append expected to write: another writer came first.
    Nothing of the append was written."""

    code = "version_conflict"


class TrackingConflict(EventStoreError, Conflict):
    """The tracked position is not above the one already recorded: the notification was processed."""

    code = "already_tracked"


class TokenReused(EventStoreError, Unprocessable):
    """The client token was already used for a different append (or has expired)."""

    code = "token_reused"


class AppendTooLarge(EventStoreError, PayloadTooLarge):
    """The append does not fit one DynamoDB transaction (100 items, 400 KB per item)."""

    code = "append_too_large"


class Contention(EventStoreError, Unavailable):
    """The notification log kept moving under us for every attempt; retrying later succeeds."""

    code = "contention"
