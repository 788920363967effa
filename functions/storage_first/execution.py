"""The consumer of the ``stepfunctions`` targets: the first state of each target's state machine
invokes it with ``{"target", "id", "body", "attempt"}`` (``id``: the execution's name, the
idempotency key; ``body``: the execution's input). It runs the processor once per request
(:class:`~functions.storage_first.processing.Consumer`): a failure raises and the state machine's
``Retry`` calls again after ``retry_delay_seconds``; after ``max_attempts`` failures the request goes
to the target's DLQ with ``rejected-reason`` and the execution ends."""

from __future__ import annotations

import json
import time
from typing import Any

import boto3
from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.storage_first.config import StorageFirstConfig
from functions.storage_first.processing import Consumer, StoredRequest, load_processor
from functions.storage_first.store import DynamoStatusStore, dead_letter_to

config = StorageFirstConfig.from_environment()
logger = Logger(service="storage-first-execution")
store = DynamoStatusStore(boto3.client("dynamodb"), config.status_table, config.status_ttl_seconds)
consumer = Consumer(store, load_processor(config.processor), dead_letter_to(boto3.client("sqs"), config, logger),
                    config.attempts_for)


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, str]:
    request = StoredRequest(str(event["target"]), str(event["id"]), json.dumps(event["body"], ensure_ascii=False),
                            str(event["id"]), time.time(), int(event.get("attempt", 0)) + 1)
    return {"outcome": consumer.process(request)}
