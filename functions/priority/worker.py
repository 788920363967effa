"""The worker wired to every priority level's queue: runs each job once, reports partial failures.

Powertools' ``BatchProcessor`` returns ``batchItemFailures`` (the mapping has
``ReportBatchItemFailures``), so only the jobs that failed are delivered again; their batch
neighbours are deleted. A failed job becomes visible again after ``retry_delay_seconds``; after
the queue's ``maxReceiveCount`` deliveries SQS moves it to the level's DLQ, and its outcome record
holds the last error.
"""

from __future__ import annotations

from typing import Any

import boto3
from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.common.user_code import describe_error
from functions.priority.config import PriorityConfig
from functions.priority.jobs import Job, load_handler, now_millis
from functions.priority.outcomes import OutcomeStore

config = PriorityConfig.from_environment()
logger = Logger(service="priority-worker")
processor = BatchProcessor(event_type=EventType.SQS)
outcomes = OutcomeStore(boto3.resource("dynamodb").Table(config.jobs_table))
sqs = boto3.client("sqs")
run_job = load_handler(config.job_handler)


def process(record: SQSRecord, lambda_context: LambdaContext) -> Any:
    try:
        job = Job.from_message(record.body, attempt=int(record.attributes.approximate_receive_count))
    except (ValueError, KeyError, TypeError) as exc:  # not a job: fails until SQS moves it to the DLQ
        logger.error("malformed job message", message_id=record.message_id, error=describe_error(exc))
        _delay_retry(record)
        raise
    if outcomes.has_succeeded(job.id):  # a redelivery of finished work: do not run it twice
        outcomes.note_duplicate(job.id)
        return None
    started_at = now_millis()
    try:
        result = run_job(job)
    except Exception as exc:
        final = job.attempt >= config.max_receive_count
        outcomes.record_failure(job, started_at, describe_error(exc), final, lambda_context.aws_request_id)
        logger.warning("job failed", job_id=job.id, attempt=job.attempt, final=final, error=describe_error(exc))
        _delay_retry(record)  # also for the last one: SQS moves it to the DLQ on its next receive
        raise
    outcomes.record_success(job, started_at, result, lambda_context.aws_request_id)
    return result


def _delay_retry(record: SQSRecord) -> None:
    """Make the failed message visible again after the retry delay, not the whole visibility timeout."""
    try:
        sqs.change_message_visibility(QueueUrl=config.queue_urls_by_arn[record.event_source_arn],
                                      ReceiptHandle=record.receipt_handle, VisibilityTimeout=config.retry_delay_seconds)
    except Exception as exc:  # the message still comes back, after the visibility timeout
        logger.warning("could not shorten the retry delay", error=describe_error(exc))


@logger.inject_lambda_context
def handler(event: dict, context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(event=event, record_handler=process, processor=processor, context=context)
