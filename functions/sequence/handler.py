"""``POST /sequences/{name}/next``: take ids from a named sequence.

Body (optional JSON object): ``count`` (atomic/block: how many ids, default 1 or the block size),
``item`` (gap-free: the object to insert with the id). Header ``Idempotency-Key``: a retry with the
same key and body returns the same ids. Everything is validated before DynamoDB is touched, so bad
input takes no number.
"""

from __future__ import annotations

from http import HTTPStatus

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types

from functions.common.validation import InvalidInput, json_object
from functions.sequence.client import SequenceClient
from functions.sequence.sequences import (
    Contention,
    IdempotencyKeyReused,
    ItemExists,
    SequenceError,
    SequenceExhausted,
    UnknownSequence,
    parse_request,
)

STATUS = {
    InvalidInput: HTTPStatus.BAD_REQUEST,
    UnknownSequence: HTTPStatus.NOT_FOUND,
    ItemExists: HTTPStatus.CONFLICT,
    SequenceExhausted: HTTPStatus.CONFLICT,
    IdempotencyKeyReused: HTTPStatus.UNPROCESSABLE_ENTITY,
    Contention: HTTPStatus.SERVICE_UNAVAILABLE,
}

logger = Logger(service="sequence")
app = APIGatewayRestResolver()
client = SequenceClient.from_environment()


@app.post("/sequences/<name>/next")
def next_ids(name: str) -> Response:
    settings = client.config.resolve(name)
    body = json_object(app.current_event.body, max_bytes=client.config.max_body_bytes)
    key = app.current_event.headers.get("Idempotency-Key")
    ids = client.take(settings, parse_request(settings, body, key, client.config.max_count))
    headers = {"Idempotent-Replayed": "true"} if ids.replayed else {}
    return Response(HTTPStatus.OK, content_types.APPLICATION_JSON, ids.to_dict(), headers)


@app.exception_handler([InvalidInput, SequenceError])
def refuse(exc: Exception) -> Response:
    status = next((code for kind, code in STATUS.items() if isinstance(exc, kind)), HTTPStatus.BAD_REQUEST)
    logger.info("refused", extra={"status": int(status), "reason": str(exc)})
    headers = {"Retry-After": "1"} if status == HTTPStatus.SERVICE_UNAVAILABLE else {}
    return Response(status, content_types.APPLICATION_JSON, {"message": str(exc)}, headers)


@logger.inject_lambda_context
def handler(event: dict, context: object) -> dict:
    return app.resolve(event, context)
