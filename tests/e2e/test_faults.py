"""The patterns' guarantees under injected AWS faults: throttling, 5xx and latency on DynamoDB, SQS,
EventBridge and Step Functions calls made by the deployed functions (tests/e2e/faults.py).

Each test injects faults, drives the pattern through its real entry point with real concurrency,
and checks the guarantee against the stored state; it also checks that faults really fired (a
test whose faults never fired would prove nothing), and prints what was injected.
"""

from __future__ import annotations

import json
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import boto3
import pytest
from boto3.dynamodb.conditions import Attr

from tests.e2e.faults import FaultProxy, describe, latency, routed_through, server_error, throttle
from tests.e2e.support import wait_until
from tests.e2e.webhook.support import Sender, Subscriber, current_secret

RETRYABLE = {503, 409}  # what a client is told to retry (409: the same delivery is being processed)


@pytest.fixture(scope="session")
def proxy(cloud_target):
    """One proxy for the session, alive until the emulator stops: a warm worker that still holds the
    proxy's address after its function was restored then reaches the emulator through it, unharmed
    (no rules), instead of failing on a closed port."""
    fault_proxy = FaultProxy(cloud_target.endpoint)
    yield fault_proxy
    fault_proxy.stop()


def _function(prefix: str) -> str:
    lam = boto3.client("lambda")
    names = [f["FunctionName"] for page in lam.get_paginator("list_functions").paginate()
             for f in page["Functions"] if f["FunctionName"].startswith(prefix)]
    assert len(names) == 1, names
    return names[0]


def _until_answered(call: Any, attempts: int = 10) -> Any:
    """What a well-behaved client does: retry while told to retry later."""
    for attempt in range(attempts):
        response = call()
        if response.status_code not in RETRYABLE:
            return response
        time.sleep(min(2.0, 0.2 * 2 ** attempt))
    return response


def test_counter_under_dynamodb_throttling_and_failures_never_double_counts(catalog, api_url, http, proxy):
    url = api_url(catalog["counter"]["url"]) + f"/counters/faults-{uuid.uuid4().hex[:8]}"
    with routed_through(proxy, [_function("counter-fn-")]):
        proxy.rules([server_error("dynamodb", "UpdateItem", times=3),  # certain faults first, then random ones
                     throttle("dynamodb", "UpdateItem", 0.3, "ProvisionedThroughputExceededException"),
                     server_error("dynamodb", "UpdateItem", 0.15), latency("dynamodb", "UpdateItem", 100, 0.2)])
        with ThreadPoolExecutor(max_workers=8) as pool:
            responses = list(pool.map(lambda _: http.post(url, timeout=60), range(12)))
        fired = proxy.fired()
    statuses = Counter(r.status_code for r in responses)
    print(f"counter: faults {describe(fired)}; answers {dict(statuses)}")
    assert fired[("dynamodb", "UpdateItem")] >= 3
    assert set(statuses) <= {200, 503}, statuses  # a fault is "retry later", never a 500 or a wrong answer
    values = sorted(r.json()["value"] for r in responses if r.status_code == 200)
    assert values == list(range(1, len(values) + 1))  # distinct, consecutive: each success counted once
    assert http.get(url, timeout=30).json()["value"] == len(values)  # and no refused call left a trace


def test_gap_free_sequence_under_transaction_faults_has_no_gap_and_no_duplicate(catalog, api_url, http, proxy):
    sequence = catalog["sequence"]
    name = f"invoice-faults-{uuid.uuid4().hex[:6]}"
    url = api_url(sequence["url"]) + f"/sequences/{name}/next"
    with routed_through(proxy, [_function("sequence-fn-")]):
        proxy.rules([throttle("dynamodb", "TransactWriteItems", times=2),
                     throttle("dynamodb", "TransactWriteItems", 0.4), server_error("dynamodb", "GetItem", 0.2),
                     latency("dynamodb", "TransactWriteItems", 100, 0.2)])
        with ThreadPoolExecutor(max_workers=8) as pool:
            responses = list(pool.map(
                lambda n: _until_answered(lambda: http.post(url, json={"item": {"pk": f"{name}-{n}"}}, timeout=60)),
                range(8)))
        fired = proxy.fired()
    statuses = Counter(r.status_code for r in responses)
    print(f"gap-free sequence: faults {describe(fired)}; answers {dict(statuses)}")
    assert fired[("dynamodb", "TransactWriteItems")] >= 2
    assert set(statuses) <= {200, 503}, statuses
    issued = sorted(r.json()["first"] for r in responses if r.status_code == 200)
    items = boto3.resource("dynamodb").Table(sequence["items_table_name"]).scan(
        FilterExpression=Attr("pk").begins_with(f"{name}-"), ConsistentRead=True)["Items"]
    stored = sorted(int(item["id"]) for item in items)
    assert issued == stored == list(range(1, len(stored) + 1))  # every number used once, none skipped


