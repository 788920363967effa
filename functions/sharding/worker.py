"""A shard's worker: consumes its SQS FIFO queue and processes each message once, in its key's order.

Powertools' ``SqsFifoPartialProcessor(skip_group_on_error=True)``: after a failure in a message
group (a key), the rest of that group in the batch is returned unprocessed, other keys go on. The
returned messages become visible again after ``retry_delay_seconds`` (not the whole visibility
timeout), so the key is blocked only briefly. A message that fails ``max_attempts`` times is sent to
the shard's DLQ by :class:`~functions.sharding.processing.ShardWorker`; the queue's own redrive
policy is the safety net for a worker that crashes or times out.
"""

from __future__ import annotations

import boto3
from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import SqsFifoPartialProcessor, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.sharding.config import ShardingConfig
from functions.sharding.messages import Envelope
from functions.sharding.processing import ShardWorker, describe_error, load_handler
from functions.sharding.store import DynamoLedger

config = ShardingConfig.from_environment()
logger = Logger(service=f"sharding-worker-{config.shard}")
sqs = boto3.client("sqs")
ledger = DynamoLedger(boto3.client("dynamodb"), config.keys_table, ttl_seconds=config.record_ttl_seconds)
processor = SqsFifoPartialProcessor(skip_group_on_error=True)


def dead_letter(envelope: Envelope, error: str) -> None:
    """Put a message that keeps failing on this shard's DLQ, with the reason."""
    sqs.send_message(
        QueueUrl=config.dlq_url, MessageBody=envelope.to_json(), MessageGroupId=envelope.key,
        MessageDeduplicationId=envelope.deduplication_id,
        MessageAttributes={"error": {"DataType": "String", "StringValue": error},
                           "shard": {"DataType": "String", "StringValue": config.shard},
                           "seq": {"DataType": "Number", "StringValue": str(envelope.seq)}})
    logger.warning("dead-lettered", key=envelope.key, seq=envelope.seq, error=error)


worker = ShardWorker(config.shard, ledger, load_handler(config.message_handler), dead_letter, config.max_attempts)


def process(record: SQSRecord) -> str:
    try:
        envelope = Envelope.from_json(record.body)
    except ValueError as exc:  # not routed by the router: nothing to order, straight to the DLQ
        sqs.send_message(QueueUrl=config.dlq_url, MessageBody=record.body,
                         MessageGroupId=record.attributes.message_group_id or "unrouted",
                         MessageDeduplicationId=record.message_id,
                         MessageAttributes={"error": {"DataType": "String",
                                                      "StringValue": f"not an envelope: {describe_error(exc)}"}})
        return "dead_lettered"
    try:
        outcome = worker.process(envelope, attempt=int(record.attributes.approximate_receive_count))
    except Exception as exc:
        logger.info("will retry", key=envelope.key, seq=envelope.seq, error=describe_error(exc))
        raise
    logger.debug("settled", key=envelope.key, seq=envelope.seq, outcome=outcome)
    return outcome


@logger.inject_lambda_context
def handler(event: dict, context: LambdaContext) -> PartialItemFailureResponse:
    response = process_partial_response(event=event, record_handler=process, processor=processor, context=context)
    receipts = {r["messageId"]: r["receiptHandle"] for r in event.get("Records", [])}
    for failure in response.get("batchItemFailures", []):
        try:  # the failed message and the rest of its key: back after the retry delay
            sqs.change_message_visibility(QueueUrl=config.queue_urls[config.shard],
                                          ReceiptHandle=receipts[failure["itemIdentifier"]],
                                          VisibilityTimeout=config.retry_delay_seconds)
        except Exception as exc:  # they come back anyway, after the visibility timeout
            logger.warning("could not shorten the retry delay", error=describe_error(exc))
    return response
