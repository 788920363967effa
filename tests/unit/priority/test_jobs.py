"""Pure logic of the priority queues: job validation, messages, update expressions, the queue's
sort key, the example handler's test hooks, and the SQS client's batching."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from functions.common.user_code import describe_error
from functions.common.validation import InvalidInput
from functions.priority.client import PriorityQueueClient
from functions.priority.dynamo_queue import DynamoJobQueue, Outcome, plain, queue_key
from functions.priority.jobs import Job, job_request_from_body, load_handler, parse_levels, validate_job
from functions.priority.records import is_condition_failure, update_kwargs
from tests.e2e.priority import catalog_jobs as example_jobs

LEVELS = ["high", "low"]


@pytest.mark.parametrize(
    ("priority", "payload", "message"),
    [
        ("urgent", {}, 'unknown priority "urgent": use one of high, low'),
        (None, {}, "'priority' is required"),
        (["high"], {}, "unknown priority"),
        ("high", None, "'payload' is required"),
        ("high", "text", "'payload' must be a JSON object, got str"),
        ("high", {"x": "y" * 100}, "'payload' is 108 bytes; the maximum is 64"),
    ],
)
def test_bad_jobs_are_refused_with_a_message(priority, payload, message):
    with pytest.raises(InvalidInput) as refused:
        validate_job(priority, payload, LEVELS, max_payload_bytes=64)
    assert message in str(refused.value)


def test_a_valid_job_gets_a_fresh_id():
    first, second = (validate_job("low", {"a": 1}, LEVELS) for _ in range(2))
    assert first.priority == "low" and first.payload == {"a": 1}
    assert first.id != second.id and len(first.id) == 32


def test_a_request_body_may_hold_only_priority_and_payload():
    with pytest.raises(InvalidInput, match=r"unknown field\(s\) id, when"):
        job_request_from_body({"priority": "high", "payload": {}, "when": 1, "id": "x"}, LEVELS, 100)
    assert job_request_from_body({"priority": "high", "payload": {}}, LEVELS, 100).priority == "high"


def test_a_job_survives_its_message_round_trip():
    job = Job("abc", "high", {"n": 1.5, "s": "é"}, 1700000000000)
    assert Job.from_message(job.to_message(), attempt=3) == Job("abc", "high", {"n": 1.5, "s": "é"},
                                                                1700000000000, 3)


def test_levels_and_handlers_are_read_from_configuration():
    assert parse_levels(" high, normal ,low,") == ["high", "normal", "low"]
    with pytest.raises(ValueError):
        parse_levels(" , ")
    assert load_handler("tests.e2e.priority.catalog_jobs.run") is example_jobs.run
    with pytest.raises(ValueError, match="module.function"):
        load_handler("run")
    with pytest.raises(ValueError, match="not a callable"):
        load_handler("tests.e2e.priority.catalog_jobs.MAX_WORK_MS")


def test_errors_are_described_briefly():
    assert describe_error(ValueError("bad")) == "ValueError: bad"
    assert len(describe_error(ValueError("x" * 5000), limit=100)) == 100


def test_update_expressions_put_every_name_behind_a_placeholder():
    kwargs = update_kwargs(
        {"id": "j"}, set_values={"status": "done", "result": "1"}, add={"runs": 1}, remove=["lease"],
        append={"failed_runs": ["r1"]}, condition="#status <> :done", condition_names=["status"],
        condition_values={":done": "done"},
    )
    assert kwargs["UpdateExpression"] == (
        "SET #status = :set_status, #result = :set_result, "
        "#failed_runs = list_append(if_not_exists(#failed_runs, :empty_list), :append_failed_runs) "
        "ADD #runs :add_runs REMOVE #lease"
    )
    assert kwargs["ExpressionAttributeNames"] == {
        f"#{n}": n for n in ("status", "result", "failed_runs", "runs", "lease")}
    assert kwargs["ExpressionAttributeValues"][":append_failed_runs"] == ["r1"]
    assert kwargs["ConditionExpression"] == "#status <> :done"
    with pytest.raises(ValueError):
        update_kwargs({"id": "j"})


def test_condition_failures_are_recognised():
    class ClientError(Exception):
        response = {"Error": {"Code": "ConditionalCheckFailedException"}}

    assert is_condition_failure(ClientError())
    assert not is_condition_failure(ValueError())


@given(st.lists(st.tuples(st.integers(0, 998), st.integers(0, 10**13), st.text("0123456789abcdef", min_size=1,
                                                                                 max_size=32)), min_size=2))
def test_the_queue_key_sorts_by_priority_then_age(entries):
    by_key = sorted(entries, key=lambda e: queue_key(*e))
    assert [(r, c) for r, c, _ in by_key] == sorted((r, c) for r, c, _ in entries)


def test_items_read_back_are_plain_json():
    assert plain({"a": Decimal("3"), "b": [Decimal("1.5")], "c": "x"}) == {"a": 3, "b": [1.5], "c": "x"}


class ScriptedQueue(DynamoJobQueue):
    """``process_one`` answers from a script, to test when ``drain`` stops."""

    def __init__(self, outcomes: int, lease_seconds: float = 1):
        super().__init__(table=None, levels=LEVELS, lease_seconds=lease_seconds)
        self.left = outcomes

    def process_one(self, handler):  # noqa: ARG002
        if not self.left:
            return None
        self.left -= 1
        return Outcome(Job(str(self.left), "high", {}, 0, 1), "succeeded")


def test_drain_stops_when_the_queue_is_empty_or_the_quota_is_reached():
    assert len(ScriptedQueue(3).drain(example_jobs.run)) == 3
    assert len(ScriptedQueue(10).drain(example_jobs.run, max_jobs=4)) == 4


def test_drain_stops_when_another_lease_would_not_fit_in_the_time_left():
    clock = iter([10_000, 4_000, 2_500])
    assert len(ScriptedQueue(10, lease_seconds=1).drain(example_jobs.run, remaining_ms=lambda: next(clock))) == 2


def test_example_job_hooks(monkeypatch):
    job = Job("j", "high", {}, 0, attempt=2)
    assert example_jobs.run(job) == {"worked_ms": 0}
    with pytest.raises(example_jobs.JobFailed, match="boom"):
        example_jobs.run(Job("j", "high", {"fail": "boom"}, 0))
    with pytest.raises(example_jobs.JobFailed, match="attempt 2"):
        example_jobs.run(Job("j", "high", {"fail_attempts": 2}, 0, attempt=2))
    assert example_jobs.run(Job("j", "high", {"fail_attempts": 2}, 0, attempt=3)) == {"worked_ms": 0}
    slept = []
    monkeypatch.setattr(example_jobs.time, "sleep", slept.append)
    assert example_jobs.run(Job("j", "high", {"work_ms": 10**9}, 0)) == {"worked_ms": 10_000}
    assert slept == [10.0]
    exits = []
    monkeypatch.setattr(example_jobs.os, "_exit", exits.append)
    example_jobs.run(Job("j", "high", {"crash_attempts": 1}, 0, attempt=1))
    assert exits == [17]


class FakeSQS:
    def __init__(self, fail_first: set[str] | None = None):
        self.sent: list[tuple[str, list[dict]]] = []
        self.fail_first = set(fail_first or ())

    def send_message(self, QueueUrl: str, MessageBody: str) -> dict:  # noqa: N803  (boto3's names)
        self.sent.append((QueueUrl, [json.loads(MessageBody)]))
        return {}

    def send_message_batch(self, QueueUrl: str, Entries: list[dict]) -> dict:  # noqa: N803
        failed = [e for e in Entries if e["Id"] in self.fail_first]
        self.fail_first -= {e["Id"] for e in failed}
        self.sent.append((QueueUrl, [json.loads(e["MessageBody"]) for e in Entries if e not in failed]))
        return {"Failed": [{"Id": e["Id"]} for e in failed]}


def test_the_client_sends_a_job_to_its_levels_queue():
    sqs = FakeSQS()
    client = PriorityQueueClient({"high": "q-high", "low": "q-low"}, sqs=sqs)
    job_id = client.submit("low", {"a": 1})
    assert sqs.sent[0][0] == "q-low"
    assert sqs.sent[0][1][0]["id"] == job_id and sqs.sent[0][1][0]["payload"] == {"a": 1}


def test_the_client_sends_in_tens_and_resends_what_failed():
    sqs = FakeSQS(fail_first={"3"})
    client = PriorityQueueClient({"high": "q-high"}, sqs=sqs)
    ids = client.submit_many("high", [{"n": n} for n in range(25)])
    assert [len(batch) for _, batch in sqs.sent] == [9, 1, 10, 5]
    assert sorted(m["id"] for _, batch in sqs.sent for m in batch) == sorted(ids)


def test_the_client_refuses_bad_input_and_sends_nothing():
    sqs = FakeSQS()
    client = PriorityQueueClient({"high": "q-high"}, sqs=sqs, max_payload_bytes=50)
    with pytest.raises(InvalidInput, match="unknown priority"):
        client.submit("urgent", {})
    with pytest.raises(InvalidInput, match="maximum is 50"):
        client.submit_many("high", [{"n": 1}, {"blob": "x" * 100}])
    assert sqs.sent == []


def test_the_default_job_code_is_harmless():
    from functions.priority.config import DEFAULT_JOB_HANDLER
    from functions.priority.jobs import acknowledge

    assert load_handler(DEFAULT_JOB_HANDLER) is acknowledge
    hostile = Job("j", "high", {"crash_attempts": 5, "work_ms": 10**9, "fail": "x"}, 0)
    assert acknowledge(hostile) == {"acknowledged": "j", "payload_fields": ["crash_attempts", "fail", "work_ms"]}
