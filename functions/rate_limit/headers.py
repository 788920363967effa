"""The IETF httpapi ``RateLimit-Policy`` and ``RateLimit`` headers (draft-ietf-httpapi-ratelimit-headers),
and ``Retry-After``, from a decision. Pure.

``RateLimit-Policy: "per_second";q=10;w=1, "per_minute";q=100;w=60`` names every limit (quota ``q``
units per window ``w`` seconds); ``RateLimit: "per_minute";r=37;t=12`` says how many units are left
(``r``) of the limit closest to refusing and in how many seconds it is whole again (``t``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from functions.rate_limit.algorithms import Decision
from functions.rate_limit.config import Limit


def _seconds(value: float) -> int:
    return max(0, math.ceil(value))


def policy_header(limits: Sequence[Limit], shards: int = 1) -> str:
    """``RateLimit-Policy``: every limit, as declared (a window of a fraction of a second shows as 1)."""
    return ", ".join(f'"{limit.name}";q={limit.limit};w={max(1, _seconds(limit.period_seconds))}' for limit in limits)


def ratelimit_header(decision: Decision) -> str:
    return f'"{decision.policy}";r={decision.remaining};t={_seconds(decision.reset)}'


def retry_after(decision: Decision) -> int:
    """Whole seconds, rounded up, at least 1: a client retrying then is admitted if nobody else spent."""
    return max(1, _seconds(decision.retry_after))


def headers_for(decision: Decision) -> dict[str, str]:
    """The headers to send with any answer the decision governs; ``Retry-After`` when refused."""
    headers = {"RateLimit-Policy": policy_header(decision.policies), "RateLimit": ratelimit_header(decision)}
    if not decision.allowed:
        headers["Retry-After"] = str(retry_after(decision))
    return headers


def unit_wait(limit: Limit) -> float:
    """The longest a unit-cost request refused by this limit alone waits: a bucket's time per unit, a
    window's length."""
    return limit.period_seconds / limit.limit if limit.algorithm == "token_bucket" else limit.period_seconds


def soonest_retry_after(limits: Sequence[Limit]) -> tuple[int, Limit]:
    """What a response that cannot see the decision (a gateway response) says: the wait of the limit
    that frees up soonest, and that limit. A retry then may meet another limit, and another 429 with its
    own ``Retry-After``; never a wait far longer than needed."""
    first = min(limits, key=unit_wait)
    return max(1, _seconds(unit_wait(first))), first
