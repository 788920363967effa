"""Events from the bus (a rule sends them to the ingest queue): each becomes a message, fanned out
like ``POST /messages``. The event's ``detail-type`` is the event type, its ``detail`` the payload,
its ``id`` the message id, so a redelivered event is recognised and not sent twice. An event the
dispatcher cannot take (unknown type, too large) goes to the ingest DLQ with the reason."""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.common.errors import HttpError
from functions.common.queues import dead_letter
from functions.webhook_delivery.requests import check_id
from functions.webhook_delivery.runtime import dispatcher as build

config, dispatcher, logger = build("webhook-delivery-ingest")
processor = BatchProcessor(event_type=EventType.SQS)


def process(record: SQSRecord) -> str:
    try:
        event = json.loads(record.body)
        event_type = event["detail-type"]
        if event_type not in config.event_types:
            raise ValueError(f"unknown event type {event_type!r}")
        published = dispatcher.publish(check_id(event["id"], "the event id"), event_type, event.get("detail"))
    except (ValueError, KeyError, TypeError, HttpError) as exc:
        reason = getattr(exc, "message", None) or f"not an EventBridge event: {exc}"
        dead_letter(dispatcher.sqs, config.ingest_dlq_url, record.body, str(reason))
        logger.warning("event refused", reason=reason)
        return "refused"
    return "duplicate" if published.duplicate else "published"


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(event=event, record_handler=process, processor=processor, context=context)
