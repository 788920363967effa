"""The delivery worker: one attempt per task, the batch's tasks in parallel, so a slow endpoint holds
one thread for at most the request timeout and the batch's other endpoints are not behind it.

A task whose attempt fails is not returned to SQS: the dispatcher queues the next attempt with its
delay (or dead-letters it). Only an error of the dispatcher itself (DynamoDB or SQS unavailable)
reports the record as failed, so SQS retries it, then redrives it to the DLQ.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.common.queues import dead_letter
from functions.common.user_code import describe_error
from functions.webhook_delivery.requests import Task
from functions.webhook_delivery.runtime import dispatcher as build

config, dispatcher, logger = build("webhook-delivery-worker")


def _run(record: dict[str, Any]) -> str | None:
    """The record's id if it must come back, else None."""
    try:
        task = Task.from_json(record["body"])
    except ValueError as exc:  # not ours: keep it for inspection, with the reason
        dead_letter(dispatcher.sqs, config.dlq_url, record["body"], describe_error(exc))
        return None
    try:
        outcome = dispatcher.deliver(task)
    except Exception as exc:
        logger.warning("delivery task failed; SQS retries it", message_id=task.message_id,
                       endpoint_id=task.endpoint_id, error=describe_error(exc))
        return str(record["messageId"])
    logger.info("attempted", message_id=task.message_id, endpoint_id=task.endpoint_id, attempt=task.attempt,
                outcome=outcome)
    return None


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    records = event.get("Records", [])
    with ThreadPoolExecutor(max_workers=max(1, len(records))) as pool:
        failed = [i for i in pool.map(_run, records) if i is not None]
    return {"batchItemFailures": [{"itemIdentifier": i} for i in failed]}
