"""The consumer of the queue-fed targets (``sqs``, ``sqs-fifo``, ``eventbridge`` through the rule's
queue and ``s3`` through the bucket's notifications): each record is processed once
(:class:`~functions.storage_first.processing.Consumer`), failures come back after
``retry_delay_seconds`` and only the failed records of a batch are retried
(``ReportBatchItemFailures``; a FIFO batch stops at its first failure to keep the order). A request
that fails ``max_attempts`` times goes to its target's DLQ with ``rejected-reason`` and is deleted; the
queue's own redrive policy is the safety net for a worker that crashes or times out.
"""

from __future__ import annotations

from typing import Any

import boto3
from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    SqsFifoPartialProcessor,
    process_partial_response,
)
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.common.queues import queue_url
from functions.storage_first.config import StorageFirstConfig
from functions.storage_first.processing import Consumer, StoredRequest, from_queue_record, load_processor
from functions.storage_first.store import DynamoStatusStore, dead_letter_attributes

config = StorageFirstConfig.from_environment()
logger = Logger(service="storage-first-worker")
sqs = boto3.client("sqs")
s3 = boto3.client("s3")
store = DynamoStatusStore(boto3.client("dynamodb"), config.status_table, config.status_ttl_seconds)
records: dict[str, SQSRecord] = {}  # request id -> its record, for the dead letter


def dead_letter(request: StoredRequest, reason: str) -> None:
    """Park the record on its target's DLQ, unchanged, with the reason."""
    record = records[request.id]
    target = config.targets[request.target]
    extra: dict[str, Any] = {}
    if target.kind == "sqs-fifo":
        extra = {"MessageGroupId": record.attributes.message_group_id or target.name,
                 "MessageDeduplicationId": record.message_id}
    attributes = dead_letter_attributes(request, reason)
    if request.idempotency_key:
        attributes["idempotency-key"] = {"DataType": "String", "StringValue": request.idempotency_key}
    sqs.send_message(QueueUrl=target.dlq_url, MessageBody=record.body, MessageAttributes=attributes, **extra)
    logger.warning("dead-lettered", target=target.name, request_id=request.id, reason=reason)


consumer = Consumer(store, load_processor(config.processor), dead_letter, config.attempts_for)


def read_object(bucket: str, key: str) -> str:
    return s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode("utf-8")


def process(record: SQSRecord) -> str:
    request = from_queue_record(record.raw_event, config.target_for(record.event_source_arn or ""), read_object)
    if request is None:
        return "skipped"
    records[request.id] = record
    try:
        return consumer.process(request)
    except Exception:
        logger.info("will retry", target=request.target, request_id=request.id, attempt=request.attempt)
        raise
    finally:
        records.pop(request.id, None)


@logger.inject_lambda_context
def handler(event: dict, context: LambdaContext) -> PartialItemFailureResponse:
    batch = event.get("Records") or []
    source = batch[0].get("eventSourceARN", "") if batch else ""
    fifo = bool(batch) and config.target_for(source).kind == "sqs-fifo"
    processor = SqsFifoPartialProcessor() if fifo else BatchProcessor(event_type=EventType.SQS)
    processor.raise_on_entire_batch_failure = False  # report them like any failures: retried after the delay
    response = process_partial_response(event=event, record_handler=process, processor=processor, context=context)
    failures = response.get("batchItemFailures", [])
    if failures and config.retry_delay_seconds:
        receipts = {r["messageId"]: r["receiptHandle"] for r in batch}
        try:  # the failed records come back after the retry delay, not the whole visibility timeout
            url = queue_url(sqs, source)
            for failure in failures:
                sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=receipts[failure["itemIdentifier"]],
                                              VisibilityTimeout=config.retry_delay_seconds)
        except Exception as exc:  # they come back anyway, after the visibility timeout
            logger.warning("could not shorten the retry delay", error=str(exc))
    return response
