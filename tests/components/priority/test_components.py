"""The priority-queue components under Pulumi mocks: resources, wiring, concurrency shares and
least-privilege IAM, which the emulator cannot check (it does not enforce IAM)."""

from __future__ import annotations

import json

import pytest

from components.core.function import function_name
from components.priority import (
    DynamoPriorityQueue,
    DynamoPriorityQueueArgs,
    JobCode,
    PriorityLevel,
    PriorityQueues,
    PriorityQueuesArgs,
)
from functions.priority.config import PriorityConfig
from tests.components.harness import handoff_of, run_under_mocks


def policy_of(mocks, function_name: str) -> list[dict]:
    return json.loads(mocks.named(f"{function_name}-policy").inputs["policy"])["Statement"]


def config_of(mocks, function_name: str) -> PriorityConfig:
    return handoff_of(mocks, function_name, PriorityConfig)


@pytest.fixture(scope="module")
def sqs_variant():
    def program():
        queues = PriorityQueues("pq", PriorityQueuesArgs(
            levels=[PriorityLevel("urgent", 6), PriorityLevel("normal", 3), PriorityLevel("bulk", 2)],
            max_receive_count=4, worker_timeout=20,
            job=JobCode(handler="my_jobs.handle", layers=["arn:aws:lambda:us-east-1:1:layer:jobs:1"],
                        statements=[{"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": ["arn:aws:s3:::b/*"]}]),
        ))
        return queues.outputs

    return run_under_mocks(program)


def test_each_level_has_its_queue_and_dlq_with_the_redrive_policy(sqs_variant):
    for level in ("urgent", "normal", "bulk"):
        queue = sqs_variant.named(f"pq-{level}").inputs
        assert sqs_variant.named(f"pq-{level}-dlq").inputs["messageRetentionSeconds"] == 14 * 24 * 3600
        redrive = json.loads(queue["redrivePolicy"])
        assert redrive == {"deadLetterTargetArn": f"arn:aws:sqs:us-east-1:123456789012:pq-{level}-dlq",
                           "maxReceiveCount": 4}
        assert queue["visibilityTimeoutSeconds"] == 6 * 20


def test_the_worker_serves_every_level_with_its_share_and_reports_partial_failures(sqs_variant):
    mappings = {m.name: m.inputs for m in sqs_variant.of_type("aws:lambda/eventSourceMapping:EventSourceMapping")}
    assert {name: m["scalingConfig"]["maximumConcurrency"] for name, m in mappings.items()} == {
        "pq-urgent-mapping": 6, "pq-normal-mapping": 3, "pq-bulk-mapping": 2}
    for name, mapping in mappings.items():
        level = name.removeprefix("pq-").removesuffix("-mapping")
        assert mapping["eventSourceArn"].endswith(f":pq-{level}")
        assert mapping["functionName"].endswith(f":function:{function_name('pq-worker')}")
        assert mapping["functionResponseTypes"] == ["ReportBatchItemFailures"]
    worker = sqs_variant.named("pq-worker").inputs
    assert worker["reservedConcurrentExecutions"] == 6 + 3 + 2  # the shares never throttle one another
    assert worker["handler"] == "functions.priority.worker.handler"
    assert "arn:aws:lambda:us-east-1:1:layer:jobs:1" in worker["layers"]
    config = config_of(sqs_variant, "pq-worker")
    assert config.job_handler == "my_jobs.handle" and config.max_receive_count == 4
    assert config.levels == ("urgent", "normal", "bulk") and config.backend == "sqs"
    assert config.queue_urls_by_arn == {
        f"arn:aws:sqs:us-east-1:123456789012:pq-{level}": f"https://sqs.us-east-1.amazonaws.com/123456789012/pq-{level}"
        for level in ("urgent", "normal", "bulk")}


def test_the_worker_may_only_consume_the_level_queues_and_write_outcomes(sqs_variant):
    statements = policy_of(sqs_variant, "pq-worker")
    queues = [f"arn:aws:sqs:us-east-1:123456789012:pq-{level}" for level in ("urgent", "normal", "bulk")]
    table = "arn:aws:dynamodb:us-east-1:123456789012:table/pq-jobs"
    assert statements[1:] == [
        {"Effect": "Allow", "Action": ["sqs:ChangeMessageVisibility", "sqs:DeleteMessage", "sqs:GetQueueAttributes",
                                       "sqs:ReceiveMessage"], "Resource": queues},
        {"Effect": "Allow", "Action": ["dynamodb:GetItem", "dynamodb:UpdateItem"], "Resource": [table]},
        {"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": ["arn:aws:s3:::b/*"]},
    ]
    assert statements[0]["Action"] == ["logs:CreateLogStream", "logs:PutLogEvents"]


