"""StorageFirstApi under Pulumi mocks: one service integration per target with a role allowing exactly
its one action on its one resource, validation before anything is stored, responses that are never
200, the consumers' wiring and least privilege, and the hand-off."""

from __future__ import annotations

import json

import pytest

from components.storage_first import ProcessorCode, StorageFirstApi, StorageFirstApiArgs, StorageTarget
from functions.storage_first import templates
from functions.storage_first.config import StorageFirstConfig
from tests.components.harness import ACCOUNT, REGION, handoff_of

SCHEMA = {"type": "object", "required": ["sku"]}
TARGETS = [StorageTarget("orders", "sqs", schema=SCHEMA, max_body_bytes=64 * 1024),
           StorageTarget("ledger", "sqs-fifo"), StorageTarget("events", "eventbridge"),
           StorageTarget("payments", "dynamodb", max_attempts=7), StorageTarget("flows", "stepfunctions"),
           StorageTarget("uploads", "s3")]


@pytest.fixture
def mocks(build):
    return build(lambda: StorageFirstApi("sf", StorageFirstApiArgs(
        targets=TARGETS, processor=ProcessorCode(handler="mine.process", files={"mine.py": __file__}))))


def _arn(service: str, resource: str) -> str:
    return f"arn:aws:{service}:{REGION}:{ACCOUNT}:{resource}"


def _service_integrations(mocks) -> dict[str, dict]:
    return {i.inputs["uri"].split(":")[4] + ":" + i.inputs["uri"].rsplit("/", 1)[-1]: i.inputs
            for i in mocks.of_type("aws:apigateway/integration:Integration") if i.inputs["type"] == "AWS"}


def test_each_target_is_one_service_integration_with_no_lambda_in_the_path(mocks):
    found = _service_integrations(mocks)
    queue = "sf-orders-queue"
    assert set(found) == {f"sqs:{queue}", "sqs:sf-ledger-queue", "events:PutEvents", "dynamodb:UpdateItem",
                          "states:StartExecution", "s3:{key}"}
    bucket = mocks.one("aws:s3/bucket:Bucket").inputs.get("bucket") or "sf-uploads-bucket"
    upload = found["s3:{key}"]
    assert upload["uri"] == f"arn:aws:apigateway:{REGION}:s3:path/{bucket}/{{key}}"
    assert upload["integrationHttpMethod"] == "PUT"
    assert upload["requestParameters"]["integration.request.path.key"] == "context.requestId"
    assert found[f"sqs:{queue}"]["uri"] == f"arn:aws:apigateway:{REGION}:sqs:path/{ACCOUNT}/{queue}"
    for integration in found.values():
        assert integration["passthroughBehavior"] == "NEVER"
        assert set(integration["requestTemplates"]) == {"application/json"}
    assert found[f"sqs:{queue}"]["requestTemplates"]["application/json"] == templates.sqs_request(False, "orders")
    assert found["events:PutEvents"]["requestParameters"]["integration.request.header.X-Amz-Target"] == \
        "'AWSEvents.PutEvents'"


def test_each_integration_role_allows_exactly_its_action_on_its_resource(mocks):
    expected = {
        "sf-orders-store-policy": ("sqs:SendMessage", _arn("sqs", "sf-orders-queue")),
        "sf-ledger-store-policy": ("sqs:SendMessage", _arn("sqs", "sf-ledger-queue")),
        "sf-events-store-policy": ("events:PutEvents", _arn("events", "event-bus/sf-events-unit")),
        "sf-payments-store-policy": ("dynamodb:UpdateItem", _arn("dynamodb", "table/sf-payments-table")),
        "sf-flows-store-policy": ("states:StartExecution", _arn("states", "stateMachine:sf-flows-unit")),
        "sf-uploads-store-policy": ("s3:PutObject", "arn:aws:s3:::sf-uploads-bucket/*"),
    }
    for policy, (action, resource) in expected.items():
        assert mocks.policy_statements(policy) == [{"Effect": "Allow", "Action": [action], "Resource": [resource]}]
        role = mocks.one("aws:iam/role:Role", policy.replace("-policy", "-role"))
        assert json.loads(role.inputs["assumeRolePolicy"])["Statement"][0]["Principal"] == {
            "Service": "apigateway.amazonaws.com"}


