"""Gap-free mode over HTTP and in-process: the counter moves only with a committed item, so a failed
insert takes no number and the committed items hold exactly start..N, under real concurrency."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

import boto3
import pytest

from functions.common.validation import InvalidInput
from functions.sequence.config import MAX_VALUE
from functions.sequence.exceptions import ItemExists, SequenceExhausted
from tests.e2e.sequence.support import Deployed, deployed, fresh


@pytest.fixture(scope="module")
def seq(catalog, api_url) -> Deployed:
    return deployed(catalog, api_url)


def _items_of_run(seq: Deployed, run: str) -> dict[str, int]:
    """pk -> id of the items this run committed (the items table is shared by the tests)."""
    pages = boto3.client("dynamodb").get_paginator("scan").paginate(
        TableName=seq.items_table, FilterExpression="#run = :run",
        ExpressionAttributeNames={"#run": "run"}, ExpressionAttributeValues={":run": {"S": run}},
        ConsistentRead=True,
    )
    return {item["pk"]["S"]: int(item["id"]["N"]) for page in pages for item in page["Items"]}


def test_one_in_five_inserts_fail_and_the_committed_items_hold_exactly_1_to_n(seq, http):
    name, run = fresh("invoice-"), uuid.uuid4().hex
    keys = [f"{run}-{k}" for k in range(80)] + [f"{run}-{k}" for k in range(20)]  # 20 duplicates: 20% fail

    def insert(pk: str):
        item = {"pk": pk, "run": run, "amount": 12.5, "lines": [{"sku": "A", "qty": 2}]}
        return pk, http.post(seq.next_url(name), json={"item": item}, timeout=60)

    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(insert, keys))

    statuses = [r.status_code for _, r in results]
    assert statuses.count(200) == 80 and statuses.count(409) == 20, {r.text for _, r in results}
    assert all("no number was consumed" in r.json()["message"] for _, r in results if r.status_code == 409)
    committed = _items_of_run(seq, run)
    assert sorted(committed.values()) == list(range(1, 81))
    assert {pk: r.json()["first"] for pk, r in results if r.status_code == 200} == committed
    assert seq.counter(name) == 80


def test_idempotency_key_sent_five_times_inserts_once_and_takes_one_number(seq, http):
    name, run = fresh("invoice-"), uuid.uuid4().hex
    body = {"item": {"pk": f"{run}-order", "run": run}}

    def send(_: int):
        return http.post(seq.next_url(name), json=body, headers={"Idempotency-Key": f"{run}-key"}, timeout=60)

    with ThreadPoolExecutor(max_workers=5) as pool:
        responses = list(pool.map(send, range(5)))

    assert [r.status_code for r in responses] == [200] * 5, [r.text for r in responses]
    assert {r.json()["first"] for r in responses} == {1}
    assert [r.json()["replayed"] for r in responses].count(False) == 1
    assert _items_of_run(seq, run) == {f"{run}-order": 1}
    assert seq.counter(name) == 1


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("{}", "only with the 'item'"),
        ('{"item": "x"}', "must be a JSON object"),
        ('{"item": {"run": "r"}}', "key attribute 'pk'"),
        ('{"item": {"pk": ""}}', "key attribute 'pk'"),
        ('{"item": {"pk": "a", "id": 7}}', "must not set 'id'"),
        ('{"item": {"pk": "a"}, "count": 2}', "at most 1"),
        ('{"item": {"pk": "a", "n": 1e400}}', "must be a finite number"),
    ],
)
def test_bad_gap_free_request_is_refused_and_takes_no_number(seq, http, body, message):
    name, run = fresh("invoice-"), uuid.uuid4().hex
    http.post(seq.next_url(name), json={"item": {"pk": f"{run}-0", "run": run}}, timeout=30).raise_for_status()

    response = http.post(seq.next_url(name), data=body, timeout=30)

    assert response.status_code == 400, response.text
    assert message in response.json()["message"]
    assert seq.counter(name) == 1
    assert _items_of_run(seq, run) == {f"{run}-0": 1}


def test_gap_free_ids_are_exact_up_to_38_digits_then_refused(seq):
    client, name, run = seq.client(), fresh("wide-invoice-"), uuid.uuid4().hex
    ids = [client.next(name, item={"pk": f"{run}-{k}", "run": run}).first for k in range(3)]
    assert ids == [MAX_VALUE - 2, MAX_VALUE - 1, MAX_VALUE]
    with pytest.raises(SequenceExhausted):
        client.next(name, item={"pk": f"{run}-3", "run": run})
    assert sorted(_items_of_run(seq, run).values()) == ids
    assert seq.counter(name) == MAX_VALUE


def test_in_process_client_refuses_a_duplicate_item_without_taking_a_number(seq):
    client, name, run = seq.client(), fresh("invoice-"), uuid.uuid4().hex
    assert client.next(name, item={"pk": f"{run}-a", "run": run}).first == 1
    with pytest.raises(ItemExists):
        client.next(name, item={"pk": f"{run}-a", "run": run})
    assert client.next(name, item={"pk": f"{run}-b", "run": run}).first == 2
    with pytest.raises(InvalidInput):
        client.allocator(name)  # blocks would leave gaps
    assert client.current(name) == 2
