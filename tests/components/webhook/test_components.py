"""WebhookIngress and WebhookSubscription under Pulumi mocks: resources, routes, storage-first wiring,
and least-privilege IAM for each function and for API Gateway."""

from __future__ import annotations

import json

import pytest

from components.webhook import (
    WebhookIngress,
    WebhookIngressArgs,
    WebhookSource,
    WebhookSubscription,
    WebhookSubscriptionArgs,
    github,
    hmac_sha256,
    stripe,
)
from functions.webhook.config import WebhookConfig
from tests.components.harness import handoff_of

ACCOUNT = "123456789012"
SSM_ARN = f"arn:aws:ssm:us-east-1:{ACCOUNT}:parameter/acme-secret"
GIVEN_SECRET = f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:stripe-abc"


def _sources(storage_first: bool = False) -> list[WebhookSource]:
    return [
        WebhookSource("github", github()),
        WebhookSource("stripe", stripe(), secret_arn=GIVEN_SECRET),
        WebhookSource("acme", hmac_sha256("X-Acme-Signature"), ssm_parameter_arn=SSM_ARN),
        *([WebhookSource("queued", github(), storage_first=True)] if storage_first else []),
    ]


def _statements(mocks, suffix: str) -> dict[str, list]:
    return {action: statement["Resource"] for statement in mocks.policy_statements(suffix)
            for action in statement["Action"] if not action.startswith("logs:")}


def test_bus_archive_table_and_created_secret(build):
    mocks = build(lambda: WebhookIngress("hooks", WebhookIngressArgs(sources=_sources(), archive_retention_days=9)))

    bus = mocks.one("aws:cloudwatch/eventBus:EventBus")
    assert bus.inputs["name"] == "hooks-unit"
    archive = mocks.one("aws:cloudwatch/eventArchive:EventArchive")
    assert archive.inputs["eventSourceArn"] == f"arn:aws:events:us-east-1:{ACCOUNT}:event-bus/hooks-unit"
    assert archive.inputs["retentionDays"] == 9
    table = mocks.one("aws:dynamodb/table:Table")
    assert table.inputs["hashKey"] == "id" and table.inputs["ttl"] == {"attributeName": "expiration", "enabled": True}
    secret = mocks.one("aws:secretsmanager/secret:Secret")  # only for the source without a secret of its own
    assert secret.name == "hooks-github-secret"
    version = mocks.one("aws:secretsmanager/secretVersion:SecretVersion")
    wrapped = version.inputs["secretString"]  # marked secret, so Pulumi state keeps it encrypted
    assert wrapped["4dabf18193072939515e22adb298388d"] == "1b47061264138c4ac30d75fd1eb44270"
    assert len(wrapped["value"]) >= 32  # a random initial secret, never a fixed one


def test_verifier_config_names_each_source_scheme_and_secret_but_holds_no_secret_value(build):
    sources = [WebhookSource("github", github(), initial_secret="do-not-leak")]
    mocks = build(lambda: WebhookIngress("cfg", WebhookIngressArgs(sources=sources, max_body_bytes=4096)))

    function = mocks.one("aws:lambda/function:Function")
    config = handoff_of(mocks, function.name, WebhookConfig)
    assert config.max_body_bytes == 4096
    assert config.sources["github"].scheme == github()
    assert config.sources["github"].secret.endswith(":secret:cfg-github-secret-AbCdEf")
    assert "do-not-leak" not in json.dumps(function.inputs["environment"])
    assert config.event_bus_name == "cfg-unit" and config.secret_refresh_seconds == 5


def test_one_route_per_source_and_a_catch_all_for_unknown_sources(build):
    mocks = build(lambda: WebhookIngress("routes", WebhookIngressArgs(sources=_sources())))

    parts = sorted(r.inputs["pathPart"] for r in mocks.of_type("aws:apigateway/resource:Resource"))
    assert parts == ["acme", "github", "stripe", "webhooks", "{source}"]
    assert {m.inputs["httpMethod"] for m in mocks.of_type("aws:apigateway/method:Method")} == {"POST"}
    assert {i.inputs["type"] for i in mocks.of_type("aws:apigateway/integration:Integration")} == {"AWS_PROXY"}
    permissions = sorted(p.inputs["sourceArn"].split("/", 1)[1] for p in
                         mocks.of_type("aws:lambda/permission:Permission"))
    assert permissions == ["*/POST/webhooks/*", "*/POST/webhooks/acme", "*/POST/webhooks/github",
                           "*/POST/webhooks/stripe"]


