"""Inbound regulation: a burst of requests all accepted (202), the downstream never sees more than N
calls at once (it records its peak in a table), each request reaches it once, a poison one ends in the DLQ."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import boto3
import pytest
import requests

from localcloud.http import SigV4
from tests.e2e.rate_limit.support import call
from tests.e2e.support import wait_until

BURST = 200  # the 1,000-request burst is in benchmarks/rate_limit.py
MAX_CONCURRENCY = 2  # the catalog's RequestBufferArgs.max_concurrency


@pytest.fixture(scope="module")
def buffer(rate_limit, api_url, cloud_target):
    session = requests.Session()
    session.auth = SigV4(cloud_target.region)
    session.mount("http://", requests.adapters.HTTPAdapter(pool_maxsize=16))
    return api_url(rate_limit["buffer"]["url"]), session, rate_limit


def _observed(table: str, key: str) -> int:
    item = boto3.client("dynamodb").get_item(TableName=table, Key={"id": {"S": key}}, ConsistentRead=True).get("Item")
    return int(item["n"]["N"]) if item else 0


def test_a_burst_is_accepted_and_reaches_the_downstream_at_most_n_at_a_time_once_each(buffer):
    url, session, outputs = buffer
    # 4 callers: with the buffer's 2 workers, within the emulator's 8 concurrent Lambdas (a throttled worker
    # batch would wait out its visibility timeout)
    with ThreadPoolExecutor(max_workers=4) as pool:
        responses = list(pool.map(lambda i: call(session, "POST", url + "/requests",
                                                 json={"payload": {"n": i, "work_ms": 5}}), range(BURST)))
    assert [r.status_code for r in responses] == [202] * BURST
    ids = [r.json()["requestId"] for r in responses]
    assert len(set(ids)) == BURST

    table = boto3.resource("dynamodb").Table(outputs["buffer"]["status_table_name"])

    def all_done() -> bool:
        done = table.scan(FilterExpression="#s = :done", ExpressionAttributeNames={"#s": "status"},
                          ExpressionAttributeValues={":done": "done"}, ProjectionExpression="id", ConsistentRead=True)
        return set(ids) <= {item["id"] for item in done["Items"]}

    wait_until(all_done, timeout=180, interval=1, what=f"{BURST} buffered requests done")
    observations = outputs["observations_table_name"]
    peak = _observed(observations, "peak")
    print(f"buffer: downstream peak concurrency {peak} (cap {MAX_CONCURRENCY})")
    assert 1 <= peak <= MAX_CONCURRENCY
    assert [_observed(observations, f"calls#{i}") for i in ids] == [1] * BURST
    status = call(session, "GET", url + f"/requests/{ids[0]}").json()
    assert status["status"] == "done" and 1 <= status["result"]["calls_in_flight_seen"] <= MAX_CONCURRENCY


def test_a_poison_request_fails_and_is_parked_in_the_dlq(buffer):
    url, session, outputs = buffer
    accepted = call(session, "POST", url + "/requests", json={"payload": {"fail": "downstream says no"}})
    assert accepted.status_code == 202
    request_id = accepted.json()["requestId"]
    sqs = boto3.client("sqs")
    dlq = outputs["buffer"]["requests_dlq_url"]

    def parked() -> bool:
        for message in sqs.receive_message(QueueUrl=dlq, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", []):
            if json.loads(message["Body"])["id"] == request_id:
                return True
        return False

    wait_until(parked, timeout=30, interval=0.2, what="the poison request in the DLQ")
    status = call(session, "GET", url + f"/requests/{request_id}").json()
    assert status["status"] == "failed" and "downstream says no" in status["error"] and status["attempts"] == 2


@pytest.mark.parametrize(("body", "message"), [
    ("{not json", "not valid JSON"), ('{"payload": 3}', "must be a JSON object"),
    ('{"payload": {}, "extra": 1}', "unknown field"), ("", "body is empty")])
def test_bad_input_is_refused_and_nothing_is_queued(buffer, body, message):
    url, session, _ = buffer
    response = call(session, "POST", url + "/requests", data=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 400 and message in response.json()["message"]
    unknown = call(session, "GET", url + "/requests/not-an-id")
    assert unknown.status_code == 400
    missing = call(session, "GET", url + "/requests/" + "0" * 32)
    assert missing.status_code == 404
