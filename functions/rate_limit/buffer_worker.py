"""The buffer's worker: its event source mapping's ``MaximumConcurrency`` caps how many run at once, and
each runs its batch one request at a time, so the downstream never sees more than N calls at once.

Idempotent: a request already ``done`` is not run again (SQS delivers at least once). A failure is
reported for that message only (``ReportBatchItemFailures``), retried after ``retry_delay_seconds``;
the last receive records ``failed`` with the error, and SQS moves the message to the DLQ.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import boto3
from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.exceptions import ClientError

from functions.common.errors import error_code
from functions.common.user_code import describe_error
from functions.rate_limit.buffer import from_message, load_downstream
from functions.rate_limit.config import RateLimitConfig

config = RateLimitConfig.from_environment()
assert config.buffer is not None, "RATE_LIMIT_CONFIG lacks the buffer section"
settings = config.buffer
logger = Logger(service="rate_limit_buffer_worker")
processor = BatchProcessor(event_type=EventType.SQS)
table = boto3.resource("dynamodb").Table(settings.status_table)
sqs = boto3.client("sqs")
downstream = load_downstream(settings.downstream_handler)


def _claim(request_id: str) -> bool:
    """Mark the request processing (one more attempt) unless it is already done."""
    try:
        table.update_item(Key={"id": request_id}, UpdateExpression="SET #s = :p ADD attempts :one",
                          ConditionExpression="attribute_exists(id) AND #s <> :done",
                          ExpressionAttributeNames={"#s": "status"},
                          ExpressionAttributeValues={":p": "processing", ":one": 1, ":done": "done"})
        return True
    except ClientError as error:
        if error_code(error) == "ConditionalCheckFailedException":
            return False
        raise


def process(record: SQSRecord, lambda_context: LambdaContext) -> Any:
    attempt = int(record.attributes.approximate_receive_count)
    try:
        request = from_message(record.body, attempt, settings.downstream_settings)
    except (ValueError, TypeError, KeyError) as exc:  # not ours: fails until SQS parks it in the DLQ
        logger.error("malformed buffered message", message_id=record.message_id, error=describe_error(exc))
        _delay_retry(record)
        raise
    if not _claim(request.id):
        logger.info("already done, or unknown: not run again", request_id=request.id)
        return None
    try:
        result = downstream(request)
    except Exception as exc:
        final = attempt >= settings.max_receive_count
        table.update_item(Key={"id": request.id}, UpdateExpression="SET #s = :s, #e = :e",
                          ExpressionAttributeNames={"#s": "status", "#e": "error"},
                          ExpressionAttributeValues={":s": "failed" if final else "queued", ":e": describe_error(exc)})
        logger.warning("downstream call failed", request_id=request.id, attempt=attempt, final=final)
        _delay_retry(record)
        raise
    stored = json.loads(json.dumps(result, default=str), parse_float=Decimal)
    table.update_item(Key={"id": request.id}, UpdateExpression="SET #s = :s, #r = :r REMOVE #e",
                      ExpressionAttributeNames={"#s": "status", "#r": "result", "#e": "error"},
                      ExpressionAttributeValues={":s": "done", ":r": stored})
    return result


def _delay_retry(record: SQSRecord) -> None:
    try:
        sqs.change_message_visibility(QueueUrl=settings.queue_url, ReceiptHandle=record.receipt_handle,
                                      VisibilityTimeout=settings.retry_delay_seconds)
    except Exception as exc:  # it still comes back, after the visibility timeout
        logger.warning("could not shorten the retry delay", error=describe_error(exc))


@logger.inject_lambda_context
def handler(event: dict, context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(event=event, record_handler=process, processor=processor, context=context)
