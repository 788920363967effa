"""Priority queues on SQS, driven from the outside: a high-priority job overtakes a large low
backlog; a poison job ends in its level's DLQ with its error recorded; one failing job in a batch
re-runs alone; bad input is refused with a message and enqueues nothing."""

from __future__ import annotations

import json
import time
from typing import Any

import boto3
import pytest

from functions.priority.client import PriorityQueueClient
from tests.e2e.priority.support import all_with_status, max_concurrent_batches
from tests.e2e.support import wait_until

WORK_MS = 50  # simulated work per job (example handler's test hook), so the backlog takes a while
LOW_JOBS = 600  # the high jobs must finish before the first fifth of these


@pytest.fixture(scope="module")
def pq(catalog, api_url) -> dict[str, Any]:
    outputs = catalog["priority"]["levels"]
    return {
        **outputs,
        "api": api_url(outputs["url"]),
        "client": PriorityQueueClient(outputs["level_queue_urls"]),
        "table": boto3.resource("dynamodb").Table(outputs["jobs_table_name"]),
    }


def queue_depth(queue_url: str) -> int:
    attributes = boto3.client("sqs").get_queue_attributes(
        QueueUrl=queue_url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible",
                        "ApproximateNumberOfMessagesDelayed"],
    )["Attributes"]
    return sum(int(v) for v in attributes.values())


def _wait_until_idle(pq) -> None:
    wait_until(lambda: all(queue_depth(url) == 0 for url in pq["level_queue_urls"].values()), timeout=240,
               what="the level queues to drain")


@pytest.fixture
def idle(pq) -> None:
    """Start from empty level queues, so the test sees only its own jobs."""
    _wait_until_idle(pq)


def test_a_job_posted_over_http_is_run_and_its_outcome_recorded(pq, http):
    response = http.post(f"{pq['api']}/jobs", json={"priority": "high", "payload": {"work_ms": 5}}, timeout=30)
    assert response.status_code == 202, response.text
    job_id = response.json()["id"]

    def outcome() -> dict | None:
        got = http.get(f"{pq['api']}/jobs/{job_id}", timeout=30)
        return got.json() if got.status_code == 200 and got.json()["status"] == "succeeded" else None

    record = wait_until(outcome, timeout=60, what="the job to succeed")
    assert record["priority"] == "high"
    assert record["runs"] == 1
    assert json.loads(record["result"]) == {"worked_ms": 5}
    assert record["enqueued_at"] <= record["started_at"] <= record["completed_at"]


@pytest.fixture(scope="module")
def backlog_run(pq) -> dict[str, Any]:
    """600 low jobs, then 20 high ones, all run to completion: the records of each, by level."""
    _wait_until_idle(pq)
    low = pq["client"].submit_many("low", [{"work_ms": WORK_MS, "n": n} for n in range(LOW_JOBS)])
    high = pq["client"].submit_many("high", [{"work_ms": WORK_MS, "n": n} for n in range(20)])
    done = wait_until(lambda: all_with_status(pq["table"], low + high, "succeeded"), timeout=300, interval=2,
                      what=f"all {LOW_JOBS + 20} jobs to succeed")
    return {"low": [done[i] for i in low], "high": [done[i] for i in high]}


