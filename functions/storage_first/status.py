"""``GET /<target>/{id}``: what happened to a stored request, as its consumer recorded it.

``processed``, ``retrying`` (with the last failure's reason and the attempts so far) or
``dead_lettered`` (with the reason; the request is in the target's DLQ). A ``dynamodb`` target also
answers ``stored`` for a request in its table that no consumer finished yet. 404 otherwise: a queued
request is not visible until its consumer sees it (a queue cannot be searched by id).
"""

from __future__ import annotations

import boto3
from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.common.errors import InvalidInput, NotFound
from functions.common.rest import rest_resolver
from functions.storage_first.config import StorageFirstConfig
from functions.storage_first.store import DynamoStatusStore

MAX_ID_LENGTH = 256

config = StorageFirstConfig.from_environment()
logger = Logger(service="storage-first-status")
app = rest_resolver(logger)
dynamodb = boto3.client("dynamodb")
store = DynamoStatusStore(dynamodb, config.status_table, config.status_ttl_seconds)


@app.get("/<target>/<request_id>")
def status(target: str, request_id: str) -> dict:
    if target not in config.targets:
        raise NotFound(f"no storage-first target {target[:64]!r}")
    if not request_id or len(request_id) > MAX_ID_LENGTH:
        raise InvalidInput(f"a request id has 1 to {MAX_ID_LENGTH} characters")
    found = store.status(target, request_id)
    if found is not None:
        return found
    settings = config.targets[target]
    if settings.kind == "dynamodb" and dynamodb.get_item(
            TableName=settings.source.rsplit("/", 1)[-1], Key={"id": {"S": request_id}},
            ProjectionExpression="id", ConsistentRead=True).get("Item"):
        return {"target": target, "id": request_id, "status": "stored", "attempts": 0}
    raise NotFound(f"no outcome for request {request_id[:64]!r} of {target!r} yet: it is waiting to be "
                   "processed, or unknown")


@logger.inject_lambda_context
def handler(event: dict, context: LambdaContext) -> dict:
    return app.resolve(event, context)
