"""The aggregator, as an SQS batch consumer of provider replies (publish-subscribe variant) and as
the per-recipient task of the recipient-list state machine. Both record through :class:`AggregateStore`.

A reply that can never be recorded (malformed body, unknown correlation id, a provider that was not
asked) is sent to the dead-letter queue at once with the reason in its ``reason`` message attribute,
and removed from the reply queue; SQS redrive carries no reason and would only retry it in vain.
Any other failure is reported as a batch item failure: SQS retries it and, after ``maxReceiveCount``
receives, redrives it to the same dead-letter queue.
"""

from __future__ import annotations

from typing import Any

import boto3
from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.scatter_gather.config import ScatterGatherConfig
from functions.scatter_gather.messages import InvalidReply, parse_reply
from functions.scatter_gather.store import AggregateStore, UnexpectedProvider, UnknownCorrelation

config = ScatterGatherConfig.from_environment()
logger = Logger(service="scatter-gather-aggregator")
store = AggregateStore(boto3.resource("dynamodb").Table(config.aggregates_table), boto3.client("events"),
                       config.event_bus)
sqs = boto3.client("sqs")
processor = BatchProcessor(event_type=EventType.SQS)

PERMANENT = (InvalidReply, UnknownCorrelation, UnexpectedProvider)


def dead_letter(record: SQSRecord, reason: str) -> None:
    """Park a reply that can never be recorded, with why, in the dead-letter queue."""
    sqs.send_message(
        QueueUrl=config.dead_letter_queue_url,
        MessageBody=record.body or "(empty)",
        MessageAttributes={
            "reason": {"DataType": "String", "StringValue": reason[:1024]},
            "sourceMessageId": {"DataType": "String", "StringValue": record.message_id},
        },
    )
    logger.warning("reply dead-lettered", extra={"reason": reason, "message_id": record.message_id})


def record_reply(record: SQSRecord) -> str:
    try:
        reply = parse_reply(record.body)
        outcome = store.record_reply(reply)
    except PERMANENT as exc:
        dead_letter(record, f"{type(exc).__name__}: {exc}")
        return "dead-lettered"
    logger.info("reply", extra={"outcome": outcome, "correlation_id": reply["correlationId"],
                                "provider": reply["providerId"]})
    return outcome


@logger.inject_lambda_context
def handler(event: dict, context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(event=event, record_handler=record_reply, processor=processor, context=context)


def record_step(event: dict[str, Any], context: object) -> dict[str, Any]:
    """Recipient-list task: record one recipient's reply, or why it has none (``error`` from a Catch)."""
    correlation_id, provider = event["correlationId"], event["providerId"]
    if "error" in event:
        error = event["error"] or {}
        store.record_failure(correlation_id, provider, f"{error.get('Error', 'Error')}: {error.get('Cause', '')}"[:512])
        return {"providerId": provider, "outcome": "failed"}
    try:
        reply = parse_reply(event.get("reply") or "", provider_id=provider)
        if reply["correlationId"] != correlation_id:
            raise InvalidReply(f"reply is for {reply['correlationId']}, not {correlation_id}")
    except InvalidReply as exc:
        store.record_failure(correlation_id, provider, f"InvalidReply: {exc}")
        return {"providerId": provider, "outcome": "invalid"}
    return {"providerId": provider, "outcome": store.record_reply(reply)}
