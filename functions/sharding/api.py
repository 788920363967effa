"""The router's HTTP API.

- ``POST /messages`` ``{"key", "body", "id"?}`` -> 202 ``{"id", "key", "shard", "seq", "membership_version", ...}``:
  the message is on its shard's FIFO queue (message group = key). ``id`` (optional) makes a retry safe.
- ``GET /membership/{version}`` (``current`` or a number) -> the membership document; 404
  ``unknown_membership_version``.
- ``POST /membership`` ``{"expected_version", "add" | "remove" | "shards", ...}`` -> 201, the next version
  (the resharding step; keys move as their old shard drains them); 409 ``membership_changed``.
- ``POST /membership/plan`` ``{"from_version", "to_version" | "to", "keys" | "sample"}`` -> the move plan.
- ``GET /keys/{key}`` -> the key's routing state: its shard, messages in flight, where the membership
  would place it.

Every body is validated in full before anything is written (a refused request changes nothing).
"""

from __future__ import annotations

import boto3
from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.common.errors import NotFound
from functions.common.rest import rest_resolver
from functions.common.validation import json_object
from functions.sharding.client import ShardedQueueClient
from functions.sharding.config import ShardingConfig
from functions.sharding.messages import validate_key
from functions.sharding.requests import membership_change, parse_message, parse_plan, parse_version

config = ShardingConfig.from_environment()
logger = Logger(service="sharding-router")
app = rest_resolver(logger)
client = ShardedQueueClient(config, dynamodb=boto3.client("dynamodb"), sqs=boto3.client("sqs"))
PLAN_BODY_BYTES = 4 * 1024 * 1024


@app.post("/messages")
def send() -> Response:
    body = json_object(app.current_event.body, max_bytes=config.max_body_bytes + 2048, required=True)
    key, payload, message_id = parse_message(body, config.max_body_bytes)
    sent = client.send(key, payload, message_id)
    logger.info("routed", extra=sent.to_document())
    return Response(202, "application/json", sent.to_document())


@app.get("/membership/<version>")
def membership(version: str) -> dict:
    if version == "current":
        return client.membership().to_document()
    return client.membership(parse_version(version, "version")).to_document()


@app.post("/membership")
def publish() -> Response:
    body = json_object(app.current_event.body, required=True)
    current = client.membership()
    expected, following = membership_change(body, current)
    published = client.publish(following, expected)
    logger.info("membership published", extra={"version": published.version, "shards": list(published.names)})
    return Response(201, "application/json", {"membership": published.to_document(), "previous_version": expected})


@app.post("/membership/plan")
def plan() -> dict:
    body = json_object(app.current_event.body, max_bytes=PLAN_BODY_BYTES, required=True)
    request = parse_plan(body, config.max_plan_keys)
    before = client.membership(request.from_version)
    after = request.proposal(before, client) if request.to is not None else client.membership(request.to_version)
    return client.plan(before, after, request.keys).to_document(include_moves=request.include_moves)


@app.get("/keys/<key>")
def key_state(key: str) -> dict:
    state = client.state(validate_key(key))
    if state is None:
        raise NotFound(f"no message was ever routed for key {key!r}")
    return state


@logger.inject_lambda_context
def handler(event: dict, context: LambdaContext) -> dict:
    return app.resolve(event, context)
