"""The Step Functions route (``StartExecution`` named by the Idempotency-Key), proven in two halves where
the emulator lacks API Gateway -> Step Functions integrations: the deployed route's templates rendered
by airspeed for a real request, the rendered call made with the integration's own role against the
emulator's Step Functions (the execution's input is the body sent; its first state runs the consumer
with retries), and the response templates over the service's answers (202 with the key, 409 for a
reused key). The same behaviour through API Gateway runs where the target has the integration."""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.exceptions import ClientError

from tests.e2e.storage_first.support import dead_letters, json_request, route_of, unique_key
from tests.e2e.support import wait_until


def _start(route, account, request):
    """Half one: the rendered StartExecution with the integration's role; (status, answer) as the
    integration sees them (Step Functions' JSON error body on a refusal)."""
    call = route.service_request(request, account)
    try:
        answer = route.session().client("stepfunctions").start_execution(**call)
    except ClientError as exc:
        return exc.response["ResponseMetadata"]["HTTPStatusCode"], {
            "__type": exc.response["Error"]["Code"], "message": exc.response["Error"].get("Message", "")}
    return 200, {"executionArn": answer["executionArn"], "startDate": 0}


def test_rendered_request_starts_one_execution_with_the_body_and_the_consumer_processes_it(client, outputs):
    route, account = route_of(outputs, "workflows")
    key, sent = unique_key(), b'{"order": "o-1", "note": "it\'s \\"quoted\\" / caf\xc3\xa9"}'
    request = json_request("workflows", sent, key)

    call = route.service_request(request, account)
    assert call["stateMachineArn"] == outputs["target_state_machine_arns"]["workflows"]
    assert call["name"] == key and call["input"].encode() == sent  # the execution's input: the bytes sent
    assert route.uri.endswith(":states:action/StartExecution")

    status, answer = _start(route, account, request)
    assert status == 200, answer
    assert route.response(request, account, status, answer) == (202, {"id": key, "status": "accepted"})
    stored = boto3.client("stepfunctions").describe_execution(executionArn=answer["executionArn"])
    assert stored["input"].encode() == sent
    outcome = client.outcome("workflows", key, timeout=30)
    assert outcome["status"] == "processed" and outcome["attempts"] == 1, outcome


def test_a_reused_key_is_409_and_starts_nothing(outputs):
    route, account = route_of(outputs, "workflows")
    key = unique_key()
    assert _start(route, account, json_request("workflows", b'{"n": 1}', key))[0] == 200

    again = json_request("workflows", b'{"n": 2}', key)
    status, answer = _start(route, account, again)

    assert status == 400 and answer["__type"] == "ExecutionAlreadyExists", answer
    code, body = route.response(again, account, status, answer)
    assert (code, body["code"]) == (409, "idempotency_conflict"), body
    machine = outputs["target_state_machine_arns"]["workflows"]
    executions = boto3.client("stepfunctions").list_executions(stateMachineArn=machine)["executions"]
    assert [e["name"] for e in executions].count(key) == 1


def test_a_request_the_processor_fails_is_retried_then_parked_with_its_reason(client, outputs):
    route, account = route_of(outputs, "workflows")
    key, sent = unique_key(), json.dumps({"order": "o-3", "fail": "no stock"}).encode()
    assert _start(route, account, json_request("workflows", sent, key))[0] == 200

    parked = client.outcome("workflows", key, timeout=40)

    assert parked["status"] == "dead_lettered" and parked["attempts"] == 2, parked
    assert parked["reason"] == "ProcessingFailed: no stock"
    letters = wait_until(lambda: key in (found := dead_letters(outputs["target_dlq_urls"]["workflows"])) and found,
                         10, what="the request in the DLQ")
    assert json.loads(letters[key]["body"]) == json.loads(sent)


@pytest.mark.requires("apigateway-v1-service-integrations")
def test_through_api_gateway_202_then_409_for_the_same_key(client):
    key = unique_key()
    first = client.store("workflows", {"order": "o-4"}, key=key)
    again = client.store("workflows", {"order": "o-4"}, key=key)

    assert (first.status_code, first.json()) == (202, {"id": key, "status": "accepted"}), first.text
    assert (again.status_code, again.json()["code"]) == (409, "idempotency_conflict"), again.text
    assert client.outcome("workflows", key, timeout=30)["status"] == "processed"
