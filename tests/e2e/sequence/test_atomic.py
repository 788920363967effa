"""Sequence generator over HTTP, atomic mode: distinct increasing ids under real concurrency,
starting values, idempotency keys, the 38-digit ceiling, bad input refused with nothing taken, and
the direct API Gateway -> DynamoDB route."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import pytest

from functions.sequence.config import MAX_VALUE
from tests.e2e.sequence.support import Deployed, deployed, fresh


@pytest.fixture(scope="module")
def seq(catalog, api_url) -> Deployed:
    return deployed(catalog, api_url)


def test_16_threads_by_25_requests_get_400_distinct_increasing_ids(seq, http):
    name = fresh("atomic-")

    def twenty_five(_: int) -> list[int]:
        ids = []
        for _ in range(25):
            response = http.post(seq.next_url(name), timeout=60)
            assert response.status_code == 200, response.text
            body = response.json()
            assert body["first"] == body["last"] and body["count"] == 1
            ids.append(body["first"])
        return ids

    with ThreadPoolExecutor(max_workers=16) as pool:
        per_client = list(pool.map(twenty_five, range(16)))

    everything = [i for ids in per_client for i in ids]
    assert len(set(everything)) == 400
    assert sorted(everything) == list(range(1, 401))  # no caller failed, so no gaps either
    assert all(ids == sorted(ids) for ids in per_client)  # each caller sees its ids increase
    assert seq.counter(name) == 400


def test_count_takes_a_contiguous_range_with_one_request(seq, http):
    name = fresh("atomic-")
    first = http.post(seq.next_url(name), json={"count": 5}, timeout=30).json()
    second = http.post(seq.next_url(name), timeout=30).json()
    assert (first["first"], first["last"], first["count"]) == (1, 5, 5)
    assert (second["first"], second["last"]) == (6, 6)


def test_declared_start_is_the_first_id(seq, http):
    # "ticket" starts at 1000; other tests may have taken some, so it is at least that.
    body = http.post(seq.next_url("ticket"), timeout=30).json()
    assert body["sequence"] == "ticket" and body["first"] >= 1000
    assert seq.counter("ticket") >= body["first"]


def test_idempotency_key_sent_five_times_concurrently_returns_one_id(seq, http):
    name = fresh("atomic-")
    http.post(seq.next_url(name), timeout=30).raise_for_status()  # the counter exists and is at 1

    def send(_: int):
        return http.post(seq.next_url(name), json={"count": 2}, headers={"Idempotency-Key": "order-42"}, timeout=30)

    with ThreadPoolExecutor(max_workers=5) as pool:
        responses = list(pool.map(send, range(5)))

    assert all(r.status_code == 200 for r in responses), [r.text for r in responses]
    ranges = {(r.json()["first"], r.json()["last"]) for r in responses}
    assert len(ranges) == 1
    first, last = ranges.pop()
    assert last == first + 1 and first >= 2
    assert [r.json()["replayed"] for r in responses].count(False) == 1  # one issued, four replayed
    assert [r.headers.get("Idempotent-Replayed") for r in responses].count("true") == 4
    # a later retry still replays, and says so
    again = send(0)
    assert (again.json()["first"], again.headers.get("Idempotent-Replayed")) == (first, "true")
    # and the counter moved once: 1 before, 2 ids taken by the one request that was issued
    assert seq.counter(name) == 3 == last


def test_idempotency_key_reused_for_a_different_request_is_refused(seq, http):
    name = fresh("atomic-")
    headers = {"Idempotency-Key": "k-1"}
    http.post(seq.next_url(name), json={"count": 1}, headers=headers, timeout=30).raise_for_status()
    response = http.post(seq.next_url(name), json={"count": 3}, headers=headers, timeout=30)
    assert response.status_code == 422
    assert "different request" in response.json()["message"]
    assert seq.counter(name) == 1


def _refused(seq: Deployed, http, name: str, body: str | None, message: str, status: int = 400, headers=None):
    response = http.post(seq.next_url(name), data=body, headers=headers or {}, timeout=30)
    assert response.status_code == status, response.text
    assert message in response.json()["message"]
    return response


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("{not json", "not valid JSON"),
        ("[1, 2]", "must be a JSON object"),
        ('{"count": 0}', "at least 1"),
        ('{"count": -3}', "at least 1"),
        ('{"count": "5"}', "must be an integer"),
        ('{"count": 2.5}', "must be an integer"),
        ('{"count": true}', "must be an integer"),
        ('{"count": 1001}', "at most 1000"),
        ('{"cuont": 2}', "unknown field"),
        ('{"item": {"pk": "x"}}', "only by gap-free"),
        (json.dumps({"count": 1, "pad": "x" * 17000}), "maximum"),
    ],
)
def test_bad_body_is_refused_and_takes_no_number(seq, http, body, message):
    name = fresh("atomic-")
    http.post(seq.next_url(name), timeout=30).raise_for_status()
    _refused(seq, http, name, body, message)
    assert seq.counter(name) == 1


def test_bad_idempotency_key_is_refused(seq, http):
    name = fresh("atomic-")
    _refused(seq, http, name, None, "idempotency key", headers={"Idempotency-Key": "x" * 129})
    assert seq.counter(name) is None


@pytest.mark.parametrize("name", ["undeclared", "atomic", "-bad-start", "a" * 65])
def test_unknown_or_invalid_sequence_is_refused_and_creates_nothing(seq, http, name):
    response = http.post(seq.next_url(name), timeout=30)
    assert response.status_code in (400, 404), response.text
    assert "sequence" in response.json()["message"]
    assert seq.counter(name) is None


def test_unknown_sequence_is_404_naming_auto_create(seq, http):
    name = fresh("nope-")
    _refused(seq, http, name, None, "auto-create is off", status=404)
    assert seq.counter(name) is None


@pytest.mark.requires("dynamodb-38-digit-arithmetic")
def test_atomic_sequence_runs_to_the_38_digit_ceiling_and_stops(seq, http):
    name = fresh("wide-")  # starts at 10**38 - 3
    ids = [http.post(seq.next_url(name), timeout=30).json()["first"] for _ in range(3)]
    assert ids == [MAX_VALUE - 2, MAX_VALUE - 1, MAX_VALUE]
    _refused(seq, http, name, None, "exhausted", status=409)
    assert seq.counter(name) == MAX_VALUE


def test_a_range_that_would_pass_the_ceiling_is_refused_before_writing(seq, http):
    name = fresh("wide-")  # starts at 10**38 - 3: four ids do not fit
    _refused(seq, http, name, '{"count": 4}', "exhausted", status=409)
    assert seq.counter(name) is None


@pytest.mark.requires("apigateway-v1-service-integrations")
def test_direct_route_issues_ids_without_lambda(seq, http):
    url = f"{seq.url}/direct/sequences/ticket/next"
    first = http.post(url, timeout=30)
    assert first.status_code == 200, first.text
    second = http.post(url, timeout=30).json()
    assert first.json()["sequence"] == "ticket" and first.json()["first"] >= 1000
    assert second["first"] > first.json()["first"]
    assert seq.counter("ticket") >= second["first"]
