"""``WebSocketBroadcast`` and the core ``WebSocketApi`` under Pulumi mocks: the routes and who may
connect, invoke permissions scoped to this API, least privilege for every function (PostToConnection
on this stage's @connections only), the table's topic index and TTL, the fan-out queue with its DLQ,
and Args refused by name."""

from __future__ import annotations

import json

import pytest

from components.core import ConnectAuthorizer, Public, WebSocketApiArgs, WebSocketRoute
from components.core.function import function_name
from components.websockets import WebSocketBroadcast, WebSocketBroadcastArgs
from functions.websockets.config import WebSocketsConfig
from tests.components.harness import handoff_of, run_under_mocks

SQS = "arn:aws:sqs:us-east-1:123456789012"
TABLE = "arn:aws:dynamodb:us-east-1:123456789012:table/ws-connections"
EXECUTE = "arn:aws:execute-api:us-east-1:123456789012:ws-ws-id"


@pytest.fixture(scope="module")
def deployed():
    return run_under_mocks(lambda: WebSocketBroadcast("ws", WebSocketBroadcastArgs(
        chunk_size=20, sender_concurrency=3, max_attempts=4, sender_timeout=12)).outputs)


def statements(deployed, function: str) -> list[dict]:
    return json.loads(deployed.named(f"{function}-policy").inputs["policy"])["Statement"]


def test_the_routes_are_connect_disconnect_default_and_the_actions_and_only_connect_is_authorised(deployed):
    routes = {r.inputs["routeKey"]: r.inputs for r in deployed.of_type("aws:apigatewayv2/route:Route")}
    assert set(routes) == {"$connect", "$disconnect", "$default", "subscribe", "unsubscribe", "publish", "ping"}
    assert routes["$connect"]["authorizationType"] == "CUSTOM" and routes["$connect"]["authorizerId"]
    assert all(r["authorizationType"] == "NONE" for k, r in routes.items() if k != "$connect")
    api = deployed.one("aws:apigatewayv2/api:Api").inputs
    assert (api["protocolType"], api["routeSelectionExpression"]) == ("WEBSOCKET", "$request.body.action")
    responses = deployed.of_type("aws:apigatewayv2/routeResponse:RouteResponse")
    assert len(responses) == 5 and all(r.inputs["routeResponseKey"] == "$default" for r in responses)
    authorizer = deployed.one("aws:apigatewayv2/authorizer:Authorizer").inputs
    assert authorizer["authorizerType"] == "REQUEST"
    assert authorizer["identitySources"] == ["route.request.querystring.token"]
    assert function_name("ws-authorizer") in authorizer["authorizerUri"]


def test_each_route_may_invoke_only_its_function_from_this_api(deployed):
    permissions = [p.inputs for p in deployed.of_type("aws:lambda/permission:Permission")]
    sources = {p["sourceArn"] for p in permissions if function_name("ws-socket") in p["function"]}
    assert sources == {f"{EXECUTE}/*/{key}" for key in ("$connect", "$disconnect", "$default", "subscribe",
                                                          "unsubscribe", "publish", "ping")}
    authorizer = [p for p in permissions if function_name("ws-authorizer") in p["function"]]
    assert [p["sourceArn"] for p in authorizer] == [f"{EXECUTE}/authorizers/*"]
    assert all(p["principal"] == "apigateway.amazonaws.com" for p in permissions)


def test_the_deployment_waits_for_every_route(deployed):
    deployment = deployed.one("aws:apigatewayv2/deployment:Deployment")
    assert deployment.inputs["triggers"]["routes"] == "$connect,$default,$disconnect,ping,publish,subscribe,unsubscribe"
    stage = deployed.one("aws:apigatewayv2/stage:Stage").inputs
    assert stage["name"] == "ws" and stage["deploymentId"]


def test_the_table_has_a_keys_only_topic_index_and_a_ttl(deployed):
    table = deployed.named("ws-connections").inputs
    assert (table["hashKey"], table["rangeKey"]) == ("connection_id", "sk")
    assert table["ttl"] == {"attributeName": "expires_at", "enabled": True}
    [index] = table["globalSecondaryIndexes"]
    assert index["name"] == "by-topic" and index["projectionType"] == "KEYS_ONLY"
    assert [k["attributeName"] for k in index["keySchemas"]] == ["topic", "connection_id"]


