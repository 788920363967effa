"""The rate-limit components under mocks: tables, the authorizer and its gateway responses, the capped
worker, least-privilege policies, usage plans per tier, and Args refused by name."""

from __future__ import annotations

import json

import pytest

from components.core import ApiKeyAuth, IamAuth, PythonFunction, PythonFunctionArgs, RestApi, RestApiArgs, Route
from components.core.auth import UsageTier
from components.rate_limit import Downstream, Limit, RateLimiter, RateLimiterArgs, RequestBuffer, RequestBufferArgs
from functions.rate_limit.config import RateLimitConfig
from tests.components.harness import handoff_of

LIMITS = [Limit("per_minute", 10, 60), Limit("per_hour", 100, 3600, "sliding_counter")]


def _limited_api(name: str = "lim"):
    limiter = RateLimiter(name, RateLimiterArgs(limits=LIMITS))
    backend = PythonFunction(f"{name}-backend", PythonFunctionArgs(package="rate_limit", handler="demo.handler",
                                                                  environment=limiter.environment()))
    RestApi(f"{name}-api", RestApiArgs(routes=[Route("GET", "/hello", backend)], auth=limiter.authorizer))
    return limiter


def test_the_limiter_declares_a_ttl_state_table_clients_and_a_request_authorizer_without_caching(build):
    mocks = build(_limited_api)
    state = mocks.named("lim-state")
    assert state.inputs["hashKey"] == "pk" and state.inputs["ttl"] == {"attributeName": "ttl", "enabled": True}
    authorizer = mocks.one("aws:apigateway/authorizer:Authorizer")
    assert authorizer.inputs["type"] == "REQUEST"
    assert authorizer.inputs["authorizerResultTtlInSeconds"] == 0  # a cached Allow would skip the limiter
    assert authorizer.inputs["identitySource"] == "method.request.header.x-api-key"
    config = handoff_of(mocks, "lim-authorizer", RateLimitConfig)
    assert config.limiter.limits == tuple(LIMITS) and config.limiter.table == "lim-state"
    assert config.authorizer.clients_table == "lim-clients" and config.authorizer.limit_by == "api_key"


def test_a_deny_is_answered_429_with_retry_after_and_the_policy_and_a_failure_503(build):
    mocks = build(_limited_api)
    responses = {r.inputs["responseType"]: r.inputs for r in mocks.of_type("aws:apigateway/response:Response")}
    denied = responses["ACCESS_DENIED"]
    assert denied["statusCode"] == "429"
    headers = denied["responseParameters"]
    assert headers["gatewayresponse.header.Retry-After"] == "'6'"  # 60 s / 10: the longest a unit waits
    assert headers["gatewayresponse.header.RateLimit-Policy"] == \
        '\'"per_minute";q=10;w=60, "per_hour";q=100;w=3600\''
    assert json.loads(denied["responseTemplates"]["application/json"])["code"] == "too_many_requests"
    assert responses["AUTHORIZER_FAILURE"]["statusCode"] == "503"
    assert responses["THROTTLED"]["statusCode"] == "429"  # the API's other gateway responses unchanged


def test_the_authorizer_may_only_read_keys_and_update_the_limits_state(build):
    mocks = build(_limited_api)
    statements = [s for s in mocks.policy_statements("lim-authorizer-policy")
                  if not all(a.startswith("logs:") for a in s["Action"])]
    assert statements == [
        {"Effect": "Allow", "Action": ["dynamodb:GetItem", "dynamodb:UpdateItem"],
         "Resource": ["arn:aws:dynamodb:us-east-1:123456789012:table/lim-state"]},
        {"Effect": "Allow", "Action": ["dynamodb:GetItem"],
         "Resource": ["arn:aws:dynamodb:us-east-1:123456789012:table/lim-clients"]},
    ]


def test_an_api_mixing_sigv4_routes_with_the_429_authorizer_is_refused(build):
    def program():
        limiter = RateLimiter("mix", RateLimiterArgs(limits=LIMITS))
        backend = PythonFunction("mix-backend", PythonFunctionArgs(package="counter"))
        with pytest.raises(ValueError, match="must not mix IamAuth routes"):
            RestApiArgs(routes=[Route("GET", "/a", backend, auth=limiter.authorizer),
                                Route("GET", "/b", backend, auth=IamAuth())])

    build(program)


