"""``rate_limited``: the limiter's decision inside any Lambda handler, before its own code runs.

A refused call is answered 429 with ``Retry-After`` and the ``RateLimit`` headers (an API Gateway
proxy response in the catalog's error body) and the handler does not run; a limiter that cannot
decide answers 503 (fail closed) or lets the call through (fail open). An admitted call runs, and
its proxy response carries the ``RateLimit`` headers. Inside a REST resolver's route, call
:func:`enforce` instead: it raises :class:`RateLimited`, which the resolver answers the same way.

Examples
--------
>>> limiter = RateLimiter.from_environment()                       # doctest: +SKIP
>>> @rate_limited(limiter, key=lambda event: event["requestContext"]["identity"]["sourceIp"])
... def handler(event, context):                                 # doctest: +SKIP
...     return {"statusCode": 200, "body": "ok"}
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

from functions.common.errors import HttpError, error_response
from functions.rate_limit.algorithms import Decision
from functions.rate_limit.exceptions import RateLimited
from functions.rate_limit.headers import headers_for, retry_after

F = TypeVar("F", bound=Callable[..., Any])


class Limiter(Protocol):
    def hit(self, key: str, cost: int = 1) -> Decision: ...


def enforce(limiter: Limiter, key: str, cost: int = 1) -> Decision:
    """Charge ``key``; raise :class:`RateLimited` if any limit refuses. Returns the decision."""
    decision = limiter.hit(key, cost)
    if not decision.allowed:
        raise RateLimited(f"rate limit {decision.policy!r} exceeded: retry after {retry_after(decision)} s",
                          retry_after=retry_after(decision), headers=headers_for(decision))
    return decision


def rate_limited(limiter: Limiter, key: Callable[[dict], str],
                 cost: Callable[[dict], int] | None = None) -> Callable[[F], F]:
    """Decorate a handler ``(event, context)``: ``key(event)`` names who is charged, ``cost(event)`` how
    much (default 1). Answers a refusal itself (429, or 400 for a key or cost no limit takes, 503 when
    the store cannot decide and the fail mode is closed); adds the headers to a proxy response."""

    def wrap(handler: F) -> F:
        @functools.wraps(handler)
        def limited(event: dict, context: Any) -> Any:
            try:
                decision = enforce(limiter, key(event), cost(event) if cost else 1)
            except HttpError as refused:
                return error_response(refused)
            response = handler(event, context)
            if isinstance(response, dict) and "statusCode" in response:
                response.setdefault("headers", {}).update(headers_for(decision))
            return response

        return limited  # type: ignore[return-value]

    return wrap