def test_bodies_are_validated_by_a_model_and_keyed_targets_require_the_idempotency_key(mocks):
    models = {m.inputs["name"]: json.loads(m.inputs["schema"]) for m in mocks.of_type("aws:apigateway/model:Model")}
    assert SCHEMA in models.values() and {"type": "object"} in models.values()
    validator = mocks.one("aws:apigateway/requestValidator:RequestValidator")
    assert validator.inputs["validateRequestBody"] and validator.inputs["validateRequestParameters"]
    posts = [m.inputs for m in mocks.of_type("aws:apigateway/method:Method") if m.inputs["httpMethod"] == "POST"]
    assert len(posts) == 6 and all(m["requestValidatorId"] and m["requestModels"] for m in posts)
    required = sorted(bool(m.get("requestParameters")) for m in posts)
    assert required == [False, False, False, True, True, True]
    assert all(m["requestParameters"] == {"method.request.header.Idempotency-Key": True}
               for m in posts if m.get("requestParameters"))
    assert all(m.inputs["authorization"] == "AWS_IAM" for m in mocks.of_type("aws:apigateway/method:Method"))


def test_no_store_answers_200_failures_are_mapped_to_4xx_and_5xx(mocks):
    statuses = {r.inputs["statusCode"] for r in mocks.of_type("aws:apigateway/integrationResponse:IntegrationResponse")
                if "-post-" in r.name}
    assert statuses == {"202", "413", "400", "503"}
    unavailable = [r.inputs for r in mocks.of_type("aws:apigateway/integrationResponse:IntegrationResponse")
                   if r.inputs["statusCode"] == "503"]
    assert len(unavailable) == 6 and all(r["selectionPattern"] == r"5\d{2}" for r in unavailable)


def test_queues_have_dlqs_sized_for_the_body_limit_and_the_tables_stream_feeds_the_consumer(mocks):
    orders = mocks.one("aws:sqs/queue:Queue", "sf-orders-queue").inputs
    assert orders["maxMessageSize"] == 64 * 1024
    assert json.loads(orders["redrivePolicy"])["maxReceiveCount"] == 5  # 3 attempts + 2: the consumer parks first
    assert mocks.one("aws:sqs/queue:Queue", "sf-ledger-queue").inputs["fifoQueue"] is True
    assert mocks.one("aws:sqs/queue:Queue", "sf-ledger-dlq").inputs["fifoQueue"] is True
    table = mocks.one("aws:dynamodb/table:Table", "sf-payments-table").inputs
    assert table["streamViewType"] == "NEW_IMAGE"
    mapping = mocks.one("aws:lambda/eventSourceMapping:EventSourceMapping", "sf-payments-stream-mapping").inputs
    assert json.loads(mapping["filterCriteria"]["filters"][0]["pattern"]) == {"eventName": ["INSERT"]}
    assert mapping["functionResponseTypes"] == ["ReportBatchItemFailures"] and mapping["maximumRetryAttempts"] == 9
    assert mapping["destinationConfig"]["onFailure"]["destinationArn"] == _arn("sqs", "sf-payments-dlq")
    rule = mocks.one("aws:cloudwatch/eventRule:EventRule").inputs
    assert json.loads(rule["eventPattern"]) == {"source": ["storage-first.events"]}


def test_consumers_and_status_route_hold_least_privilege(mocks):
    def actions(policy: str) -> dict[str, list]:
        return {a: s["Resource"] for s in mocks.policy_statements(policy) for a in s["Action"]
                if not a.startswith("logs:")}

    worker = actions("sf-worker-policy")
    queues = [_arn("sqs", f"sf-{n}-queue") for n in ("orders", "ledger", "events", "uploads")]
    assert worker["sqs:ReceiveMessage"] == queues and worker["sqs:GetQueueUrl"] == queues
    assert worker["sqs:SendMessage"] == [_arn("sqs", f"sf-{n}-dlq") for n in ("orders", "ledger", "events", "uploads")]
    assert worker["dynamodb:UpdateItem"] == [_arn("dynamodb", "table/sf-status")]
    assert "dynamodb:PutItem" not in worker and "sqs:DeleteQueue" not in worker
    assert worker["s3:GetObject"] == ["arn:aws:s3:::sf-uploads-bucket/*"] and "s3:PutObject" not in worker
    stream = actions("sf-stream-policy")
    assert stream["dynamodb:GetRecords"] == [_arn("dynamodb", "table/sf-payments-table/stream/2026-01-01T00:00:00.000")]
    assert stream["sqs:SendMessage"] == [_arn("sqs", "sf-payments-dlq")]  # each consumer: its own targets' DLQs
    assert actions("sf-execution-policy")["sqs:SendMessage"] == [_arn("sqs", "sf-flows-dlq")]
    status = [s for s in mocks.policy_statements("sf-status-policy") if not s["Action"][0].startswith("logs:")]
    assert sorted((s["Action"], s["Resource"]) for s in status) == [
        (["dynamodb:GetItem"], [_arn("dynamodb", "table/sf-payments-table")]),
        (["dynamodb:GetItem"], [_arn("dynamodb", "table/sf-status")])]