def test_high_priority_jobs_overtake_a_backlog_of_low_ones(backlog_run):
    low_completions = sorted(r["completed_at"] for r in backlog_run["low"])
    last_high = max(r["completed_at"] for r in backlog_run["high"])
    low_before_last_high = sum(1 for t in low_completions if t <= last_high)
    print(f"low jobs completed before the last high one: {low_before_last_high} of {LOW_JOBS}")
    assert last_high < low_completions[LOW_JOBS // 5 - 1], f"{low_before_last_high} low jobs finished first"
    records = backlog_run["low"] + backlog_run["high"]
    assert all(r["runs"] == 1 and "duplicate_deliveries" not in r for r in records), "a job ran twice"


@pytest.mark.requires("sqs-esm-maximum-concurrency")
def test_the_low_backlog_ran_exactly_its_share_of_batches_at_once(backlog_run):
    """Never more low batches at once than the level's share (the mapping's MaximumConcurrency, 2),
    and all of it used."""
    assert max_concurrent_batches(backlog_run["low"]) == 2


def test_a_poison_job_ends_in_its_levels_dlq_with_its_error_recorded(pq, http):
    job_id = pq["client"].submit("high", {"fail": "poison pill"})
    sqs = boto3.client("sqs")

    def in_dlq() -> dict | None:
        messages = sqs.receive_message(QueueUrl=pq["level_dlq_urls"]["high"], MaxNumberOfMessages=10,
                                       WaitTimeSeconds=1).get("Messages", [])
        for message in messages:
            body = json.loads(message["Body"])
            if body["id"] == job_id:
                sqs.delete_message(QueueUrl=pq["level_dlq_urls"]["high"], ReceiptHandle=message["ReceiptHandle"])
                return body
            sqs.change_message_visibility(QueueUrl=pq["level_dlq_urls"]["high"], ReceiptHandle=message["ReceiptHandle"],
                                          VisibilityTimeout=0)
        return None

    dead = wait_until(in_dlq, timeout=90, interval=0.2, what="the poison job in the high DLQ")
    assert dead["payload"] == {"fail": "poison pill"}
    record = http.get(f"{pq['api']}/jobs/{job_id}", timeout=30).json()
    assert record["status"] == "failed"
    assert record["runs"] == record["attempts"] == 3  # the catalog's max_receive_count
    assert record["last_error"] == "JobFailed: poison pill"
    assert queue_depth(pq["level_queue_urls"]["high"]) == 0


def test_a_message_that_is_not_a_job_ends_in_the_dlq(pq):
    sqs = boto3.client("sqs")
    sqs.send_message(QueueUrl=pq["level_queue_urls"]["low"], MessageBody="not a job")

    def in_dlq() -> bool:
        messages = sqs.receive_message(QueueUrl=pq["level_dlq_urls"]["low"], MaxNumberOfMessages=10,
                                       WaitTimeSeconds=1).get("Messages", [])
        return any(m["Body"] == "not a job" for m in messages)

    wait_until(in_dlq, timeout=90, interval=0.2, what="the malformed message in the low DLQ")


def test_a_failing_job_reruns_alone_not_its_batch_neighbours(pq, idle):
    payloads = [{"n": n} for n in range(9)] + [{"fail_attempts": 1}]
    ids = pq["client"].submit_many("high", payloads)  # one SendMessageBatch: one ESM batch
    flaky, neighbours = ids[-1], ids[:-1]

    done = wait_until(lambda: all_with_status(pq["table"], ids, "succeeded"), timeout=60,
                      what="the batch to succeed")

    assert done[flaky]["runs"] == 2 and done[flaky]["attempts"] == 2
    failed_batch = done[flaky]["failed_runs"][0]
    shared = [i for i in neighbours if done[i]["request_id"] == failed_batch]
    assert shared, "the failing job's first run shared its batch with no other job"
    for job_id in neighbours:
        assert done[job_id]["runs"] == 1 and done[job_id]["attempts"] == 1, f"neighbour {job_id} ran again"
        assert "duplicate_deliveries" not in done[job_id]


BAD_JOBS = [
    ({"priority": "urgent", "payload": {}}, 'unknown priority "urgent": use one of high, low'),
    ({"priority": 1, "payload": {}}, "unknown priority 1"),
    ({"payload": {"a": 1}}, "'priority' is required"),
    ({"priority": "high"}, "'payload' is required"),
    ({"priority": "high", "payload": [1, 2]}, "'payload' must be a JSON object"),
    ({"priority": "high", "payload": {"blob": "x" * 17000}}, "the maximum is 16384"),
    ({"priority": "high", "payload": {}, "delay": 5}, "unknown field(s) delay"),
    ("{not json", "not valid JSON"),
    ("", "body is empty"),
]


@pytest.mark.parametrize(("body", "message"), BAD_JOBS)
def test_bad_input_is_refused_with_a_message(pq, http, body, message):
    response = http.post(f"{pq['api']}/jobs", data=body if isinstance(body, str) else json.dumps(body), timeout=30)
    assert response.status_code == 400, response.text
    assert message in response.json()["message"]


def test_bad_input_enqueues_nothing(pq, http, idle):
    records_before = pq["table"].scan(Select="COUNT", ConsistentRead=True)["Count"]
    for body, _ in BAD_JOBS:
        response = http.post(f"{pq['api']}/jobs", data=body if isinstance(body, str) else json.dumps(body), timeout=30)
        assert response.status_code == 400, response.text
    # Had anything been enqueued, the worker would have run it and recorded it (it drains a queue in well
    # under 5 s): once the queues are idle again, no new record means no job.
    time.sleep(5)
    _wait_until_idle(pq)
    assert pq["table"].scan(Select="COUNT", ConsistentRead=True)["Count"] == records_before


def test_job_records_are_read_by_id(pq, http):
    assert http.get(f"{pq['api']}/jobs/no-such-job", timeout=30).status_code == 404
    refused = http.get(f"{pq['api']}/jobs/-bad-id", timeout=30)
    assert refused.status_code == 400 and "invalid job id" in refused.json()["message"]

