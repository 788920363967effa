"""Helpers of the rate-limit e2e tests: a client that tells the limiter's 429 from the emulator's own
Lambda throttling (which it retries), and in-process limiters on the deployed state table."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import boto3
import requests

from functions.rate_limit.config import Limit, LimiterSettings
from functions.rate_limit.limiter import RateLimiter


def is_ours(response: requests.Response) -> bool:
    """A refusal by the limiter (it names its policy), not a throttled Lambda invocation."""
    return "RateLimit-Policy" in response.headers


def call(session: requests.Session, method: str, url: str, **kwargs: Any) -> requests.Response:
    """One request, retried only while the emulator throttles the function (it never ran)."""
    for _ in range(60):
        response = session.request(method, url, timeout=60, **kwargs)
        if response.status_code not in (429, 504) or is_ours(response):
            return response
        time.sleep(0.1)
    return response


class FrozenClock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def limiter(table: str, limits: Sequence[Limit], clock: Any = time.time, **options: Any) -> RateLimiter:
    """A limiter in this process on the deployed table (its own namespace per test: no shared state)."""
    namespace = f"t{time.time_ns()}"
    return RateLimiter(LimiterSettings(table=table, limits=tuple(limits), namespace=namespace, **options),
                       boto3.client("dynamodb"), clock=clock)
