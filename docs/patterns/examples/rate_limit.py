"""Rate limiting in your own stack: a 429 authorizer on a route, the same limits inside a function, API
keys per tier, and a buffer in front of a downstream that takes at most 4 calls at once."""

import pulumi

from components.core import ApiKeyAuth, PythonFunction, PythonFunctionArgs, RestApi, RestApiArgs, Route, UsageTier
from components.rate_limit import Downstream, Limit, RateLimiter, RateLimiterArgs, RequestBuffer, RequestBufferArgs

limiter = RateLimiter("api-limits", RateLimiterArgs(
    limits=[Limit("per_second", 10, 1, "token_bucket", burst=20),      # smooth rate, bursts of 20
            Limit("per_day", 10_000, 86_400, "sliding_counter")],      # daily quota, decided with it
    limit_by="api_key", fail_mode="closed"))

# Your function decides in-process too (RateLimiter.from_environment() / @rate_limited): give it the
# limiter's configuration and its right to update the state table.
orders = PythonFunction("orders", PythonFunctionArgs(
    package="rate_limit", handler="demo.handler",
    environment=limiter.environment(), statements=limiter.statements()))

api = RestApi("orders-api", RestApiArgs(routes=[
    Route("GET", "/limited/hello", orders, auth=limiter.authorizer),    # 429 + Retry-After, no key: 401
    Route("GET", "/tiers/hello", orders, auth=ApiKeyAuth(tiers=(
        UsageTier(name="free", keys=("alice",), rate_limit=1, burst_limit=5, quota_limit=1_000),
        UsageTier(name="pro", keys=("bob",), rate_limit=100, burst_limit=200, quota_limit=1_000_000)))),
], auth=limiter.authorizer))

buffer = RequestBuffer("payments", RequestBufferArgs(
    max_concurrency=4, downstream=Downstream(handler="functions.rate_limit.buffer.acknowledge")))

pulumi.export("limits", {"limiter": limiter.outputs, "api": api.outputs, "buffer": buffer.outputs})
