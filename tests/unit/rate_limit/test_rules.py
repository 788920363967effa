"""The pure rules: each algorithm's decisions, retry-after and remaining; headers; identities; config."""

from __future__ import annotations

import pytest

from functions.rate_limit.algorithms import MemoryLimiter, decide
from functions.rate_limit.config import AuthorizerSettings, BufferSettings, Limit, LimiterSettings, RateLimitConfig
from functions.rate_limit.headers import headers_for, policy_header, soonest_retry_after
from functions.rate_limit.identity import Unauthenticated, api_key_of, key_hash, limit_key

S = 1_000_000


class Clock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


def test_token_bucket_bursts_to_its_size_then_refills_one_unit_per_interval():
    clock = Clock()
    bucket = MemoryLimiter([Limit("b", 10, 1, burst=5)], clock)
    assert [bucket.hit("k").allowed for _ in range(6)] == [True] * 5 + [False]
    refused = bucket.hit("k")
    assert refused.retry_after == pytest.approx(0.1) and refused.remaining == 0
    clock.now += 0.1
    assert bucket.hit("k").allowed and not bucket.hit("k").allowed
    clock.now += 10
    full = bucket.hit("k", cost=5)
    assert full.allowed and full.remaining == 0


def test_fixed_window_opens_at_the_first_hit_and_ends_a_period_later():
    clock = Clock()
    window = MemoryLimiter([Limit("w", 3, 10, "fixed_window")], clock)
    assert [window.hit("k").allowed for _ in range(4)] == [True, True, True, False]
    clock.now += 9.999
    refused = window.hit("k")
    assert not refused.allowed and refused.retry_after == pytest.approx(0.001)
    clock.now += 0.001
    assert window.hit("k").allowed


def test_sliding_log_frees_units_as_they_leave_the_window():
    clock = Clock()
    log = MemoryLimiter([Limit("l", 3, 10, "sliding_log")], clock)
    for step in (0, 1, 2):
        clock.now = 1_000 + step
        assert log.hit("k").allowed
    clock.now = 1_005
    refused = log.hit("k", cost=2)
    assert not refused.allowed and refused.retry_after == pytest.approx(6.000001)  # until the 2nd leaves
    clock.now = 1_011.000001
    assert log.hit("k", cost=2).allowed


def test_sliding_counter_weighs_the_previous_window():
    clock = Clock()
    clock.now = 1_000.0  # a multiple of 10: windows start here
    counter = MemoryLimiter([Limit("c", 10, 10, "sliding_counter")], clock)
    assert sum(counter.hit("k").allowed for _ in range(10)) == 10
    clock.now = 1_012.5  # 25% into the next window: 75% of the previous 10 still counts
    assert sum(counter.hit("k").allowed for _ in range(10)) == 3
    refused = counter.hit("k")
    assert not refused.allowed and refused.retry_after > 0
    clock.now += refused.retry_after
    assert counter.hit("k").allowed


def test_a_refusal_charges_no_limit():
    clock = Clock()
    both = MemoryLimiter([Limit("fast", 1, 1), Limit("slow", 3, 60, "fixed_window")], clock)
    assert both.hit("k").allowed and not both.hit("k").allowed
    assert both.state("k")["slow"]["n"] == 1


@pytest.mark.parametrize("algorithm", ["token_bucket", "fixed_window", "sliding_log", "sliding_counter"])
def test_every_rule_refuses_with_a_positive_retry_after_and_admits_after_it(algorithm):
    limit = Limit("x", 4, 2, algorithm)
    state: dict = {}
    now = 1_000 * S
    for _ in range(4):
        step = decide(limit, state, now, 1)
        assert step.allowed
        state = step.new_state
    refused = decide(limit, state, now, 1)
    assert not refused.allowed and refused.retry_after_us > 0
    assert decide(limit, state, now + refused.retry_after_us, 1).allowed


