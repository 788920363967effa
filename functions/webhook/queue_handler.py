"""Storage-first verifier: reads raw requests from the ingest queue, verifies and publishes them once.

A request that fails verification is moved to the dead-letter queue with the reason (it can never
succeed); a failure to publish leaves the message on the queue to be retried (partial batch
failure), and after the queue's maxReceiveCount it goes to the same dead-letter queue.
"""

from __future__ import annotations

import boto3
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.webhook import ingest
from functions.webhook.schemes import Rejected
from functions.webhook.storage_first import request_from_record

logger = ingest.logger
processor = BatchProcessor(event_type=EventType.SQS)
sqs = boto3.client("sqs")


def _dead_letter(record: SQSRecord, status: int, reason: str) -> None:
    attributes = {k: {"DataType": "String", "StringValue": v["stringValue"]}
                  for k, v in (record.raw_event.get("messageAttributes") or {}).items() if v.get("stringValue")}
    attributes["rejected-status"] = {"DataType": "Number", "StringValue": str(status)}
    attributes["rejected-reason"] = {"DataType": "String", "StringValue": reason}
    sqs.send_message(QueueUrl=ingest.CONFIG.dead_letter_queue_url, MessageBody=record.body or "(empty body)",
                     MessageAttributes=attributes)


def record_handler(record: SQSRecord) -> None:
    try:
        request = request_from_record(record.raw_event)
        delivery = ingest.verify(request, mode="storage-first")
    except Rejected as exc:
        logger.info("rejected", extra={"message_id": record.message_id, "status": exc.status, "reason": exc.reason})
        _dead_letter(record, exc.status, exc.reason)
        return
    except (ValueError, TypeError, RecursionError) as exc:  # a malformed request never gets better: park it now
        logger.warning("unprocessable", extra={"message_id": record.message_id, "error": type(exc).__name__})
        _dead_letter(record, 400, f"the queued request cannot be processed: {type(exc).__name__}")
        return
    if delivery.challenge is not None:
        _dead_letter(record, 400, "a url_verification challenge needs a synchronous source")
        return
    ingest.publish_once(delivery=ingest.as_payload(delivery))  # raises -> retried by the queue


@logger.inject_lambda_context
def handler(event: dict, context: LambdaContext) -> PartialItemFailureResponse:
    ingest.register_lambda_context(context)
    return process_partial_response(event=event, record_handler=record_handler, processor=processor,
                                    context=context)