def test_each_workflow_is_a_state_machine_running_the_consumer_with_retries_and_a_dead_letter_catch(mocks):
    machine = mocks.one("aws:sfn/stateMachine:StateMachine").inputs
    assert machine["name"] == "sf-flows-unit"
    definition = json.loads(machine["definition"])
    process = definition["States"]["Process"]
    execution = mocks.one("aws:lambda/function:Function", "sf-execution").inputs["name"]
    assert process["Parameters"]["FunctionName"] == _arn("lambda", f"function:{execution}")
    assert process["Parameters"]["Payload"]["id.$"] == "$$.Execution.Name"
    assert process["Retry"][0]["MaxAttempts"] == 3 and process["Catch"][0]["Next"] == "DeadLetter"
    assert definition["States"]["DeadLetter"]["Parameters"]["QueueUrl"].endswith("/sf-flows-dlq")
    policy = {a: s["Resource"] for s in mocks.policy_statements("sf-flows-machine-policy") for a in s["Action"]}
    assert policy == {"lambda:InvokeFunction": [_arn("lambda", f"function:{execution}")],
                      "sqs:SendMessage": [_arn("sqs", "sf-flows-dlq")]}


def test_the_bucket_notifies_its_queue_which_only_it_may_send_to(mocks):
    notification = mocks.one("aws:s3/bucketNotification:BucketNotification").inputs
    assert notification["queues"] == [{"queueArn": _arn("sqs", "sf-uploads-queue"), "events": ["s3:ObjectCreated:*"]}]
    policy = json.loads(mocks.one("aws:sqs/queuePolicy:QueuePolicy", "sf-uploads-notify-policy").inputs["policy"])
    [statement] = policy["Statement"]
    assert statement["Principal"] == {"Service": "s3.amazonaws.com"}
    assert statement["Condition"] == {"ArnEquals": {"aws:SourceArn": "arn:aws:s3:::sf-uploads-bucket"}}


def test_the_handoff_names_each_target_source_dlq_and_retry_budget(mocks):
    worker = mocks.one("aws:lambda/function:Function", "sf-worker")
    config = handoff_of(mocks, worker.name, StorageFirstConfig)
    assert config.processor == "mine.process" and config.max_attempts == 3
    assert config.targets["payments"].source == _arn("dynamodb", "table/sf-payments-table")
    assert config.targets["payments"].max_attempts == 7 and config.attempts_for("orders") == 3
    assert config.targets["events"].source == _arn("sqs", "sf-events-queue")
    assert config.target_for(_arn("dynamodb", "table/sf-payments-table/stream/x")).name == "payments"


def test_outputs_follow_the_catalog_names(build):
    built: list[StorageFirstApi] = []
    build(lambda: built.append(StorageFirstApi("sf", StorageFirstApiArgs(targets=[StorageTarget("orders")]))))
    assert set(built[0].outputs) == {"url", "status_table_name", "target_dlq_urls", "target_queue_urls",
                                     "target_bus_names", "target_table_names", "target_state_machine_arns",
                                     "target_bucket_names",
                                     "status_function_name",
                                     "worker_function_name"}


@pytest.mark.parametrize(("make", "field"), [
    (lambda: StorageFirstApiArgs(targets=[StorageTarget("a")], retry_delay_seconds=-1), "retry_delay_seconds"),
    (lambda: StorageFirstApiArgs(targets=[StorageTarget("a")], stage_name="a b"), "stage_name"),
    (lambda: StorageFirstApiArgs(targets=[StorageTarget("a")], auth=None), "auth"),  # type: ignore[arg-type]
    (lambda: StorageFirstApiArgs(targets=[StorageTarget("a")], processor="x.y"), "processor"),  # type: ignore
    (lambda: StorageTarget("a", max_attempts=0), "max_attempts"),
])
def test_args_are_refused_by_name(make, field):
    with pytest.raises(ValueError, match=field):
        make()
