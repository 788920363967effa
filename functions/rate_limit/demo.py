"""The catalog's backend for the limited routes (no part of the library):

- ``GET /limited/hello`` behind the rate-limit authorizer: answers with the decision the authorizer
  passed in ``requestContext.authorizer``, as ``RateLimit`` headers;
- ``POST /decorated/{key}`` (SigV4): the same limits decided in this function with :func:`enforce`
  (body ``{"cost": n}``, default 1): 200 with the decision, or 429 with ``Retry-After``;
- ``GET /tiers/hello`` behind API keys with usage plans per tier: API Gateway limits it, this answers.
"""

from __future__ import annotations

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.common.rest import rest_resolver
from functions.common.validation import json_object, positive_int, validate_name
from functions.rate_limit.decorator import enforce
from functions.rate_limit.headers import headers_for
from functions.rate_limit.limiter import RateLimiter

limiter = RateLimiter.from_environment()
logger = Logger(service="rate_limit_demo")
app = rest_resolver(logger)


@app.get("/limited/hello")
def limited() -> Response:
    context = app.current_event.request_context.authorizer.raw_event or {}
    headers = {name: str(context[field]) for name, field in (("RateLimit", "ratelimit"),
                                                             ("RateLimit-Policy", "ratelimitPolicy"))
               if field in context}
    return Response(200, content_types.APPLICATION_JSON,
                    {"client": context.get("client"), "remaining": int(context.get("remaining", 0))}, headers)


@app.post("/decorated/<key>")
def decorated(key: str) -> Response:
    validate_name(key, "key")
    cost = positive_int(json_object(app.current_event.body), "cost", default=1, maximum=limiter.capacity)
    decision = enforce(limiter, f"decorated:{key}", cost)
    return Response(200, content_types.APPLICATION_JSON,
                    {"allowed": True, "remaining": decision.remaining, "limit": decision.limit,
                     "policy": decision.policy}, headers_for(decision))


@app.get("/tiers/hello")
def tiers() -> dict:
    return {"hello": "a caller within its usage plan"}


@logger.inject_lambda_context
def handler(event: dict, context: LambdaContext) -> dict:
    return app.resolve(event, context)
