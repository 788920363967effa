"""``POST /sequences/{name}/next``: take ids from a named sequence.

Body (optional JSON object): ``count`` (atomic/block: how many ids, default 1 or the block size),
``item`` (gap-free: the object to insert with the id). Header ``Idempotency-Key``: a retry with the
same key and body returns the same ids. Everything is validated before DynamoDB is touched, so bad
input takes no number.
"""

from __future__ import annotations

from http import HTTPStatus

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.common.rest import rest_resolver
from functions.common.validation import json_object
from functions.sequence.client import SequenceClient
from functions.sequence.sequences import parse_request

logger = Logger(service="sequence")
app = rest_resolver(logger)
client = SequenceClient.from_environment()


@app.post("/sequences/<name>/next")
def next_ids(name: str) -> Response:
    settings = client.config.resolve(name)
    body = json_object(app.current_event.body, max_bytes=client.config.max_body_bytes)
    key = app.current_event.headers.get("Idempotency-Key")
    ids = client.take(settings, parse_request(settings, body, key, client.config.max_count))
    headers = {"Idempotent-Replayed": "true"} if ids.replayed else {}
    return Response(HTTPStatus.OK, content_types.APPLICATION_JSON, ids.to_dict(), headers)


@logger.inject_lambda_context
def handler(event: dict, context: LambdaContext) -> dict:
    return app.resolve(event, context)
