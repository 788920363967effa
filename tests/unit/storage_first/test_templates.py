"""The storage-first mapping templates rendered by airspeed (the Velocity engine LocalStack uses) with
API Gateway's variables: each target's service call carries the body byte for byte, the key where one
is required, and each response template answers as documented (202 with the id, 409, 413, 5xx)."""

from __future__ import annotations

import json
import urllib.parse

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from functions.storage_first import templates
from tests.gateway_templates import Request, escape_javascript, json_path, render

BODIES = [b'{"a": 1}', b'{"note": "it\'s \\"quoted\\" \\\\ / caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x98\x80"}',
          b'{\n\t"multi": "line"\n}', b'{"empty": ""}']


def _render(template: str, body: bytes, key: str | None = None, service_answer: dict | None = None):
    headers = {"Content-Type": "application/json", **({"Idempotency-Key": key} if key else {})}
    request = Request("POST", "/t", body, headers)
    text = body.decode() if service_answer is None else json.dumps(service_answer)
    rendered, context = render(template, text, request, "123456789012", "api1")
    return rendered, context, request


@pytest.mark.parametrize("body", BODIES)
def test_sqs_send_message_carries_the_body_unchanged(body):
    rendered, _, _ = _render(templates.sqs_request(False, "orders"), body)
    form = dict(urllib.parse.parse_qsl(rendered, keep_blank_values=True))
    assert form == {"Action": "SendMessage", "MessageBody": body.decode()}


def test_fifo_send_message_uses_the_key_as_deduplication_id_and_keeps_it_as_an_attribute():
    rendered, _, _ = _render(templates.sqs_request(True, "ledger"), b'{"a": 1}', key="k/1 é")
    form = dict(urllib.parse.parse_qsl(rendered))
    assert form["MessageDeduplicationId"] == "k/1 é" and form["MessageGroupId"] == "ledger"
    assert (form["MessageAttribute.1.Name"], form["MessageAttribute.1.Value.StringValue"]) == ("idempotency-key",
                                                                                               "k/1 é")


def test_the_key_is_read_in_lower_case_too_as_http2_clients_send_it():
    request = Request("POST", "/t", b"{}", {"Content-Type": "application/json", "idempotency-key": "lower"})
    rendered, _ = render(templates.sqs_request(True, "g"), "{}", request, "1", "a")
    assert dict(urllib.parse.parse_qsl(rendered))["MessageDeduplicationId"] == "lower"


@pytest.mark.parametrize("body", BODIES)
def test_eventbridge_detail_is_the_body(body):
    rendered, _, _ = _render(templates.eventbridge_request("bus", "storage-first.e", "e"), body)
    [entry] = json.loads(rendered)["Entries"]
    assert json.loads(entry["Detail"]) == json.loads(body)
    assert (entry["EventBusName"], entry["Source"], entry["DetailType"]) == ("bus", "storage-first.e", "e")


@pytest.mark.parametrize("body", BODIES)
def test_dynamodb_update_stores_the_body_byte_for_byte_under_the_key(body):
    rendered, _, request = _render(templates.dynamodb_request("tbl"), body, key='k"1')
    call = json.loads(rendered)
    assert call["Key"] == {"id": {"S": 'k"1'}} and call["TableName"] == "tbl"
    values = call["ExpressionAttributeValues"]
    assert values[":body"]["S"].encode() == body
    assert values[":request"]["S"] == request.request_id and int(values[":received"]["N"]) == request.time_epoch_ms
    assert call["ConditionExpression"] == "attribute_not_exists(id) OR #b = :body"


@settings(max_examples=60, deadline=None)
@given(st.dictionaries(st.text(max_size=8), st.one_of(st.text(max_size=20), st.integers()), max_size=4))
def test_any_json_object_survives_the_dynamodb_and_eventbridge_templates(document):
    body = json.dumps(document, ensure_ascii=False).encode()
    dynamodb, _, _ = _render(templates.dynamodb_request("t"), body, key="k")
    assert json.loads(dynamodb)["ExpressionAttributeValues"][":body"]["S"].encode() == body
    events, _, _ = _render(templates.eventbridge_request("b", "s", "d"), body)
    assert json.loads(json.loads(events)["Entries"][0]["Detail"]) == document


