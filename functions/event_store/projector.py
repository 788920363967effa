"""The projector: the event store table's stream -> the accounts read model.

Only new log items matter (an ``INSERT`` whose key is a log item: it carries every event of one append,
in position order); stream commits, heads, snapshots and tokens are ignored. A redelivered batch changes
nothing (version-guarded updates); an event that cannot be applied goes to the DLQ with the reason while
the rest apply; any other failure fails the batch, which the stream retries in order.
"""

from __future__ import annotations

from typing import Any

import boto3
from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.event_store.config import AccountsConfig
from functions.event_store.projection import AccountsProjection
from functions.event_store.store import RecordedEvent, log_events

config = AccountsConfig.from_environment()
logger = Logger(service="event-store-projector")
projection = AccountsProjection(config.read_model_table, boto3.client("dynamodb"), boto3.client("sqs"),
                                config.dlq_url)
LOG_PREFIX = f"{config.namespace}log#"


def events_of(record: dict[str, Any]) -> list[RecordedEvent]:
    """The events a stream record carries: those of a newly inserted log item, else none."""
    image = record.get("dynamodb", {}).get("NewImage") or {}
    if record.get("eventName") != "INSERT" or not image.get("pk", {}).get("S", "").startswith(LOG_PREFIX):
        return []
    return list(log_events(image))


@logger.inject_lambda_context
def handler(event: dict, context: LambdaContext) -> dict:
    events = [e for record in event.get("Records", []) for e in events_of(record)]
    counts = projection.apply_all(events)
    logger.info("projected", extra={**counts, "last_position": events[-1].position if events else None})
    return counts