def test_usage_plans_per_tier_each_with_their_keys_and_limits(build):
    def program():
        backend = PythonFunction("tier-backend", PythonFunctionArgs(package="counter"))
        RestApi("tiers", RestApiArgs(routes=[Route("GET", "/x", backend)], auth=ApiKeyAuth(tiers=(
            UsageTier(name="free", keys=("f1", "f2"), rate_limit=1, burst_limit=2, quota_limit=100),
            UsageTier(name="pro", keys=("p1",), rate_limit=50, quota_limit=10_000, quota_period="MONTH")))))

    mocks = build(program)
    plans = mocks.of_type("aws:apigateway/usagePlan:UsagePlan")
    assert [(p.inputs["throttleSettings"]["rateLimit"], p.inputs["quotaSettings"]) for p in plans] == [
        (1, {"limit": 100, "period": "DAY"}), (50, {"limit": 10_000, "period": "MONTH"})]
    assert len(mocks.of_type("aws:apigateway/apiKey:ApiKey")) == 3
    assert len(mocks.of_type("aws:apigateway/usagePlanKey:UsagePlanKey")) == 3


@pytest.mark.parametrize(("make", "match"), [
    (lambda: ApiKeyAuth(keys=("a",), tiers=(UsageTier(name="t", keys=("b",)),)), r"ApiKeyAuth\.tiers"),
    (lambda: ApiKeyAuth(tiers=(UsageTier(name="t", keys=("a",)), UsageTier(name="u", keys=("a",)))),
     r"ApiKeyAuth\.tiers must have unique"),
    (lambda: UsageTier(name="t", keys=("a",), quota_limit=0), r"UsageTier\.quota_limit"),
])
def test_tiers_refuse_nonsense_by_name(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_the_buffer_caps_its_worker_and_ends_in_a_dlq(build):
    mocks = build(lambda: RequestBuffer("buf", RequestBufferArgs(max_concurrency=3, max_receive_count=4)))
    mapping = mocks.one("aws:lambda/eventSourceMapping:EventSourceMapping")
    assert mapping.inputs["scalingConfig"] == {"maximumConcurrency": 3}
    assert mapping.inputs["functionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mocks.named("buf-worker").inputs["reservedConcurrentExecutions"] == 3
    queue = mocks.named("buf-requests")
    assert json.loads(queue.inputs["redrivePolicy"])["maxReceiveCount"] == 4
    config = handoff_of(mocks, "buf-worker", RateLimitConfig)
    assert config.buffer.max_receive_count == 4 and config.buffer.status_table == "buf-status"
    worker = [s for s in mocks.policy_statements("buf-worker-policy") if not s["Action"][0].startswith("logs:")]
    assert {a for s in worker for a in s["Action"]} == {
        "sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ChangeMessageVisibility",
        "dynamodb:UpdateItem"}
    routes = {m.inputs["httpMethod"] for m in mocks.of_type("aws:apigateway/method:Method")}
    assert routes == {"GET", "POST"}


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"limits": []}, "limits"), ({"limits": LIMITS, "fail_mode": "sometimes"}, "fail_mode"),
    ({"limits": LIMITS, "shards": 0}, "shards"), ({"limits": LIMITS, "limit_by": "cookie"}, "limit_by"),
    ({"limits": [Limit("a", 10, 1), Limit("a", 5, 1)]}, "limits"),
])
def test_limiter_args_refuse_nonsense_naming_the_field(kwargs, field):
    with pytest.raises(ValueError, match=rf"RateLimiterArgs\.{field}"):
        RateLimiterArgs(**kwargs)


def test_shards_must_divide_every_limit():
    with pytest.raises(ValueError, match="divisible by 3"):
        RateLimiterArgs(limits=[Limit("a", 10, 1)], shards=3)


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"max_concurrency": 1}, "max_concurrency"), ({"batch_size": 11}, "batch_size"),
    ({"max_receive_count": 0}, "max_receive_count"), ({"downstream": "module.fn"}, "downstream"),
])
def test_buffer_args_refuse_nonsense_naming_the_field(kwargs, field):
    with pytest.raises(ValueError, match=rf"RequestBufferArgs\.{field}"):
        RequestBufferArgs(**kwargs)


def test_a_downstream_handler_must_be_a_dotted_name():
    with pytest.raises(ValueError, match=r"Downstream\.handler"):
        Downstream(handler="nodots")
