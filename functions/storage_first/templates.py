"""The mapping templates (VTL) of the storage-first routes, written once: the component deploys them and
the tests render the very same strings.

API Gateway turns the request into the target service's call itself (no Lambda): SQS ``SendMessage``
(form-encoded), EventBridge ``PutEvents``, DynamoDB ``UpdateItem`` and Step Functions ``StartExecution``
(JSON), S3 ``PutObject`` (the body as the object). The responses answer 202
with the stored request's id (the SQS message id, the event id, the idempotency key), map the
service's refusals to 4xx and its failures to 5xx with the catalog's error body, never 200.

Templates use only what API Gateway documents. The SQS ones also avoid ``#if`` and ``$util`` beyond
``urlEncode`` so that the embedded emulator's smaller template engine renders them the same way.

The idempotency key is read under its canonical spelling and in lower case (header lookups in
templates are case-sensitive in some implementations; HTTP/2 clients send lower case): one of the
two is empty. An implementation that ignores case would see the key twice: still one value per key.
"""

from __future__ import annotations

import json

from functions.common.errors import error_body

IDEMPOTENCY_HEADER = "Idempotency-Key"
SET_KEY = f"#set($key = \"$input.params('{IDEMPOTENCY_HEADER}')$input.params('{IDEMPOTENCY_HEADER.lower()}')\")\n"
KEY_ATTRIBUTE = "idempotency-key"
# The body as a JSON string's content. escapeJavaScript also escapes ' as \' (not valid JSON): undone.
ESCAPED_BODY = "$util.escapeJavaScript($input.body).replaceAll(\"\\\\'\", \"'\")"
ACCEPTED = '{"id": "%s", "status": "accepted"}'


def error(message: str, code: str) -> str:
    """The catalog's error body as a template (no VTL in it)."""
    return json.dumps(error_body(message, code))


def sqs_request(fifo: bool, group: str) -> str:
    """``SendMessage``: the body unchanged; on a FIFO queue the idempotency key is the deduplication id
    (a repeat within SQS's five-minute window stores nothing) and every request joins ``group``."""
    template = "Action=SendMessage&MessageBody=$util.urlEncode($input.body)"
    if fifo:
        template = SET_KEY + template + (
            f"&MessageGroupId={group}&MessageDeduplicationId=$util.urlEncode($key)"
            f"&MessageAttribute.1.Name={KEY_ATTRIBUTE}&MessageAttribute.1.Value.DataType=String"
            "&MessageAttribute.1.Value.StringValue=$util.urlEncode($key)")
    return template


SQS_ACCEPTED = ACCEPTED % "$input.path('$.SendMessageResponse.SendMessageResult.MessageId')"


def eventbridge_request(bus_name: str, source: str, detail_type: str) -> str:
    """``PutEvents``: one event whose detail is the body (a JSON object: the route's schema says so)."""
    return (f"#set($detail = {ESCAPED_BODY})\n"
            + json.dumps({"Entries": [{"EventBusName": bus_name, "Source": source, "DetailType": detail_type,
                                       "Detail": "$detail"}]}))


# PutEvents answers 200 even when it refused the entry: the count of failed entries says so.
EVENTBRIDGE_ACCEPTED = (
    "#set($failed = $input.path('$.FailedEntryCount'))\n"
    "#if($failed != 0)\n"
    "#set($context.responseOverride.status = 502)\n"
    + error("the event bus did not take the request; retry later", "unavailable") + "\n"
    "#else\n"
    + ACCEPTED % "$input.path('$.Entries[0].EventId')" + "\n"
    "#end"
)


def dynamodb_request(table_name: str) -> str:
    """``UpdateItem`` keyed by the idempotency key: stored once; the same key with the same body again
    changes nothing and answers 202 (a replay); with another body the condition fails (409).

    ``UpdateItem`` rather than ``PutItem``: it returns the stored item (``ALL_NEW``), whose id the
    response reports. ``#`` starts a VTL directive, so attribute name placeholders go through ``$h``.
    """
    return ('#set($h = "#")\n'
            f"#set($body = {ESCAPED_BODY})\n"
            + SET_KEY
            + "#set($key = $util.escapeJavaScript($key))\n"
            + json.dumps({
                "TableName": table_name,
                "Key": {"id": {"S": "$key"}},
                "UpdateExpression": "SET ${h}b = :body, ${h}r = if_not_exists(${h}r, :received), "
                                    "${h}q = if_not_exists(${h}q, :request)",
                "ConditionExpression": "attribute_not_exists(id) OR ${h}b = :body",
                "ExpressionAttributeNames": {"${h}b": "body", "${h}r": "received_at", "${h}q": "request_id"},
                "ExpressionAttributeValues": {":body": {"S": "$body"}, ":received": {"N": "$context.requestTimeEpoch"},
                                              ":request": {"S": "$context.requestId"}},
                "ReturnValues": "ALL_NEW",
            }))


DYNAMODB_ACCEPTED = ACCEPTED % "$util.escapeJavaScript($input.path('$.Attributes.id.S'))"
DYNAMODB_REFUSED = (
    "#set($type = \"$input.path('$.__type')\")\n"
    "#if($type.contains('ConditionalCheckFailed'))\n"
    "#set($context.responseOverride.status = 409)\n"
    + error(f"this {IDEMPOTENCY_HEADER} was used before with a different body; nothing was stored",
            "idempotency_conflict") + "\n"
    "#else\n"
    "#set($context.responseOverride.status = 413)\n"
    + error("the table refused the request: the body is over the item size limit (400 KB)",
            "payload_too_large") + "\n"
    "#end"
)


def stepfunctions_request(state_machine_arn: str) -> str:
    """``StartExecution`` named by the idempotency key, with the body as the execution's input: one
    execution per key (Step Functions refuses a second one with that name: 409)."""
    return (f"#set($body = {ESCAPED_BODY})\n"
            + SET_KEY
            + "#set($key = $util.escapeJavaScript($key))\n"
            + json.dumps({"stateMachineArn": state_machine_arn, "name": "$key", "input": "$body"}))


# The id is the execution's name (the key): the last field of its ARN.
STEPFUNCTIONS_ACCEPTED = ACCEPTED % "$util.escapeJavaScript($input.path('$.executionArn').split(':').get(7))"
STEPFUNCTIONS_REFUSED = (
    "#set($type = \"$input.path('$.__type')\")\n"
    "#if($type.contains('ExecutionAlreadyExists'))\n"
    "#set($context.responseOverride.status = 409)\n"
    + error(f"this {IDEMPOTENCY_HEADER} was used before: its execution exists, nothing was started",
            "idempotency_conflict") + "\n"
    "#else\n"
    + error(f"the workflow refused the request: {IDEMPOTENCY_HEADER} must be 1-80 letters, digits, '-' or '_', "
            "and the body at most 256 KB", "invalid_input") + "\n"
    "#end"
)


# ``PutObject`` (``PUT s3:path/<bucket>/{key}``, the key mapped from ``context.requestId``): the body as
# the object, unchanged; bodies up to API Gateway's 10 MB payload limit.
S3_REQUEST = "$input.body"
S3_ACCEPTED = ACCEPTED % "$context.requestId"
