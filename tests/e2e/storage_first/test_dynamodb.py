"""The DynamoDB route (``UpdateItem`` keyed by the Idempotency-Key), proven in two halves where the
emulator lacks API Gateway -> DynamoDB integrations: the deployed route's templates rendered by airspeed
for a real request, the rendered call made with the integration's own role against the emulator's
DynamoDB (it stores exactly the bytes sent; the stream consumer processes it), and the response
templates rendered over DynamoDB's answers (202 with the id, a replay, 409 for another body). The same
behaviour through API Gateway runs where the target has the integration."""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.exceptions import ClientError

from tests.e2e.storage_first.support import dead_letters, digest, json_request, route_of, unique_key
from tests.e2e.support import wait_until

DYNAMODB_ERROR_TYPE = "com.amazonaws.dynamodb.v20120810#{}"


def _update(route, account, request):
    """Half one: the rendered UpdateItem, made as API Gateway makes it (its role); DynamoDB's
    (status, answer) as the integration sees them."""
    call = route.service_request(request, account)
    try:
        answer = route.session().client("dynamodb").update_item(**call)
    except ClientError as exc:
        error = exc.response["Error"]
        return exc.response["ResponseMetadata"]["HTTPStatusCode"], {
            "__type": DYNAMODB_ERROR_TYPE.format(error["Code"]), "message": error.get("Message", "")}
    return 200, {"Attributes": answer["Attributes"]}


def test_rendered_request_stores_the_bytes_sent_and_the_response_is_202_with_the_key(client, outputs):
    route, account = route_of(outputs, "payments")
    key, sent = unique_key(), b'{"amount": 12.5, "note": "it\'s \\"quoted\\" / caf\\u00e9 \xe2\x9c\x93"}'
    request = json_request("payments", sent, key)

    call = route.service_request(request, account)
    assert call["TableName"] == outputs["target_table_names"]["payments"]
    assert call["Key"] == {"id": {"S": key}}
    assert call["ExpressionAttributeValues"][":request"] == {"S": request.request_id}
    assert route.uri.endswith(":dynamodb:action/UpdateItem")

    status, answer = _update(route, account, request)
    assert status == 200, answer
    assert route.response(request, account, status, answer) == (202, {"id": key, "status": "accepted"})
    item = boto3.client("dynamodb").get_item(TableName=call["TableName"], Key={"id": {"S": key}})["Item"]
    assert item["body"]["S"].encode() == sent  # the stored bytes are those sent
    outcome = client.outcome("payments", key)  # the stream consumer, through the status route
    assert outcome["status"] == "processed" and outcome["body_sha256"] == digest(sent)


def test_a_repeated_key_is_one_record_and_another_body_with_it_is_409(outputs):
    route, account = route_of(outputs, "payments")
    key = unique_key()
    first = json_request("payments", b'{"amount": 1}', key)
    assert _update(route, account, first)[0] == 200

    replay = json_request("payments", b'{"amount": 1}', key)
    status, answer = _update(route, account, replay)
    assert route.response(replay, account, status, answer) == (202, {"id": key, "status": "accepted"})

    conflict = json_request("payments", b'{"amount": 2}', key)
    status, answer = _update(route, account, conflict)
    assert status == 400 and answer["__type"].endswith("ConditionalCheckFailedException")
    code, body = route.response(conflict, account, status, answer)
    assert (code, body["code"]) == (409, "idempotency_conflict"), body
    table = outputs["target_table_names"]["payments"]
    item = boto3.client("dynamodb").get_item(TableName=table, Key={"id": {"S": key}})["Item"]
    assert item["body"]["S"] == '{"amount": 1}'  # nothing of the conflicting request stored


def test_the_integration_role_may_update_its_table_only(outputs, catalog):
    route, _ = route_of(outputs, "payments")
    dynamodb = route.session().client("dynamodb")
    for call in (lambda: dynamodb.get_item(TableName=outputs["target_table_names"]["payments"],
                                           Key={"id": {"S": "x"}}),
                 lambda: dynamodb.update_item(TableName=outputs["status_table_name"], Key={"id": {"S": "x"}},
                                              UpdateExpression="SET a = :a",
                                              ExpressionAttributeValues={":a": {"S": "b"}})):
        with pytest.raises(ClientError) as refused:
            call()
        assert "AccessDenied" in refused.value.response["Error"]["Code"]


def test_a_stored_request_the_processor_fails_goes_to_the_dlq_with_its_reason(client, outputs):
    route, account = route_of(outputs, "payments")
    key, sent = unique_key(), json.dumps({"amount": 3, "fail": "card declined"}).encode()
    assert _update(route, account, json_request("payments", sent, key))[0] == 200

    parked = client.outcome("payments", key, timeout=30)

    assert parked["status"] == "dead_lettered" and parked["reason"] == "ProcessingFailed: card declined", parked
    letters = wait_until(lambda: key in (found := dead_letters(outputs["target_dlq_urls"]["payments"])) and found,
                         10, what="the request in the DLQ")
    assert letters[key]["body"].encode() == sent


@pytest.mark.requires("apigateway-v1-service-integrations")
def test_through_api_gateway_202_then_replay_then_409(client):
    key = unique_key()
    first = client.store("payments", {"amount": 7}, key=key)
    again = client.store("payments", {"amount": 7}, key=key)
    other = client.store("payments", {"amount": 8}, key=key)

    assert (first.status_code, first.json()) == (202, {"id": key, "status": "accepted"}), first.text
    assert (again.status_code, again.json()) == (202, {"id": key, "status": "accepted"}), again.text
    assert (other.status_code, other.json()["code"]) == (409, "idempotency_conflict"), other.text
    assert client.outcome("payments", key)["status"] == "processed"


def test_a_body_over_the_item_limit_is_413_and_nothing_is_stored(outputs):
    route, account = route_of(outputs, "payments")
    key = unique_key()
    request = json_request("payments", json.dumps({"blob": "x" * (410 * 1024)}).encode(), key)

    status, answer = _update(route, account, request)

    assert status == 400, answer
    code, body = route.response(request, account, status, answer)
    assert (code, body["code"]) == (413, "payload_too_large"), body
    table = outputs["target_table_names"]["payments"]
    assert "Item" not in boto3.client("dynamodb").get_item(TableName=table, Key={"id": {"S": key}})
