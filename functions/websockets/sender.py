"""A sender worker: each SQS message is a delivery (one frame, up to ``chunk_size`` connections),
pushed with ``PostToConnection`` in parallel. A connection that answers ``GoneException`` (410) has
its rows removed; the others that failed are retried together after ``retry_delay_seconds``, up to
``max_attempts``, then sent to the DLQ with the reason (:mod:`functions.websockets.fanout`). A
message that is not a delivery goes straight to the DLQ."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import boto3
from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from functions.common import queues
from functions.common.errors import error_code
from functions.common.websocket import connections_client
from functions.websockets.config import WebSocketsConfig
from functions.websockets.fanout import Delivery, Outcome, Report, classify_error, next_step
from functions.websockets.store import ConnectionStore

config = WebSocketsConfig.from_environment()
logger = Logger(service="websockets-sender")
sqs = boto3.client("sqs")
store = ConnectionStore.of(config, boto3.client("dynamodb"))
connections = connections_client(config.management_endpoint, config=Config(
    connect_timeout=3, read_timeout=5, retries={"max_attempts": 2, "mode": "standard"},
    max_pool_connections=config.sender_threads))
pool = ThreadPoolExecutor(max_workers=config.sender_threads)
processor = BatchProcessor(event_type=EventType.SQS)


def post(connection_id: str, data: bytes) -> tuple[str, Outcome, str]:
    try:
        connections.post_to_connection(ConnectionId=connection_id, Data=data)
    except ClientError as error:
        status = int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
        return connection_id, classify_error(error_code(error), status), f"{error_code(error)} ({status})"
    except BotoCoreError as error:
        return connection_id, "retry", type(error).__name__
    return connection_id, "delivered", ""


def dead_letter(body: str, error: str) -> None:
    queues.dead_letter(sqs, config.dlq_url, body, error, attribute="error", limit=500)


def process(record: SQSRecord) -> None:
    try:
        delivery = Delivery.from_body(record.body)
    except ValueError as error:
        dead_letter(record.body, str(error))
        logger.warning("dead-lettered a message that is not a delivery", extra={"error": str(error)})
        return
    report = Report()
    data = delivery.frame.encode("utf-8")
    for connection_id, outcome, reason in pool.map(lambda c: post(c, data), delivery.connections):
        report.record(connection_id, outcome, reason)
    for connection_id in report.gone:  # the client left without $disconnect: forget it
        try:
            store.remove(connection_id)
        except (ClientError, BotoCoreError) as error:  # not worth a redelivery to the others: the TTL removes it
            logger.warning("could not remove a gone connection", extra={"connection_id": connection_id,
                                                                       "error": type(error).__name__})
    step, rest = next_step(delivery, report, config.max_attempts)
    if step == "retry" and rest is not None:
        sqs.send_message(QueueUrl=config.deliveries_queue_url, MessageBody=rest.to_body(),
                         DelaySeconds=config.retry_delay_seconds)
    elif step == "dead_letter" and rest is not None:
        reasons = sorted(set(report.failed.values()))
        dead_letter(rest.to_body(), f"{len(rest.connections)} connection(s) failed {delivery.attempt} time(s): "
                                    + "; ".join(reasons))
    logger.info("delivered", extra={"topic": delivery.topic, "id": delivery.message_id, "attempt": delivery.attempt,
                                    "delivered": len(report.delivered), "gone": len(report.gone),
                                    "failed": len(report.failed), "next": step})


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(event=event, record_handler=process, processor=processor, context=context)
