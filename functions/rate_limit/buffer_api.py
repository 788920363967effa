"""``POST /requests`` (accept into the buffer: 202 with the request id) and ``GET /requests/{id}`` (its status).

The request is validated first (nothing recorded or queued for bad input), recorded ``queued`` with a
conditional put, then sent to SQS; if the send fails the record is removed and the caller gets 503.
"""

from __future__ import annotations

import json
import uuid
from decimal import Decimal

import boto3
from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.common.errors import NotFound
from functions.common.rest import rest_resolver
from functions.rate_limit.buffer import check_request_id, expires_at, message, parse_submission
from functions.rate_limit.config import RateLimitConfig

config = RateLimitConfig.from_environment()
assert config.buffer is not None, "RATE_LIMIT_CONFIG lacks the buffer section"
settings = config.buffer
logger = Logger(service="rate_limit_buffer_api")
app = rest_resolver(logger)
table = boto3.resource("dynamodb").Table(settings.status_table)
sqs = boto3.client("sqs")


@app.post("/requests")
def submit() -> Response:
    payload = parse_submission(app.current_event.body, settings.max_payload_bytes)
    request_id = uuid.uuid4().hex
    table.put_item(Item={"id": request_id, "status": "queued", "attempts": 0, "payload": payload,
                         "ttl": expires_at(settings.status_ttl_seconds)},
                   ConditionExpression="attribute_not_exists(id)")
    try:
        sqs.send_message(QueueUrl=settings.queue_url, MessageBody=message(request_id, payload))
    except Exception:
        table.delete_item(Key={"id": request_id})
        raise
    return Response(202, content_types.APPLICATION_JSON, {"requestId": request_id, "status": "queued"},
                    {"Location": f"/requests/{request_id}"})


@app.get("/requests/<request_id>")
def status(request_id: str) -> dict:
    check_request_id(request_id)
    item = table.get_item(Key={"id": request_id}, ConsistentRead=True).get("Item")
    if not item:
        raise NotFound(f"no request {request_id}")
    answer = {"requestId": request_id, "status": item["status"], "attempts": int(item.get("attempts", 0))}
    for optional in ("result", "error"):
        if optional in item:  # DynamoDB numbers back to JSON numbers
            answer[optional] = json.loads(json.dumps(item[optional], default=_number))
    return answer


def _number(value: object) -> int | float:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(f"not JSON: {type(value).__name__}")


@logger.inject_lambda_context
def handler(event: dict, context: LambdaContext) -> dict:
    return app.resolve(event, context)
