"""The strictly ordered DynamoDB priority queue, driven from the outside: jobs come out by priority
then age; four concurrent workers process 500 jobs each exactly once; a job whose worker dies
mid-lease is processed after the lease expires; failing jobs are parked with their last error;
bad input is refused and writes nothing."""

from __future__ import annotations

import json
import random
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import boto3
import pytest
from botocore.config import Config

from functions.priority.dynamo_queue import QUEUED, STATUS_INDEX, DynamoJobQueue
from functions.priority.jobs import validate_job
from tests.e2e.priority.support import all_with_status, records
from tests.e2e.support import wait_until

LEVELS = ["high", "low"]
LEASE_SECONDS = 5  # the catalog's lease


@pytest.fixture(scope="module")
def dq(catalog, api_url) -> dict[str, Any]:
    outputs = catalog["priority"]["dynamo"]
    table = boto3.resource("dynamodb").Table(outputs["jobs_table_name"])
    return {
        **outputs,
        "api": api_url(outputs["url"]),
        "table": table,
        "queue": DynamoJobQueue(table, LEVELS),  # used here only to enqueue in bulk
        "lambda": boto3.client("lambda", config=Config(read_timeout=90, retries={"mode": "standard",
                                                                                 "max_attempts": 20})),
    }


def queued_count(table: Any) -> int:
    query = {"IndexName": STATUS_INDEX, "KeyConditionExpression": "#s = :q",
             "ExpressionAttributeNames": {"#s": "status"}, "ExpressionAttributeValues": {":q": QUEUED},
             "Select": "COUNT"}
    return table.query(**query)["Count"]


@pytest.fixture
def empty(dq) -> None:
    wait_until(lambda: queued_count(dq["table"]) == 0, timeout=60, what="the DynamoDB queue to empty")


def run_worker(dq: dict[str, Any], max_jobs: int = 100, crash: bool = False) -> list[dict[str, Any]]:
    """One worker invocation; the jobs it processed, in the order it took them. ``crash``: the
    invocation must end in a function error (its process died)."""
    response = dq["lambda"].invoke(FunctionName=dq["worker_function_name"], Payload=json.dumps({"max_jobs": max_jobs}))
    payload = json.loads(response["Payload"].read() or b"null")
    assert ("FunctionError" in response) == crash, f"worker answered {payload}"
    return [] if crash else payload["processed"]


def post_job(dq: dict[str, Any], http, priority: str, payload: dict) -> str:
    response = http.post(f"{dq['api']}/jobs", json={"priority": priority, "payload": payload}, timeout=30)
    assert response.status_code == 202, response.text
    return response.json()["id"]


def test_jobs_come_out_by_priority_then_age(dq, http, empty):
    first_low = post_job(dq, http, "low", {"n": 1})
    second_low = post_job(dq, http, "low", {"n": 2})
    high = post_job(dq, http, "high", {"n": 3})

    processed = run_worker(dq, max_jobs=3)

    assert [p["id"] for p in processed] == [high, first_low, second_low]
    assert all(p["status"] == "succeeded" and p["attempt"] == 1 for p in processed)
    record = http.get(f"{dq['api']}/jobs/{high}", timeout=30).json()
    assert record["status"] == "succeeded" and record["payload"] == {"n": 3} and "lease_token" not in record


def test_four_concurrent_workers_process_500_jobs_each_exactly_once_in_order(dq, empty):
    rng = random.Random(4)
    requests = [validate_job(rng.choice(LEVELS), {"n": n}, LEVELS) for n in range(500)]
    jobs = dq["queue"].enqueue_many(requests)
    ids = [job.id for job in jobs]

    def worker(_: int) -> list[list[dict[str, Any]]]:
        invocations = []
        while processed := run_worker(dq, max_jobs=40):
            invocations.append(processed)
        return invocations

    with ThreadPoolExecutor(max_workers=4) as pool:
        per_worker = list(pool.map(worker, range(4)))

    done = wait_until(lambda: all_with_status(dq["table"], ids, "succeeded"), timeout=60,
                      what="all 500 jobs to succeed")
    assert all(record["attempts"] == 1 for record in done.values()), "a job was claimed twice"
    taken = Counter(p["id"] for invocations in per_worker for batch in invocations for p in batch)
    assert not [i for i, n in taken.items() if n > 1], "a job was processed by two workers"
    assert len({r["claimed_by"] for r in done.values()}) >= 2, "the workers did not run concurrently"
    for invocations in per_worker:
        for batch in invocations:  # each worker takes jobs in priority-then-age order
            keys = [done[p["id"]]["queue_key"] for p in batch if p["id"] in done]
            assert keys == sorted(keys)