def test_deliveries_go_through_a_queue_with_a_dlq_to_sender_workers(deployed):
    queue = deployed.named("ws-deliveries").inputs
    assert json.loads(queue["redrivePolicy"]) == {"deadLetterTargetArn": f"{SQS}:ws-deliveries-dlq",
                                                  "maxReceiveCount": 5}
    assert queue["visibilityTimeoutSeconds"] == 72
    mapping = deployed.one("aws:lambda/eventSourceMapping:EventSourceMapping").inputs
    assert mapping["eventSourceArn"] == f"{SQS}:ws-deliveries" and mapping["batchSize"] == 1
    assert mapping["functionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mapping["scalingConfig"] == {"maximumConcurrency": 3}
    config = handoff_of(deployed, "ws-sender", WebSocketsConfig)
    assert (config.chunk_size, config.max_attempts) == (20, 4)
    assert config.management_endpoint == "https://ws-ws-id.execute-api.us-east-1.amazonaws.com/ws"
    assert config.dlq_url.endswith("/ws-deliveries-dlq")


def test_only_the_sender_may_post_to_connections_and_only_on_this_stage(deployed):
    sender = statements(deployed, "ws-sender")
    assert {"Effect": "Allow", "Action": ["execute-api:ManageConnections"],
            "Resource": [f"{EXECUTE}/ws/POST/@connections/*"]} in sender
    assert {"Effect": "Allow", "Action": ["sqs:SendMessage"],
            "Resource": [f"{SQS}:ws-deliveries", f"{SQS}:ws-deliveries-dlq"]} in sender
    assert {"Effect": "Allow", "Action": ["dynamodb:BatchWriteItem", "dynamodb:Query"], "Resource": [TABLE]} in sender
    for other in ("ws-socket", "ws-api", "ws-authorizer"):
        assert not any("execute-api:ManageConnections" in s["Action"] for s in statements(deployed, other)), other


def test_the_authorizer_reads_only_its_secret_and_the_socket_only_its_table_and_queue(deployed):
    [_, authorizer] = statements(deployed, "ws-authorizer")
    assert authorizer["Action"] == ["secretsmanager:GetSecretValue"]
    assert len(authorizer["Resource"]) == 1 and "ws-token-secret" in authorizer["Resource"][0]
    socket = statements(deployed, "ws-socket")[1:]
    assert socket == [
        {"Effect": "Allow", "Action": ["dynamodb:BatchWriteItem", "dynamodb:DeleteItem", "dynamodb:GetItem",
                                       "dynamodb:PutItem", "dynamodb:Query"], "Resource": [TABLE]},
        {"Effect": "Allow", "Action": ["dynamodb:Query"], "Resource": [f"{TABLE}/index/by-topic"]},
        {"Effect": "Allow", "Action": ["sqs:SendMessage"], "Resource": [f"{SQS}:ws-deliveries"]},
    ]


def test_the_backend_publisher_may_only_read_the_topic_index_and_queue_deliveries(deployed):
    assert statements(deployed, "ws-api")[1:] == [
        {"Effect": "Allow", "Action": ["dynamodb:Query"], "Resource": [f"{TABLE}/index/by-topic"]},
        {"Effect": "Allow", "Action": ["sqs:SendMessage"], "Resource": [f"{SQS}:ws-deliveries"]},
    ]


def test_the_backend_route_is_signed_by_default(deployed):
    method = deployed.one("aws:apigateway/method:Method").inputs
    assert method["authorization"] == "AWS_IAM" and method["httpMethod"] == "POST"
    resources = {r.inputs["pathPart"] for r in deployed.of_type("aws:apigateway/resource:Resource")}
    assert resources == {"topics", "{topic}", "messages"}


def test_outputs_name_what_a_client_and_an_operator_need():
    outputs: dict = {}
    run_under_mocks(lambda: outputs.update(WebSocketBroadcast("w2").outputs))
    assert set(outputs) == {"url", "websocket_api_url", "websocket_api_id", "connections_table_name",
                            "deliveries_queue_url", "deliveries_dlq_url", "token_secret_arn", "socket_function_name",
                            "sender_function_name", "api_function_name", "authorizer_function_name"}


def test_a_public_connect_has_no_authorizer_secret_or_token_output():
    outputs: dict = {}

    def program():
        component = WebSocketBroadcast("pub", WebSocketBroadcastArgs(connect_auth=Public("a public ticker feed"),
                                                                     heartbeat=False))
        outputs.update(component.outputs)

    mocks = run_under_mocks(program)
    assert not mocks.of_type("aws:apigatewayv2/authorizer:Authorizer")
    assert not mocks.of_type("aws:secretsmanager/secret:Secret")
    assert "token_secret_arn" not in outputs and "authorizer_function_name" not in outputs
    routes = {r.inputs["routeKey"] for r in mocks.of_type("aws:apigatewayv2/route:Route")}
    assert "ping" not in routes


@pytest.mark.parametrize(("make", "field"), [
    (lambda: WebSocketBroadcastArgs(chunk_size=0), "chunk_size"),
    (lambda: WebSocketBroadcastArgs(sender_concurrency=1), "sender_concurrency"),
    (lambda: WebSocketBroadcastArgs(connection_ttl_seconds=60), "connection_ttl_seconds"),
    (lambda: WebSocketBroadcastArgs(backend_auth="none"), "backend_auth"),
    (lambda: WebSocketBroadcastArgs(stage_name="a/b"), "stage_name"),
])
def test_broadcast_args_are_refused_by_name(make, field):
    with pytest.raises(ValueError, match=f"WebSocketBroadcastArgs.{field}"):
        make()


def test_websocket_api_args_are_refused_by_name():
    fn = object()
    with pytest.raises(ValueError, match="WebSocketApiArgs.connect_auth"):
        WebSocketApiArgs(routes=[WebSocketRoute("$default", fn)], connect_auth=ConnectAuthorizer(function=fn))
    with pytest.raises(ValueError, match="WebSocketApiArgs.routes"):
        WebSocketApiArgs(routes=[WebSocketRoute("a", fn), WebSocketRoute("a", fn)], connect_auth=Public("a demo api"))
    with pytest.raises(ValueError, match="ConnectAuthorizer.identity_sources"):
        ConnectAuthorizer(function=fn, identity_sources=("method.request.header.Authorization",))
    with pytest.raises(ValueError, match="route key"):
        WebSocketRoute("has space", fn)


def test_events_on_a_bus_reach_a_consumer_through_a_queue_with_a_dlq():
    outputs: dict = {}

    def program():
        component = WebSocketBroadcast("ev", WebSocketBroadcastArgs(event_bus_name="orders",
                                                                    event_sources=("shop.orders",)))
        outputs.update(component.outputs)

    mocks = run_under_mocks(program)
    rule = mocks.named("ev-publish-rule").inputs
    assert rule["eventBusName"] == "orders"
    assert json.loads(rule["eventPattern"]) == {"detail-type": ["WebSocket publish"], "source": ["shop.orders"]}
    target = mocks.named("ev-publish-target").inputs
    assert target["arn"] == f"{SQS}:ev-events" and target["deadLetterConfig"] == {"arn": f"{SQS}:ev-events-dlq"}
    policies = {p.name: json.loads(p.inputs["policy"]) for p in mocks.of_type("aws:sqs/queuePolicy:QueuePolicy")}
    assert set(policies) == {"ev-events-queue-policy", "ev-events-dlq-queue-policy"}
    rule_arn = "arn:aws:events:us-east-1:123456789012:rule/ev-publish-rule"
    assert all(p["Statement"][0]["Condition"] == {"ArnEquals": {"aws:SourceArn": rule_arn}} for p in policies.values())
    consumer = json.loads(mocks.named("ev-events-policy").inputs["policy"])["Statement"][1:]
    assert {"Effect": "Allow", "Action": ["sqs:SendMessage"], "Resource": [f"{SQS}:ev-events-dlq"]} in consumer
    assert not any("execute-api:ManageConnections" in s["Action"] for s in consumer)
    assert {"events_queue_url", "events_dlq_url", "publish_rule_arn", "events_function_name"} <= set(outputs)


def test_event_sources_need_a_bus():
    with pytest.raises(ValueError, match="WebSocketBroadcastArgs.event_sources"):
        WebSocketBroadcastArgs(event_sources=("shop",))


def test_the_token_may_come_in_a_header_instead():
    mocks = run_under_mocks(lambda: WebSocketBroadcast("hd", WebSocketBroadcastArgs(token_source="header")).outputs)
    authorizer = mocks.one("aws:apigatewayv2/authorizer:Authorizer").inputs
    assert authorizer["identitySources"] == ["route.request.header.Authorization"]
    with pytest.raises(ValueError, match="WebSocketBroadcastArgs.token_source"):
        WebSocketBroadcastArgs(token_source="cookie")  # type: ignore[arg-type]
