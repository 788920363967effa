"""The backend's other way in: events on an EventBridge bus (``detail-type`` "WebSocket publish",
``detail`` ``{"topic", "data"}``) reach this consumer through a queue, and are published like a
client's ``publish``. The event's id is the message id, so a redelivered event carries the same id
to every client. An event that cannot be published (no topic, no data, too large) goes straight to
the DLQ with the reason; a failure to publish is retried, then redriven to the DLQ."""

from __future__ import annotations

import json
from typing import Any

import boto3
from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.common.errors import HttpError, InvalidInput
from functions.common.queues import dead_letter
from functions.websockets.broadcast import Broadcaster
from functions.websockets.config import WebSocketsConfig
from functions.websockets.protocol import validate_topic
from functions.websockets.store import ConnectionStore

config = WebSocketsConfig.from_environment()
logger = Logger(service="websockets-events")
sqs = boto3.client("sqs")
broadcaster = Broadcaster(config, ConnectionStore.of(config, boto3.client("dynamodb")), sqs)
processor = BatchProcessor(event_type=EventType.SQS)


def publish_request(body: str) -> tuple[str, Any, str | None]:
    """``(topic, data, event id)`` of an EventBridge event; :class:`InvalidInput` when it has none."""
    try:
        event = json.loads(body)
    except ValueError:
        raise InvalidInput("not an EventBridge event: the body is not JSON") from None
    detail = event.get("detail") if isinstance(event, dict) else None
    if not isinstance(detail, dict) or "data" not in detail:
        raise InvalidInput("the event's detail must be an object with 'topic' and 'data'")
    return validate_topic(detail.get("topic")), detail["data"], str(event.get("id") or "") or None


def process(record: SQSRecord) -> None:
    try:
        topic, data, event_id = publish_request(record.body)
        published = broadcaster.publish(topic, data, message_id=event_id)
    except HttpError as refused:  # bad input: no retry can help
        if refused.status >= 500:
            raise
        reason = f"{refused.code}: {refused.message}"
        dead_letter(sqs, config.dlq_url, record.body, reason, attribute="error", limit=500)
        logger.warning("dead-lettered an event that cannot be published", extra={"reason": refused.message})
        return
    logger.info("published", extra=published.to_document())


@logger.inject_lambda_context
def handler(event: dict, context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(event=event, record_handler=process, processor=processor, context=context)
