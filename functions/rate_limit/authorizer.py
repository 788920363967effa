"""The REST API request authorizer: a registered API key, then the limiter's decision for the caller.

- no key, or a key not registered in the clients table -> ``Unauthorized`` (API Gateway answers 401);
- over a limit -> a ``Deny`` policy, which the API's ``ACCESS_DENIED`` gateway response turns into a
  429 with ``Retry-After`` and ``RateLimit-Policy`` (the component maps it; see the pattern page);
- admitted -> an ``Allow`` for this method, with the decision in the context (``remaining``, ``limit``,
  ``reset``, ``ratelimit``): the backend reads it in ``requestContext.authorizer``;
- the limiter's store unavailable, fail mode closed -> an error (``AUTHORIZER_FAILURE``, mapped to 503).

Result caching must be off (``result_ttl_seconds=0``): a cached Allow would skip the limiter.
"""

from __future__ import annotations

import time
from typing import Any

import boto3
from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.rate_limit.config import RateLimitConfig
from functions.rate_limit.headers import headers_for
from functions.rate_limit.identity import Unauthenticated, api_key_of, key_hash, limit_key, policy
from functions.rate_limit.limiter import RateLimiter

config = RateLimitConfig.from_environment()
assert config.limiter is not None and config.authorizer is not None, "RATE_LIMIT_CONFIG lacks the authorizer"
settings = config.authorizer
logger = Logger(service="rate_limit_authorizer")
dynamodb = boto3.client("dynamodb")
limiter = RateLimiter(config.limiter, dynamodb)
KNOWN_FOR_SECONDS = 30.0  # a registered key is looked up again after this (a revoked key stops within it)
_known: dict[str, tuple[float, str]] = {}


def _client_of(hashed: str) -> str:
    cached = _known.get(hashed)
    if cached and cached[0] > time.monotonic():
        return cached[1]
    item = dynamodb.get_item(TableName=settings.clients_table, Key={"key_hash": {"S": hashed}},
                             ConsistentRead=True).get("Item")
    if not item:
        raise Unauthenticated("unknown API key")
    client = item.get("client", {}).get("S", hashed[:12])
    _known[hashed] = (time.monotonic() + KNOWN_FOR_SECONDS, client)
    return client


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    try:
        hashed = key_hash(api_key_of(event, settings))
        client = _client_of(hashed)
        key = limit_key(event, settings, hashed)
    except Unauthenticated as refused:
        logger.info("unauthenticated", extra={"reason": str(refused)})
        raise Exception("Unauthorized") from None  # noqa: B904 - API Gateway's 401 is this exact message
    decision = limiter.hit(key)  # LimiterUnavailable propagates: AUTHORIZER_FAILURE, a 503 on this API
    headers = headers_for(decision)
    context_values: dict[str, Any] = {
        "client": client, "limit": decision.limit, "remaining": decision.remaining,
        "reset": round(decision.reset, 3), "policy": decision.policy, "ratelimit": headers["RateLimit"],
        "ratelimitPolicy": headers["RateLimit-Policy"], "degraded": decision.degraded,
    }
    if not decision.allowed:
        context_values["retryAfter"] = headers["Retry-After"]
        logger.info("rate limited", extra={"client": client, "policy": decision.policy})
        return policy(client, "Deny", event["methodArn"], context_values)
    return policy(client, "Allow", event["methodArn"], context_values)