def test_the_producer_may_only_send_to_the_level_queues_and_read_outcomes(sqs_variant):
    statements = policy_of(sqs_variant, "pq-api-fn")
    queues = [f"arn:aws:sqs:us-east-1:123456789012:pq-{level}" for level in ("urgent", "normal", "bulk")]
    assert statements[1:] == [
        {"Effect": "Allow", "Action": ["sqs:SendMessage"], "Resource": queues},
        {"Effect": "Allow", "Action": ["dynamodb:GetItem"],
         "Resource": ["arn:aws:dynamodb:us-east-1:123456789012:table/pq-jobs"]},
    ]
    assert config_of(sqs_variant, "pq-api-fn").queue_urls == {
        level: f"https://sqs.us-east-1.amazonaws.com/123456789012/pq-{level}" for level in ("urgent", "normal", "bulk")}
    assert sorted(m.inputs["httpMethod"] for m in sqs_variant.of_type("aws:apigateway/method:Method")) == [
        "GET", "POST"]


@pytest.fixture(scope="module")
def dynamo_variant():
    return run_under_mocks(lambda: DynamoPriorityQueue("dq", DynamoPriorityQueueArgs(levels=["p0", "p1", "p2"],
                                                                                   max_workers=5)).url)


def test_the_queue_table_orders_queued_jobs_by_status_then_priority_and_age(dynamo_variant):
    table = dynamo_variant.named("dq-jobs").inputs
    assert table["hashKey"] == "id"
    index = table["globalSecondaryIndexes"][0]
    assert index["name"] == "by-status"
    assert [(k["attributeName"], k["keyType"]) for k in index["keySchemas"]] == [
        ("status", "HASH"), ("queue_key", "RANGE")]
    assert index["projectionType"] == "INCLUDE"
    assert sorted(index["nonKeyAttributes"]) == ["attempts", "lease_expires_at"]


def test_the_dynamo_worker_may_only_query_the_index_and_update_jobs(dynamo_variant):
    table = "arn:aws:dynamodb:us-east-1:123456789012:table/dq-jobs"
    assert policy_of(dynamo_variant, "dq-worker")[1:] == [
        {"Effect": "Allow", "Action": ["dynamodb:Query"], "Resource": [f"{table}/index/by-status"]},
        {"Effect": "Allow", "Action": ["dynamodb:UpdateItem"], "Resource": [table]},
    ]
    assert policy_of(dynamo_variant, "dq-api-fn")[1:] == [
        {"Effect": "Allow", "Action": ["dynamodb:GetItem", "dynamodb:PutItem"], "Resource": [table]}]
    worker = dynamo_variant.named("dq-worker").inputs
    assert worker["reservedConcurrentExecutions"] == 5
    config = config_of(dynamo_variant, "dq-worker")
    assert (config.backend, config.lease_seconds, config.levels) == ("dynamodb", 60, ("p0", "p1", "p2"))


def test_the_schedule_starts_a_worker_and_only_that_rule_may_invoke_it(dynamo_variant):
    rule = dynamo_variant.named("dq-tick").inputs
    assert rule["scheduleExpression"] == "rate(1 minute)"
    permission = dynamo_variant.named("dq-tick-permission").inputs
    assert permission["principal"] == "events.amazonaws.com"
    assert permission["sourceArn"] == "arn:aws:events:us-east-1:123456789012:rule/dq-tick"
    target = dynamo_variant.named("dq-tick-target").inputs
    assert target["arn"].endswith(f":function:{function_name('dq-worker')}")
    assert json.loads(target["input"]) == {"max_jobs": 100}


def test_without_a_schedule_no_rule_is_created():
    mocks = run_under_mocks(lambda: DynamoPriorityQueue("quiet", DynamoPriorityQueueArgs(schedule=None)).url)
    assert not mocks.of_type("aws:cloudwatch/eventRule:EventRule")
    principals = {p.inputs["principal"] for p in mocks.of_type("aws:lambda/permission:Permission")}
    assert principals == {"apigateway.amazonaws.com"}


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: PriorityQueuesArgs(levels=[]), r"PriorityQueuesArgs\.levels must hold at least one"),
        (lambda: PriorityQueuesArgs(levels=[PriorityLevel("a", 2), PriorityLevel("a", 2)]), "levels must be unique"),
        (lambda: PriorityQueuesArgs(levels=[PriorityLevel("a", 1)]), "max_concurrency in 2..1000"),
        (lambda: PriorityQueuesArgs(levels=[PriorityLevel("bad name", 2)]), "invalid priority level"),
        (lambda: PriorityQueuesArgs(batch_size=11), r"PriorityQueuesArgs\.batch_size"),
        (lambda: PriorityQueuesArgs(max_receive_count=0), r"PriorityQueuesArgs\.max_receive_count"),
        (lambda: PriorityQueuesArgs(worker_timeout=30, visibility_timeout=10), "visibility_timeout"),
        (lambda: DynamoPriorityQueueArgs(lease_seconds=60, worker_timeout=60), "must exceed lease_seconds"),
        (lambda: DynamoPriorityQueueArgs(max_attempts=0), r"DynamoPriorityQueueArgs\.max_attempts"),
        (lambda: DynamoPriorityQueueArgs(levels=["high", "high"]), "unique"),
    ],
)
def test_invalid_settings_are_refused_before_anything_is_created(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_a_job_handler_must_name_a_module_and_function():
    with pytest.raises(ValueError, match="module.function"):
        JobCode(handler="handle")