def test_a_job_whose_worker_dies_mid_lease_is_processed_after_the_lease_expires(dq, http, empty):
    job_id = post_job(dq, http, "high", {"crash_attempts": 1})

    run_worker(dq, max_jobs=1, crash=True)  # the worker process dies holding the lease
    leased = records(dq["table"], [job_id])[job_id]
    assert leased["status"] == "queued" and leased["attempts"] == 1
    assert leased["lease_expires_at"] > int(time.time() * 1000)
    assert job_id not in [p["id"] for p in run_worker(dq)], "a leased job was handed to another worker"

    time.sleep(max(0.0, leased["lease_expires_at"] / 1000 - time.time()) + 0.2)

    def processed_again() -> dict | None:
        run_worker(dq)
        record = records(dq["table"], [job_id])[job_id]
        return record if record["status"] == "succeeded" else None

    record = wait_until(processed_again, timeout=30, what="the job to be processed after its lease expired")
    assert record["attempts"] == 2
    assert record["claimed_at"] >= leased["lease_expires_at"]


def test_a_job_that_always_fails_is_parked_with_its_last_error(dq, http, empty):
    job_id = post_job(dq, http, "low", {"fail": "always broken"})

    def parked() -> dict | None:
        run_worker(dq)
        record = records(dq["table"], [job_id])[job_id]
        return record if record["status"] == "failed" else None

    record = wait_until(parked, timeout=60, what="the job to be parked")
    assert record["attempts"] == 3  # the catalog's max_attempts
    assert record["last_error"] == "JobFailed: always broken"
    assert "lease_token" not in record and "lease_expires_at" not in record
    run_worker(dq)
    assert records(dq["table"], [job_id])[job_id]["attempts"] == 3, "a parked job was claimed again"


def test_a_job_whose_leases_keep_expiring_is_parked_when_attempts_run_out(dq, empty):
    # The test process plays two workers that die; the worker dies too if it ever takes this job.
    queue = DynamoJobQueue(dq["table"], LEVELS, lease_seconds=0.3, max_attempts=2)
    job = queue.enqueue(validate_job("high", {"crash_attempts": 99}, LEVELS))
    for _ in range(2):
        claim = wait_until(queue.claim, timeout=LEASE_SECONDS * 3, interval=0.1, what="a claim")
        assert claim.job.id == job.id

    def parked() -> dict | None:
        queue.claim()  # finds the job's last lease expired: parks it instead of handing it out
        record = records(dq["table"], [job.id])[job.id]
        return record if record["status"] == "failed" else None

    record = wait_until(parked, timeout=LEASE_SECONDS * 3, interval=0.2, what="the job to be parked")
    assert "lease expired during attempt" in record["last_error"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"priority": "urgent", "payload": {}}, "unknown priority"),
        ({"priority": "high"}, "'payload' is required"),
        ({"priority": "high", "payload": {"blob": "x" * 17000}}, "the maximum is 16384"),
    ],
)
def test_bad_input_is_refused_and_writes_nothing(dq, http, body, message):
    before = dq["table"].scan(Select="COUNT")["Count"]

    response = http.post(f"{dq['api']}/jobs", json=body, timeout=30)

    assert response.status_code == 400 and message in response.json()["message"]
    assert dq["table"].scan(Select="COUNT")["Count"] == before