def test_accepted_responses_carry_the_stored_id():
    sqs = {"SendMessageResponse": {"SendMessageResult": {"MessageId": "m-1"}}}
    assert json.loads(_render(templates.SQS_ACCEPTED, b"", service_answer=sqs)[0]) == {"id": "m-1",
                                                                                       "status": "accepted"}
    events = {"FailedEntryCount": 0, "Entries": [{"EventId": "e-1"}]}
    rendered, context, _ = _render(templates.EVENTBRIDGE_ACCEPTED, b"", service_answer=events)
    assert json.loads(rendered) == {"id": "e-1", "status": "accepted"}
    assert context["responseOverride"]["status"] is None
    stored = {"Attributes": {"id": {"S": 'k"1'}}}
    assert json.loads(_render(templates.DYNAMODB_ACCEPTED, b"", service_answer=stored)[0])["id"] == 'k"1'


def test_a_put_events_answer_with_a_failed_entry_is_502_not_200():
    rendered, context, _ = _render(templates.EVENTBRIDGE_ACCEPTED, b"", service_answer={
        "FailedEntryCount": 1, "Entries": [{"ErrorCode": "InternalFailure"}]})
    assert context["responseOverride"]["status"] == 502
    assert json.loads(rendered)["code"] == "unavailable"


@pytest.mark.parametrize(("error_type", "status", "code"), [
    ("com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException", 409, "idempotency_conflict"),
    ("com.amazon.coral.validate#ValidationException", 413, "payload_too_large"),
])
def test_dynamodb_refusals_are_409_for_a_reused_key_and_413_otherwise(error_type, status, code):
    rendered, context, _ = _render(templates.DYNAMODB_REFUSED, b"", service_answer={"__type": error_type,
                                                                                    "message": "x"})
    assert context["responseOverride"]["status"] == status
    assert json.loads(rendered)["code"] == code


def test_escape_javascript_matches_the_java_implementation():
    assert escape_javascript("it's \"q\" \\ / é\n") == "it\\'s \\\"q\\\" \\\\ \\/ \\u00E9\\n"
    assert escape_javascript("😀") == "\\uD83D\\uDE00"


def test_json_path_subset():
    document = {"a": {"b": [{"c": 1}]}, "x-y": 2}
    assert json_path(document, "$.a.b[0].c") == 1 and json_path(document, "$['x-y']") == 2
    assert json_path(document, "$.missing.c") is None and json_path(document, "$") == document


@pytest.mark.parametrize("body", BODIES)
def test_step_functions_execution_is_named_by_the_key_with_the_body_as_input(body):
    rendered, _, _ = _render(templates.stepfunctions_request("arn:aws:states:r:1:stateMachine:m"), body, key="k-1")
    assert json.loads(rendered) == {"stateMachineArn": "arn:aws:states:r:1:stateMachine:m", "name": "k-1",
                                    "input": body.decode()}


def test_step_functions_answers_carry_the_execution_name_and_a_reused_key_is_409():
    started = {"executionArn": "arn:aws:states:r:1:execution:m:k-1", "startDate": 1}
    assert json.loads(_render(templates.STEPFUNCTIONS_ACCEPTED, b"", service_answer=started)[0]) == {
        "id": "k-1", "status": "accepted"}
    rendered, context, _ = _render(templates.STEPFUNCTIONS_REFUSED, b"", service_answer={
        "__type": "ExecutionAlreadyExists", "message": "x"})
    assert context["responseOverride"]["status"] == 409 and json.loads(rendered)["code"] == "idempotency_conflict"
    rendered, context, _ = _render(templates.STEPFUNCTIONS_REFUSED, b"", service_answer={
        "__type": "InvalidName", "message": "x"})
    assert context["responseOverride"]["status"] is None and json.loads(rendered)["code"] == "invalid_input"


@pytest.mark.parametrize("body", BODIES)
def test_s3_object_is_the_body_unchanged_and_the_202_carries_the_request_id(body):
    rendered, _, request = _render(templates.S3_REQUEST, body)
    assert rendered.encode() == body
    assert json.loads(_render(templates.S3_ACCEPTED, b"", service_answer={})[0])["id"]
    accepted, _ = render(templates.S3_ACCEPTED, "", request, "1", "a")
    assert json.loads(accepted) == {"id": request.request_id, "status": "accepted"}
