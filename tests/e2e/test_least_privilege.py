"""Least privilege, enforced: each function's role, assumed as the function assumes it, may make the
calls its pattern needs and is refused everything else, above all another pattern's resources.
(The whole e2e suite runs with IAM enforcement on, so every role is also proven sufficient.)"""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

pytestmark = pytest.mark.requires("iam-enforcement")

DENIED = {"AccessDeniedException", "AccessDenied", "AuthorizationError", "UnauthorizedOperation"}


def _function(prefix: str) -> str:
    lam = boto3.client("lambda")
    names = [f["FunctionName"] for page in lam.get_paginator("list_functions").paginate()
             for f in page["Functions"] if f["FunctionName"].startswith(prefix)]
    assert len(names) == 1, f"expected one function named {prefix}*, found {names}"
    return names[0]


def _as_role_of(function_name: str) -> boto3.session.Session:
    """A session holding the credentials the function runs with (its execution role, assumed)."""
    role_arn = boto3.client("lambda").get_function_configuration(FunctionName=function_name)["Role"]
    credentials = boto3.client("sts").assume_role(RoleArn=role_arn, RoleSessionName="least-privilege-probe")
    c = credentials["Credentials"]
    return boto3.session.Session(aws_access_key_id=c["AccessKeyId"], aws_secret_access_key=c["SecretAccessKey"],
                                 aws_session_token=c["SessionToken"], region_name=boto3.session.Session().region_name)


def _refused(call: Any) -> None:
    with pytest.raises(ClientError) as refused:
        call()
    assert refused.value.response["Error"]["Code"] in DENIED, refused.value.response["Error"]


def test_the_counter_handler_may_read_and_add_to_its_own_counters_only(catalog):
    session = _as_role_of(_function("counter-fn-"))
    dynamodb = session.client("dynamodb")
    own = catalog["counter"]["counters_table_name"]
    dynamodb.get_item(TableName=own, Key={"name": {"S": "probe"}})
    _refused(lambda: dynamodb.put_item(TableName=own, Item={"name": {"S": "probe"}}))  # not an action it needs
    _refused(lambda: dynamodb.delete_item(TableName=own, Key={"name": {"S": "probe"}}))
    _refused(lambda: dynamodb.get_item(TableName=catalog["sequence"]["counters_table_name"],
                                       Key={"name": {"S": "ticket"}}))
    _refused(lambda: dynamodb.scan(TableName=catalog["priority"]["dynamo"]["jobs_table_name"]))


def test_the_webhook_verifier_reads_its_secrets_and_publishes_to_its_bus_only(catalog):
    ingress = catalog["webhook"]["ingress"]
    session = _as_role_of(ingress["verifier_function_name"])
    session.client("secretsmanager").get_secret_value(SecretId=ingress["source_secret_arns"]["github"])
    events = session.client("events")
    entry = {"Source": "probe", "DetailType": "probe", "Detail": json.dumps({"probe": True})}
    _refused(lambda: events.put_events(Entries=[{**entry, "EventBusName": catalog["scatter_gather"]["pubsub"]
                                                 ["events_bus_name"]}]))
    _refused(lambda: session.client("dynamodb").scan(TableName=catalog["counter"]["counters_table_name"]))
    _refused(lambda: session.client("sqs").send_message(
        QueueUrl=catalog["priority"]["levels"]["level_queue_urls"]["high"], MessageBody="{}"))


def test_the_priority_worker_consumes_its_levels_and_cannot_reach_other_queues(catalog):
    levels = catalog["priority"]["levels"]
    session = _as_role_of(levels["worker_function_name"])
    sqs = session.client("sqs")
    sqs.get_queue_attributes(QueueUrl=levels["level_queue_urls"]["low"], AttributeNames=["QueueArn"])
    _refused(lambda: sqs.send_message(QueueUrl=levels["level_queue_urls"]["high"], MessageBody="{}"))
    _refused(lambda: sqs.get_queue_attributes(QueueUrl=catalog["scatter_gather"]["pubsub"]["replies_queue_url"],
                                              AttributeNames=["QueueArn"]))
    _refused(lambda: session.client("dynamodb").delete_item(TableName=levels["jobs_table_name"],
                                                            Key={"id": {"S": "probe"}}))


def test_a_scatter_gather_function_cannot_touch_the_webhook_records(catalog):
    pubsub = catalog["scatter_gather"]["pubsub"]
    session = _as_role_of(_function("quotes-pubsub-aggregator-"))
    dynamodb = session.client("dynamodb")
    dynamodb.get_item(TableName=pubsub["aggregates_table_name"], Key={"correlationId": {"S": "probe"}})
    _refused(lambda: dynamodb.update_item(
        TableName=catalog["webhook"]["ingress"]["deliveries_table_name"], Key={"id": {"S": "probe"}},
        UpdateExpression="SET #s = :s", ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues={":s": {"S": "COMPLETED"}}))


def test_the_webhook_delivery_worker_reads_endpoints_but_cannot_list_them_or_replay(catalog):
    hooks = catalog["webhook_delivery"]
    session = _as_role_of(hooks["worker_function_name"])
    dynamodb, sqs = session.client("dynamodb"), session.client("sqs")
    dynamodb.get_item(TableName=hooks["endpoints_table_name"], Key={"endpoint_id": {"S": "ep_probe"}})
    _refused(lambda: dynamodb.scan(TableName=hooks["endpoints_table_name"]))  # secrets of every endpoint
    _refused(lambda: dynamodb.delete_item(TableName=hooks["endpoints_table_name"],
                                          Key={"endpoint_id": {"S": "ep_probe"}}))
    _refused(lambda: sqs.receive_message(QueueUrl=hooks["delivery_dlq_url"]))  # only the API replays
    _refused(lambda: dynamodb.get_item(TableName=catalog["webhook"]["ingress"]["deliveries_table_name"],
                                       Key={"id": {"S": "probe"}}))


@pytest.mark.requires("apigateway-websocket")
def test_only_the_websocket_sender_may_push_to_connections_and_only_its_own_tables(catalog):
    from functions.common.websocket import management_endpoint

    broadcast = catalog["websockets"]
    region = boto3.session.Session().region_name
    endpoint = management_endpoint(f"https://{broadcast['websocket_api_id']}.execute-api.{region}.amazonaws.com/ws")
    sender = _as_role_of(broadcast["sender_function_name"]).client("apigatewaymanagementapi", endpoint_url=endpoint)
    with pytest.raises(ClientError) as gone:  # authorised: the connection simply does not exist
        sender.post_to_connection(ConnectionId="nobody0000000000", Data=b"probe")
    assert gone.value.response["ResponseMetadata"]["HTTPStatusCode"] == 410
    socket = _as_role_of(broadcast["socket_function_name"]).client("apigatewaymanagementapi", endpoint_url=endpoint)
    with pytest.raises(ClientError) as refused:
        socket.post_to_connection(ConnectionId="nobody0000000000", Data=b"probe")
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    dynamodb = _as_role_of(broadcast["sender_function_name"]).client("dynamodb")
    _refused(lambda: dynamodb.scan(TableName=broadcast["connections_table_name"]))  # not an action it needs
    _refused(lambda: dynamodb.query(TableName=catalog["counter"]["counters_table_name"],
                                    KeyConditionExpression="#n = :n", ExpressionAttributeNames={"#n": "name"},
                                    ExpressionAttributeValues={":n": {"S": "x"}}))