def test_headers_follow_the_ietf_draft():
    clock = Clock()
    limits = [Limit("per_second", 2, 1), Limit("per_minute", 50, 60, "fixed_window")]
    limiter = MemoryLimiter(limits, clock)
    allowed = headers_for(limiter.hit("k"))
    assert allowed == {"RateLimit-Policy": '"per_second";q=2;w=1, "per_minute";q=50;w=60',
                       "RateLimit": '"per_second";r=1;t=1'}
    limiter.hit("k")
    refused = headers_for(limiter.hit("k"))
    assert refused["Retry-After"] == "1" and refused["RateLimit"] == '"per_second";r=0;t=1'
    assert policy_header([Limit("tiny", 5, 0.5)]) == '"tiny";q=5;w=1'
    assert soonest_retry_after(limits) == (1, limits[0])


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"limit": 0}, "limit must be a positive integer"), ({"period_seconds": 0}, "period_seconds"),
    ({"period_seconds": -1}, "period_seconds"), ({"algorithm": "leaky"}, "algorithm must be one of"),
    ({"burst": 3, "algorithm": "fixed_window"}, "burst is a positive integer, for a token bucket only"),
    ({"limit": 5000, "algorithm": "sliding_log"}, "at most 1000"), ({"name": "Bad Name"}, "name must be"),
])
def test_malformed_limits_are_refused_at_declaration(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Limit(**{"name": "x", "limit": 10, "period_seconds": 1, **kwargs})


def test_settings_refuse_what_could_not_work():
    with pytest.raises(ValueError, match="at least one"):
        LimiterSettings(table="t", limits=())
    with pytest.raises(ValueError, match="unique"):
        LimiterSettings(table="t", limits=(Limit("a", 1, 1), Limit("a", 2, 1)))
    with pytest.raises(ValueError, match="fail_mode"):
        LimiterSettings(table="t", limits=(Limit("a", 1, 1),), fail_mode="maybe")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="key_header"):
        AuthorizerSettings(clients_table="c", key_header="bad header")
    with pytest.raises(ValueError, match="downstream_handler"):
        BufferSettings(status_table="s", downstream_handler="nodots")
    with pytest.raises(ValueError, match="needs a limiter"):
        RateLimitConfig(authorizer=AuthorizerSettings(clients_table="c"), buffer=BufferSettings(status_table="s"))
    assert LimiterSettings(table="t", limits=(Limit("a", 10, 1), Limit("b", 4, 1)), shards=2).capacity == 2


def test_the_configuration_travels_as_json():
    config = RateLimitConfig(limiter=LimiterSettings(table="t", limits=(Limit("a", 10, 1.5, burst=20),)),
                             authorizer=AuthorizerSettings(clients_table="c", limit_by="source_ip"))
    assert RateLimitConfig.from_json(config.to_json()) == config


def _event(headers=None, ip="203.0.113.9"):
    return {"headers": headers or {}, "requestContext": {"identity": {"sourceIp": ip}}}


def test_identities_per_key_tenant_and_source_ip():
    by_key = AuthorizerSettings(clients_table="c")
    event = _event({"X-Api-Key": "secret", "x-tenant-id": "acme"})
    hashed = key_hash(api_key_of(event, by_key))
    assert hashed == key_hash("secret") and len(hashed) == 64
    assert limit_key(event, by_key, hashed) == f"key:{hashed[:32]}"
    assert limit_key(event, AuthorizerSettings(clients_table="c", limit_by="header"), hashed) == "tenant:acme"
    assert limit_key(event, AuthorizerSettings(clients_table="c", limit_by="source_ip"), hashed) == "ip:203.0.113.9"
    with pytest.raises(Unauthenticated):
        api_key_of(_event(), by_key)
    with pytest.raises(Unauthenticated):
        limit_key(_event({"x-api-key": "k"}), AuthorizerSettings(clients_table="c", limit_by="header"), hashed)
