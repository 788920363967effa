"""What the rate-limit pattern refuses, in the catalog's error contract (:mod:`functions.common.errors`)."""

from __future__ import annotations

from collections.abc import Mapping

from functions.common.errors import HttpError, TooManyRequests, Unavailable


class RateLimitError(HttpError):
    """A request the limiter refuses; the message is safe to return."""


class RateLimited(RateLimitError, TooManyRequests):
    """Over a limit: retry after ``Retry-After`` seconds. Carries the ``RateLimit`` headers."""

    def __init__(self, message: str, *, retry_after: int, headers: Mapping[str, str]) -> None:
        super().__init__(message, retry_after=retry_after, headers=headers)


class LimiterUnavailable(RateLimitError, Unavailable):
    """The limiter's store throttled or could not be reached and the fail mode is ``closed``."""

    code = "limiter_unavailable"


class Contention(RateLimitError, Unavailable):
    """Too many writers on one key for ``max_attempts`` conditional writes; retrying later succeeds."""

    code = "contention"