def test_verifier_may_only_publish_to_its_bus_use_its_table_and_read_its_secrets(build):
    mocks = build(lambda: WebhookIngress("least", WebhookIngressArgs(sources=_sources())))

    assert _statements(mocks, "least-verifier-policy") == {
        "events:PutEvents": [f"arn:aws:events:us-east-1:{ACCOUNT}:event-bus/least-unit"],
        **{f"dynamodb:{a}": [f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/least-deliveries"]
           for a in ("DeleteItem", "GetItem", "PutItem", "UpdateItem")},
        "secretsmanager:GetSecretValue": [
            f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:least-github-secret-AbCdEf", GIVEN_SECRET],
        "ssm:GetParameter": [SSM_ARN],
    }
    assert not mocks.of_type("aws:sqs/queue:Queue")  # no storage-first source, no queue


def test_storage_first_source_goes_to_the_queue_through_api_gateway_with_a_dlq(build):
    mocks = build(lambda: WebhookIngress("sf", WebhookIngressArgs(
        sources=_sources(storage_first=True), max_body_bytes=100_000, ingest_visibility_timeout_seconds=30,
        ingest_max_receive_count=4)))

    ingest = mocks.one("aws:sqs/queue:Queue", "sf-ingest")
    assert ingest.inputs["visibilityTimeoutSeconds"] == 30
    assert ingest.inputs["maxMessageSize"] == 100_000 + 16 * 1024
    assert json.loads(ingest.inputs["redrivePolicy"]) == {
        "deadLetterTargetArn": f"arn:aws:sqs:us-east-1:{ACCOUNT}:sf-ingest-dlq", "maxReceiveCount": 4}
    mapping = mocks.one("aws:lambda/eventSourceMapping:EventSourceMapping")
    assert mapping.inputs["functionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mapping.inputs["eventSourceArn"] == f"arn:aws:sqs:us-east-1:{ACCOUNT}:sf-ingest"

    [service] = [i for i in mocks.of_type("aws:apigateway/integration:Integration") if i.inputs["type"] == "AWS"]
    assert service.inputs["uri"] == f"arn:aws:apigateway:us-east-1:sqs:path/{ACCOUNT}/sf-ingest"
    assert set(service.inputs["requestTemplates"]) == {"application/json", "application/x-www-form-urlencoded",
                                                       "text/plain"}
    assert "StringValue=queued" in service.inputs["requestTemplates"]["application/json"]
    responses = {r.inputs["statusCode"]: r.inputs.get("selectionPattern")
                 for r in mocks.of_type("aws:apigateway/integrationResponse:IntegrationResponse")}
    assert responses == {"202": None, "413": r"4\d{2}", "503": r"5\d{2}"}
    assert _statements(mocks, "sf-ingest-api-policy") == {
        "sqs:SendMessage": [f"arn:aws:sqs:us-east-1:{ACCOUNT}:sf-ingest"]}


def test_queue_verifier_adds_only_its_queue_and_dead_letter_rights(build):
    mocks = build(lambda: WebhookIngress("qv", WebhookIngressArgs(sources=_sources(storage_first=True))))

    verifier, queued = _statements(mocks, "qv-verifier-policy"), _statements(mocks, "qv-queue-verifier-policy")
    extra = {k: v for k, v in queued.items() if k not in verifier}
    assert extra == {
        **{f"sqs:{a}": [f"arn:aws:sqs:us-east-1:{ACCOUNT}:qv-ingest"]
           for a in ("ChangeMessageVisibility", "DeleteMessage", "GetQueueAttributes", "ReceiveMessage")},
        "sqs:SendMessage": [f"arn:aws:sqs:us-east-1:{ACCOUNT}:qv-ingest-dlq"],
    }
    assert all(queued[k] == v for k, v in verifier.items())


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"sources": []}, r"WebhookIngressArgs\.sources must hold at least one source"),
    ({"sources": [WebhookSource("a", github()), WebhookSource("a", stripe())]}, r"unique names \(repeated: a\)"),
    ({"sources": [WebhookSource("a", github())], "dedup_seconds": 0}, r"WebhookIngressArgs\.dedup_seconds"),
    ({"sources": [WebhookSource("a", github())], "verifier_timeout_seconds": 20,
      "ingest_visibility_timeout_seconds": 10}, r"WebhookIngressArgs\.ingest_visibility_timeout_seconds"),
])
def test_invalid_arguments_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        WebhookIngressArgs(**kwargs)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"name": "GitHub"}, r"WebhookSource\.name must be 1-63 lower-case"),
    ({"name": "gh", "secret_arn": GIVEN_SECRET, "initial_secret": "x"}, r"WebhookSource\.secret_arn .* at most one"),
])
def test_invalid_sources_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        WebhookSource(scheme=github(), **kwargs)


def test_subscription_rule_queue_dlq_and_policies_scoped_to_the_rule(build):
    mocks = build(lambda: WebhookSubscription("orders", WebhookSubscriptionArgs(
        bus_name="hooks-prod", sources=["stripe"], detail_types=["invoice.paid"])))

    rule = mocks.one("aws:cloudwatch/eventRule:EventRule")
    assert rule.inputs["eventBusName"] == "hooks-prod"
    assert json.loads(rule.inputs["eventPattern"]) == {"source": ["webhook.stripe"], "detail-type": ["invoice.paid"]}
    target = mocks.one("aws:cloudwatch/eventTarget:EventTarget")
    assert target.inputs["arn"].endswith(":orders-queue")
    assert target.inputs["deadLetterConfig"]["arn"].endswith(":orders-dlq")
    for policy in mocks.of_type("aws:sqs/queuePolicy:QueuePolicy"):
        [statement] = json.loads(policy.inputs["policy"])["Statement"]
        assert statement["Principal"] == {"Service": "events.amazonaws.com"}
        assert statement["Condition"] == {"ArnEquals": {
            "aws:SourceArn": f"arn:aws:events:us-east-1:{ACCOUNT}:rule/orders-rule"}}
    every = WebhookSubscriptionArgs(bus_name="b").event_pattern()
    assert json.loads(every) == {"source": [{"prefix": "webhook."}]}
