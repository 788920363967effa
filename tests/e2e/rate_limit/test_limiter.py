"""The limiter on the emulator's DynamoDB: concurrency (real threads, and through a deployed function),
window boundaries, per-key isolation, several limits decided atomically, costs, TTL, sharding."""

from __future__ import annotations

import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import boto3
import pytest
import requests

from functions.rate_limit.algorithms import MemoryLimiter
from functions.rate_limit.config import Limit
from localcloud.http import SigV4
from tests.e2e.rate_limit.support import FrozenClock, call, limiter

ALGORITHMS = ["token_bucket", "fixed_window", "sliding_log", "sliding_counter"]


@pytest.fixture(scope="module")
def table(rate_limit) -> str:
    return rate_limit["limiter"]["state_table_name"]


def test_fifty_parallel_calls_to_a_deployed_ten_token_bucket_admit_exactly_ten(rate_limit, api_url, cloud_target):
    url = api_url(rate_limit["decorated"]["url"]) + f"/decorated/burst-{uuid.uuid4().hex[:8]}"
    session = requests.Session()
    session.auth = SigV4(cloud_target.region)
    session.mount("http://", requests.adapters.HTTPAdapter(pool_maxsize=16))

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(lambda _: call(session, "POST", url).status_code, range(50)))
    refills = int((time.monotonic() - started) // 6)  # the catalog's bucket: 10 per minute, a token every 6 s

    # Exactly the bucket's 10, plus a token for each 6 s the burst took (on a loaded 2-core machine the
    # emulator's own throttling can stretch it past 6 s; the frozen-clock test below has no refill at all).
    assert 10 <= statuses.count(200) <= 10 + refills, (refills, statuses)
    assert statuses.count(200) + statuses.count(429) == 50, statuses
    refused = call(session, "POST", url)
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
    assert refused.json()["code"] == "too_many_requests"
    assert '"per_minute";q=10;w=60' in refused.headers["RateLimit-Policy"]


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_fifty_parallel_hits_on_eight_threads_admit_exactly_the_limit(table, algorithm):
    clock = FrozenClock(1_800_000_005.0)  # mid-window: no window ends during the burst
    shared = limiter(table, [Limit("l", 10, 60, algorithm)], clock=clock)

    with ThreadPoolExecutor(max_workers=8) as pool:
        decisions = list(pool.map(lambda _: shared.hit("hot"), range(50)))

    assert sum(d.allowed for d in decisions) == 10
    assert sorted(d.remaining for d in decisions if d.allowed) == list(range(10))


@pytest.mark.parametrize(("algorithm", "admitted"), [
    ("fixed_window", 2 * 5 - 1), ("sliding_log", 5), ("sliding_counter", 5), ("token_bucket", 5)])
def test_a_burst_either_side_of_a_window_boundary(table, algorithm, admitted):
    """L-1 at W-e and L at W+e, the window opened at 0 by one request: within those 2e seconds the fixed
    window lets 2L-1 through, the log L (never more than L in any W), the counter stays within its bound
    (below 2L; here L), the bucket its burst."""
    limit, width, epsilon = 5, 10, 0.05
    clock = FrozenClock(1_800_000_000.0)  # a multiple of W: the counter's windows start here too
    store = limiter(table, [Limit("l", limit, width, algorithm)], clock=clock)
    reference = MemoryLimiter([Limit("l", limit, width, algorithm)], clock=clock)
    start = clock.now
    around_the_boundary = []
    for offset, count in ((0.0, 1), (width - epsilon, limit - 1), (width + epsilon, limit)):
        clock.now = start + offset
        for _ in range(count):
            decision = store.hit("k")
            assert decision.allowed == reference.hit("k").allowed  # the deployed store follows the pure rules
            if offset:
                around_the_boundary.append(decision.allowed)
    assert sum(around_the_boundary) == admitted
    assert sum(around_the_boundary) < 2 * limit


def test_keys_are_isolated(table):
    store = limiter(table, [Limit("l", 3, 60, "token_bucket")])
    assert [store.hit("alice").allowed for _ in range(4)] == [True, True, True, False]
    assert [store.hit("bob").allowed for _ in range(4)] == [True, True, True, False]


def test_several_limits_are_decided_at_once_and_a_refusal_charges_none(table):
    clock = FrozenClock(1_800_000_030.0)
    store = limiter(table, [Limit("per_second", 2, 1, "token_bucket"), Limit("per_minute", 3, 60, "fixed_window")],
                    clock=clock)
    assert [store.hit("k").allowed for _ in range(3)] == [True, True, False]  # the bucket refuses the third
    clock.now += 1.0  # the bucket refilled; the window still holds 2 of 3
    third = store.hit("k")
    assert third.allowed and third.remaining == 0 and third.policy == "per_minute"
    refused = store.hit("k")
    assert not refused.allowed and refused.policy == "per_minute"
    assert refused.retry_after == pytest.approx(59.0, abs=0.01)
    item = boto3.client("dynamodb").get_item(TableName=table, Key={"pk": {"S": f"{store.settings.namespace}#k"}},
                                             ConsistentRead=True)["Item"]
    assert item["per_minute:n"]["N"] == "3"  # the refused requests charged nothing
    assert int(item["ttl"]["N"]) >= int(clock.now) + 59  # expired state is left to the table's TTL


def test_costs_are_weighted_and_a_cost_above_capacity_is_refused_by_name(table):
    store = limiter(table, [Limit("l", 10, 60, "sliding_log")])
    assert [store.hit("k", cost=4).allowed for _ in range(3)] == [True, True, False]
    assert store.hit("k", cost=2).allowed
    with pytest.raises(ValueError, match="above the limit's capacity of 10"):
        store.hit("k", cost=11)


def test_a_hot_key_spread_over_shards_still_admits_exactly_its_limit(table):
    clock = FrozenClock(1_800_000_010.0)
    store = limiter(table, [Limit("l", 10, 60, "fixed_window")], clock=clock, shards=2)
    with ThreadPoolExecutor(max_workers=8) as pool:
        decisions = list(pool.map(lambda _: store.hit("hot"), range(30)))
    assert sum(d.allowed for d in decisions) == 10
    assert all(d.limit == 10 for d in decisions)


def test_an_uncontended_decision_costs_one_conditional_write(table):
    store = limiter(table, [Limit("a", 100, 60, "token_bucket"), Limit("b", 100, 60, "sliding_counter")])
    store.hit("k")  # a cold process reads the key once, then remembers its state
    before = dict(store.stats)
    for _ in range(20):
        assert store.hit("k").allowed
        time.sleep(0.001)
    assert store.stats["writes"] - before["writes"] == 20
    assert store.stats["reads"] == before["reads"] and store.stats["failed_writes"] == before["failed_writes"]
