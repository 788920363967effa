"""The backend's way in: ``POST /topics/{topic}/messages`` ``{"data": ...}`` -> 202 ``{"topic", "id",
"recipients", "deliveries"}``, the same fan-out as a client's ``publish`` (behind ``IamAuth`` by
default). 400 for a bad topic or body, 413 when the message would exceed the WebSocket limit; a
refused request sends nothing."""

from __future__ import annotations

import boto3
from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.common.errors import InvalidInput
from functions.common.rest import rest_resolver
from functions.common.validation import json_object
from functions.websockets.broadcast import Broadcaster
from functions.websockets.config import WebSocketsConfig
from functions.websockets.protocol import validate_topic
from functions.websockets.store import ConnectionStore

config = WebSocketsConfig.from_environment()
logger = Logger(service="websockets-api")
app = rest_resolver(logger)
broadcaster = Broadcaster(config, ConnectionStore.of(config, boto3.client("dynamodb")),
                          boto3.client("sqs"))


@app.post("/topics/<topic>/messages")
def publish(topic: str) -> Response:
    validate_topic(topic)
    body = json_object(app.current_event.body, max_bytes=2 * config.max_message_bytes, required=True)
    if "data" not in body:
        raise InvalidInput("'data' is required: what to send to the topic's subscribers (any JSON value)")
    published = broadcaster.publish(topic, body["data"])
    logger.info("published", extra=published.to_document())
    return Response(202, "application/json", published.to_document())


@logger.inject_lambda_context
def handler(event: dict, context: LambdaContext) -> dict:
    return app.resolve(event, context)
