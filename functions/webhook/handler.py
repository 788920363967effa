"""``POST /webhooks/{source}``: verify the signature over the exact bytes received, then publish once.

Answers 200 ``published`` or ``duplicate``; 401 (signature / timestamp), 404 (unknown source),
400 (not JSON), 413 (too large) with a message and nothing published; 409 while the same delivery
is being processed; 503 if the bus did not take the event or a store it needs (secrets, delivery
ids) did not answer: the sender should retry.
"""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
    IdempotencyPersistenceLayerError,
)
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.exceptions import BotoCoreError, ClientError

from functions.common.errors import INTERNAL_MESSAGE, Conflict, HttpError, Unavailable, error_response
from functions.webhook import ingest
from functions.webhook.delivery import request_from_api_event
from functions.webhook.publish import PublishFailed
from functions.webhook.schemes import Rejected

logger = ingest.logger


def _response(status: int, body: dict[str, Any]) -> dict[str, Any]:
    return {"statusCode": status, "headers": {"Content-Type": "application/json"}, "body": json.dumps(body)}


@logger.inject_lambda_context
def handler(event: dict, context: LambdaContext) -> dict:
    ingest.register_lambda_context(context)
    try:
        return _handle(event)
    except Exception:  # the caller gets the contract's 500, never a traceback
        logger.exception("unexpected error")
        return error_response(HttpError(INTERNAL_MESSAGE))


def _handle(event: dict) -> dict:
    request = request_from_api_event(event)
    try:
        delivery = ingest.verify(request, mode="sync")
    except Rejected as exc:
        logger.info("rejected", extra={"source": request.source[:64], "status": exc.status, "reason": exc.reason})
        return error_response(exc)
    except (BotoCoreError, ClientError):
        logger.exception("signing secrets unavailable", extra={"source": request.source[:64]})
        return error_response(Unavailable("the signing secrets could not be read; retry later"))
    if delivery.challenge is not None:
        return _response(200, {"challenge": delivery.challenge})
    try:
        result = ingest.publish_once(delivery=ingest.as_payload(delivery))
    except IdempotencyAlreadyInProgressError:
        return error_response(Conflict("this delivery is being processed; retry later", code="in_progress"))
    except PublishFailed as exc:
        logger.error("publish failed", extra={"source": delivery.source, "reason": str(exc)})
        return error_response(Unavailable("the event could not be published; retry later"))
    except IdempotencyPersistenceLayerError:
        logger.exception("delivery-id store unavailable", extra={"source": delivery.source})
        return error_response(Unavailable("the delivery could not be recorded; retry later"))
    return _response(200, {**result, "delivery_id": delivery.delivery_id})