def test_webhook_deliveries_under_publish_and_store_faults_are_published_once(catalog, api_url, anonymous_http,
                                                                            proxy):
    ingress = catalog["webhook"]["ingress"]
    sender = Sender(ingress, api_url(ingress["url"]), anonymous_http)
    subscriber = Subscriber(catalog["webhook"]["subscriber"]["events_queue_url"])
    current_secret(ingress, "github")  # read before the faults: the test's own calls are not faulted
    with routed_through(proxy, [ingress["verifier_function_name"]]):
        proxy.rules([server_error("events", "PutEvents", code="InternalException", times=2),
                     server_error("events", "PutEvents", 0.4, "InternalException"),
                     throttle("dynamodb", "PutItem", 0.2, "ProvisionedThroughputExceededException"),
                     throttle("dynamodb", "UpdateItem", 0.2, "ProvisionedThroughputExceededException")])
        run = uuid.uuid4().hex  # bodies unique to this run: a delivery is also recognised by its signed body
        deliveries = [sender.delivery("github", {"n": n, "run": run}) for n in range(5)]
        with ThreadPoolExecutor(max_workers=6) as pool:
            answers = list(pool.map(lambda d: _until_answered(lambda: sender.post("github", d[0], d[1])),
                                    deliveries))
        fired = proxy.fired()
    print(f"webhook: faults {describe(fired)}; answers {Counter(r.status_code for r in answers)}")
    assert sum(fired.values()) >= 3
    assert all(r.status_code == 200 for r in answers), [r.text for r in answers if r.status_code != 200]
    for _, _, delivery_id in deliveries:
        assert len(subscriber.events(delivery_id, settle=0)) >= 1, delivery_id
    subscriber.events("", expect=0, timeout=0, settle=4)  # then wait for any late duplicate
    assert {d: len(subscriber.seen.get(d, [])) for _, _, d in deliveries} == {d: 1 for _, _, d in deliveries}


def test_scatter_gather_under_aggregator_and_state_machine_faults_counts_each_reply_once(catalog, api_url, http,
                                                                                     proxy):
    broker = catalog["scatter_gather"]["pubsub"]
    url = api_url(broker["url"]) + "/quotes"
    functions = [_function("quotes-pubsub-aggregator-"), _function("quotes-pubsub-api-")]
    with routed_through(proxy, functions):
        proxy.rules([throttle("stepfunctions", "StartExecution", times=1),
                     throttle("dynamodb", "UpdateItem", code="ProvisionedThroughputExceededException", times=3),
                     throttle("dynamodb", "UpdateItem", 0.2, "ProvisionedThroughputExceededException"),
                     throttle("stepfunctions", "StartExecution", 0.3),
                     latency("sqs", "SendMessage", 100, 0.3)])
        answers = [_until_answered(lambda: http.post(url, json={"amount": 2_000_000, "term": 12,
                                                              "deadlineSeconds": 20}, timeout=60))
                   for _ in range(2)]
        fired = proxy.fired()

        def complete(correlation_id: str) -> dict | None:
            view = http.get(f"{url}/{correlation_id}", timeout=30).json()
            return view if view["status"] == "complete" else None

        views = [wait_until(lambda a=a: complete(a.json()["correlationId"]), timeout=60, what="completion")
                 for a in answers]
        fired = proxy.fired() + fired
    print(f"scatter-gather: faults {describe(fired)}; answers {Counter(a.status_code for a in answers)}")
    assert all(a.status_code == 202 for a in answers)
    assert fired[("stepfunctions", "StartExecution")] >= 1 and fired[("dynamodb", "UpdateItem")] >= 3
    for view in views:
        replied = [q["providerId"] for q in view["result"]["quotes"]]
        assert len(replied) == len(set(replied)) == view["result"]["replyCount"]
        assert set(replied) | set(view["result"]["missing"]) == set(view["providers"])
    table = boto3.resource("dynamodb").Table(broker["aggregates_table_name"])
    ids = {a.json()["correlationId"] for a in answers}
    opened = [i for i in table.scan(ConsistentRead=True)["Items"] if i["correlationId"] in ids]
    assert len(opened) == len(answers)  # a refused request (503) left no aggregate behind


def test_priority_jobs_under_worker_store_faults_are_done_or_dead_lettered_never_lost(catalog, http, api_url,
                                                                                  proxy):
    levels = catalog["priority"]["levels"]
    jobs = boto3.resource("dynamodb").Table(levels["jobs_table_name"])
    marker = uuid.uuid4().hex
    with routed_through(proxy, [levels["worker_function_name"]]):
        proxy.rules([throttle("dynamodb", "GetItem", code="ProvisionedThroughputExceededException", times=3),
                     throttle("dynamodb", "GetItem", 0.3, "ProvisionedThroughputExceededException"),
                     throttle("dynamodb", "UpdateItem", 0.2, "ProvisionedThroughputExceededException"),
                     server_error("sqs", "ChangeMessageVisibility", 0.5)])
        ids = []
        for n in range(6):
            answer = http.post(api_url(levels["url"]) + "/jobs",
                               json={"priority": "high" if n % 3 else "low", "payload": {"n": n, "marker": marker}},
                               timeout=30)
            assert answer.status_code == 202, answer.text
            ids.append(answer.json()["id"])

        def settled() -> dict[str, Any] | None:
            records = {i: jobs.get_item(Key={"id": i}, ConsistentRead=True).get("Item") for i in ids}
            done = {i: r for i, r in records.items() if r and r.get("status") in ("succeeded", "failed")}
            return done if len(done) == len(ids) else None

        done = wait_until(settled, timeout=120, interval=2, what="every job to finish")
        fired = proxy.fired()
    print(f"priority: faults {describe(fired)}; outcomes {Counter(r['status'] for r in done.values())}")
    assert sum(fired.values()) >= 3
    # None lost: every job's success is recorded, once (the record is conditional), after its retries.
    assert all(r["status"] == "succeeded" for r in done.values()), json.dumps(
        {i: r.get("last_error") for i, r in done.items() if r["status"] != "succeeded"}, default=str)
    assert all(int(r["runs"]) == 1 for r in done.values())
