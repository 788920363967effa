"""The WebSocket API's routes: ``$connect`` registers the connection (who it is comes from the
authorizer; ``?topics=a,b`` subscribes it at once), ``$disconnect`` removes its rows, ``subscribe`` /
``unsubscribe`` / ``publish`` / ``ping`` act on a frame, and ``$default`` answers every other frame
(not JSON, unknown action) with an error frame. A refused frame gets ``{"type": "error", "code",
"message"}`` back; the socket stays open and nothing was written.
"""

from __future__ import annotations

from typing import Any

import boto3
from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.exceptions import BotoCoreError, ClientError

from functions.common.errors import INTERNAL_MESSAGE, HttpError, Unavailable, error_code, is_transient
from functions.websockets.broadcast import Broadcaster
from functions.websockets.config import WebSocketsConfig
from functions.websockets.protocol import Request, connect_topics, error_frame, parse_frame, reply
from functions.websockets.store import ConnectionStore

config = WebSocketsConfig.from_environment()
logger = Logger(service="websockets-socket")
store = ConnectionStore.of(config, boto3.client("dynamodb"))
broadcaster = Broadcaster(config, store, boto3.client("sqs"))


def act(request: Request, connection_id: str) -> str:
    """Carry out one checked frame; the reply frame."""
    if request.action == "ping":
        return reply("pong")
    assert request.topic is not None
    if request.action == "subscribe":
        store.subscribe(connection_id, request.topic)
        return reply("subscribed", topic=request.topic)
    if request.action == "unsubscribe":
        store.unsubscribe(connection_id, request.topic)
        return reply("unsubscribed", topic=request.topic)
    published = broadcaster.publish(request.topic, request.data)
    logger.info("published", extra=published.to_document())
    return reply("published", **published.to_document())


def answer(event: dict[str, Any], route: str, connection_id: str) -> str:
    try:
        return act(parse_frame(event.get("body"), route, config.max_message_bytes, config.heartbeat), connection_id)
    except HttpError as error:
        logger.info("refused", extra={"code": error.code, "reason": error.message, "route": route})
        return error_frame(error)
    except (ClientError, BotoCoreError) as error:
        if isinstance(error, BotoCoreError) or is_transient(error):
            logger.warning("an AWS service failed", extra={"code": error_code(error)})
            return error_frame(Unavailable("a service the broadcast depends on is busy or failing; retry later"))
        logger.exception("an AWS call was refused")
        return error_frame(HttpError(INTERNAL_MESSAGE))
    except Exception:
        logger.exception("unexpected error")
        return error_frame(HttpError(INTERNAL_MESSAGE))


def connected(event: dict[str, Any], connection_id: str) -> dict[str, Any]:
    """Register the connection (refused, with nothing stored, when its topics are bad or the store fails)."""
    subject = str(((event.get("requestContext") or {}).get("authorizer") or {}).get("subject") or "anonymous")
    try:
        topics = connect_topics(event.get("queryStringParameters"))
    except HttpError as error:
        logger.info("connect refused", extra={"reason": error.message})
        return {"statusCode": error.status, "body": error.message}
    try:
        store.connect(connection_id, subject, topics)
    except Exception:
        logger.exception("could not register the connection; refusing it")
        return {"statusCode": 500}
    logger.info("connected", extra={"connection_id": connection_id, "subject": subject, "topics": topics})
    return {"statusCode": 200}


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    request_context = event.get("requestContext") or {}
    route, connection_id = request_context.get("routeKey", "$default"), request_context.get("connectionId", "")
    if route == "$connect":
        return connected(event, connection_id)
    if route == "$disconnect":
        removed = store.remove(connection_id)
        logger.info("disconnected", extra={"connection_id": connection_id, "rows": removed})
        return {"statusCode": 200}
    return {"statusCode": 200, "body": answer(event, route, connection_id)}
