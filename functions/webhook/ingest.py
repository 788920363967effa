"""What both verifiers share at run time: configuration, the secret cache, and publishing each
delivery once (recorded with conditional puts and a TTL through Powertools idempotency).

A delivery is published only if each of its replay keys is new (``delivery.replay_keys``: its
delivery id when that is signed, else the digest of its signed material, and for a timestamped
scheme with an unsigned delivery id both), so a captured delivery re-posted with a new value in a
header the signature does not cover (GitHub's ``X-GitHub-Delivery`` and ``X-GitHub-Event``, a
generic scheme's delivery header) can never be republished, under any event type; and most
deliveries need one record, not two.

Each record is written as in progress before PutEvents and completed after it. If publishing fails
the records are removed, so the sender's retry is processed afresh; a repeat of a completed delivery
returns the stored result, marked ``duplicate``, and publishes nothing.
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
    event_key_jmespath="[source, replay_keys[0]]",
    raise_on_no_idempotency_key=True,
    expires_after_seconds=CONFIG.dedup_seconds,
    response_hook=_mark_duplicate,
)
by_second_key = IdempotencyConfig(
    event_key_jmespath="[source, replay_keys[1]]",
    raise_on_no_idempotency_key=True,
    expires_after_seconds=CONFIG.dedup_seconds,
    response_hook=_mark_duplicate,
)
# One persistence layer per key: Powertools configures a layer with the key of the function it serves.
deliveries = DynamoDBPersistenceLayer(table_name=CONFIG.deliveries_table)
second_keys = DynamoDBPersistenceLayer(table_name=CONFIG.deliveries_table)


def register_lambda_context(context: Any) -> None:
    """Both records expire with the invocation's remaining time if the function dies mid-delivery."""
    idempotency.register_lambda_context(context)
    by_second_key.register_lambda_context(context)


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
    """Publish ``delivery["entry"]`` unless a delivery with one of its replay keys was published before."""
    if len(delivery["replay_keys"]) > 1:
        return _publish_once_by_second_key(delivery=delivery)
    return _publish(delivery)


@idempotent_function(data_keyword_argument="delivery", persistence_store=second_keys, config=by_second_key,
                     key_prefix="webhook-second")
def _publish_once_by_second_key(delivery: dict[str, Any]) -> dict[str, Any]:
    return _publish(delivery)


def _publish(delivery: dict[str, Any]) -> dict[str, Any]:
    event_id = put_event(events, CONFIG.event_bus_name, delivery["entry"])
    logger.info("published", extra={"source": delivery["source"], "delivery_id": delivery["delivery_id"],
                                     "event_id": event_id})
    return {"status": "published", "event_id": event_id}


def as_payload(delivery: Delivery) -> dict[str, Any]:
    return {"source": delivery.source, "delivery_id": delivery.delivery_id,
            "replay_keys": list(delivery.replay_keys), "entry": delivery.entry}
