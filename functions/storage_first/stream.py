"""The consumer of the ``dynamodb`` targets: the table's stream (new items only, filtered by the event
source mapping) feeds each stored request to the processor once
(:class:`~functions.storage_first.processing.Consumer`). A failed record is reported
(``ReportBatchItemFailures``) and the stream retries from it; after ``max_attempts`` failures the item
goes to the target's DLQ with ``rejected-reason``, and the shard moves on.
"""

from __future__ import annotations

import boto3
from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.storage_first.config import StorageFirstConfig
from functions.storage_first.processing import Consumer, from_stream_record, load_processor
from functions.storage_first.store import DynamoStatusStore, dead_letter_to

config = StorageFirstConfig.from_environment()
logger = Logger(service="storage-first-stream")
sqs = boto3.client("sqs")
store = DynamoStatusStore(boto3.client("dynamodb"), config.status_table, config.status_ttl_seconds)


consumer = Consumer(store, load_processor(config.processor), dead_letter_to(sqs, config, logger), config.attempts_for)
processor = BatchProcessor(event_type=EventType.DynamoDBStreams)


def process(record: DynamoDBRecord) -> str:
    return consumer.process(from_stream_record(record.raw_event, config.target_for(record.event_source_arn or "")))


@logger.inject_lambda_context
def handler(event: dict, context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(event=event, record_handler=process, processor=processor, context=context)
