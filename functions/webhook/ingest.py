"""What both verifiers share at run time: configuration, the secret cache, and publishing each
delivery once (recorded with a conditional put and a TTL through Powertools idempotency).

A delivery id is recorded as in progress before PutEvents and completed after it. If publishing
fails the record is removed, so the sender's retry is processed afresh; a repeat of a completed
delivery returns the stored result, marked ``duplicate``, and publishes nothing.
"""

from __future__ import annotations

from typing import Any

import boto3
from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.idempotency.persistence.datarecord import DataRecord

from functions.webhook.config import WebhookConfig
from functions.webhook.delivery import Delivery, Request, accept
from functions.webhook.publish import put_event
from functions.webhook.schemes import Rejected
from functions.webhook.secrets import SecretCache

logger = Logger(service="webhook")
CONFIG = WebhookConfig.from_environment()
secret_cache = SecretCache(ttl_seconds=CONFIG.secret_cache_seconds, refresh_seconds=CONFIG.secret_refresh_seconds)
events = boto3.client("events")


def _mark_duplicate(response: Any, idempotent_data: DataRecord) -> Any:
    return {**response, "status": "duplicate"}


idempotency = IdempotencyConfig(
    event_key_jmespath="[source, delivery_id]",
    raise_on_no_idempotency_key=True,
    expires_after_seconds=CONFIG.dedup_seconds,
    response_hook=_mark_duplicate,
)
deliveries = DynamoDBPersistenceLayer(table_name=CONFIG.deliveries_table)


def verify(request: Request, mode: str) -> Delivery:
    """Check the request against its source's secrets; after a mismatch, once more with fresh secrets."""
    source = CONFIG.source(request.source)
    try:
        return accept(CONFIG, request, secret_cache.get(source.secret), request.received_at, mode)
    except Rejected as exc:
        fresh = secret_cache.refresh(source.secret) if exc.secret_mismatch else None
        if fresh is None:
            raise
        return accept(CONFIG, request, fresh, request.received_at, mode)


@idempotent_function(data_keyword_argument="delivery", persistence_store=deliveries, config=idempotency,
                     key_prefix="webhook")
def publish_once(delivery: dict[str, Any]) -> dict[str, Any]:
    """Publish ``delivery["entry"]`` unless this (source, delivery id) was published before."""
    event_id = put_event(events, CONFIG.event_bus_name, delivery["entry"])
    logger.info("published", extra={"source": delivery["source"], "delivery_id": delivery["delivery_id"],
                                     "event_id": event_id})
    return {"status": "published", "event_id": event_id}


def as_payload(delivery: Delivery) -> dict[str, Any]:
    return {"source": delivery.source, "delivery_id": delivery.delivery_id, "entry": delivery.entry}
