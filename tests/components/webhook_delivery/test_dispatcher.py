"""``WebhookDispatcher`` under Pulumi mocks: its bus rule, queues and DLQs, workers reading in batches
with partial failures, each function's least privilege, and the configuration they receive."""

from __future__ import annotations

import json

import pytest

from components.webhook_delivery import SVIX_SCHEDULE, WebhookDispatcher, WebhookDispatcherArgs
from functions.webhook_delivery.config import DispatcherConfig
from tests.components.harness import handoff_of, run_under_mocks

QUEUES = "arn:aws:sqs:us-east-1:123456789012"
TABLE = "arn:aws:dynamodb:us-east-1:123456789012:table"


@pytest.fixture(scope="module")
def deployed():
    return run_under_mocks(lambda: WebhookDispatcher("wh", WebhookDispatcherArgs(
        event_types=["invoice.paid", "ping"], event_sources=["billing"], request_timeout=5)).outputs)


def _actions(deployed, function: str) -> dict[str, set[str]]:
    """Resource -> the actions the function's role allows on it (logs left out)."""
    granted: dict[str, set[str]] = {}
    for statement in json.loads(deployed.named(f"wh-{function}-policy").inputs["policy"])["Statement"]:
        for resource in statement["Resource"]:
            if ":logs:" not in resource:
                granted.setdefault(resource, set()).update(statement["Action"])
    return granted


def test_the_defaults_are_svix_schedule_https_only_and_no_private_network():
    config = DispatcherConfig(endpoints_table="e", messages_table="m", delivery_queue_url="q", dlq_url="d",
                              event_types=["a"])
    args = WebhookDispatcherArgs(event_types=["a"])
    assert tuple(config.schedule) == SVIX_SCHEDULE == tuple(args.schedule)
    assert (args.require_https, tuple(args.allowed_networks)) == (True, ())


def test_events_of_the_declared_types_go_from_the_bus_to_the_ingest_queue(deployed):
    rule = deployed.named("wh-ingest-rule").inputs
    assert json.loads(rule["eventPattern"]) == {"detail-type": ["invoice.paid", "ping"], "source": ["billing"]}
    target = deployed.named("wh-ingest-target").inputs
    assert target["arn"] == f"{QUEUES}:wh-ingest"
    assert target["deadLetterConfig"]["arn"] == f"{QUEUES}:wh-ingest-dlq"


def test_workers_read_deliveries_in_batches_reporting_partial_failures(deployed):
    mapping = deployed.named("wh-worker-mapping").inputs
    assert (mapping["eventSourceArn"], mapping["batchSize"]) == (f"{QUEUES}:wh-deliveries", 10)
    assert mapping["functionResponseTypes"] == ["ReportBatchItemFailures"]
    queue = deployed.named("wh-deliveries").inputs
    assert json.loads(queue["redrivePolicy"])["deadLetterTargetArn"] == f"{QUEUES}:wh-deliveries-dlq"
    assert queue["visibilityTimeoutSeconds"] == 6 * (5 + 15)
    config = handoff_of(deployed, "wh-worker", DispatcherConfig)
    assert (config.request_timeout, config.event_types) == (5, ["invoice.paid", "ping"])


def test_each_function_may_do_only_what_it_does(deployed):
    assert _actions(deployed, "worker") == {
        f"{QUEUES}:wh-deliveries": {"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes",
                                    "sqs:SendMessage"},
        f"{QUEUES}:wh-deliveries-dlq": {"sqs:SendMessage"},
        f"{TABLE}/wh-endpoints": {"dynamodb:GetItem", "dynamodb:UpdateItem"},
        f"{TABLE}/wh-messages": {"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"},
    }
    assert _actions(deployed, "ingest") == {
        f"{QUEUES}:wh-ingest": {"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"},
        f"{QUEUES}:wh-ingest-dlq": {"sqs:SendMessage"},
        f"{QUEUES}:wh-deliveries": {"sqs:SendMessage"},
        f"{TABLE}/wh-endpoints": {"dynamodb:Scan"},
        f"{TABLE}/wh-messages": {"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"},
    }
    api = _actions(deployed, "api")
    assert api[f"{QUEUES}:wh-deliveries-dlq"] == {"sqs:ReceiveMessage", "sqs:DeleteMessage",
                                                  "sqs:ChangeMessageVisibility"}
    assert api[f"{TABLE}/wh-messages/index/*"] == {"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem",
                                                   "dynamodb:Query"}


def test_the_attempt_log_is_indexed_by_endpoint_and_expires(deployed):
    table = deployed.named("wh-messages").inputs
    [index] = table["globalSecondaryIndexes"]
    assert (index["name"], index["hashKey"], index["rangeKey"]) == ("by_endpoint", "endpoint_id", "at")
    assert table["ttl"] == {"attributeName": "expires_at", "enabled": True}
