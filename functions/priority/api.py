"""``POST /jobs`` enqueues a job at a priority level; ``GET /jobs/{id}`` reads its record.

Body: ``{"priority": "<level>", "payload": {...}}``. The body is validated in full before anything
is written, so bad input (unknown priority, missing or oversized payload) gets a 400 and enqueues
nothing. ``BACKEND`` says where jobs go: ``sqs`` (one queue per level, ``PriorityQueues``) or
``dynamodb`` (the ordered table, ``DynamoPriorityQueue``).
"""

from __future__ import annotations

import json

import boto3
from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.common.errors import NotFound
from functions.common.rest import rest_resolver
from functions.common.validation import json_object, validate_name
from functions.priority.config import PriorityConfig
from functions.priority.dynamo_queue import DynamoJobQueue, plain
from functions.priority.jobs import JobRequest, job_request_from_body

config = PriorityConfig.from_environment()
logger = Logger(service="priority-api")
app = rest_resolver(logger)
records = boto3.resource("dynamodb").Table(config.jobs_table)
sqs = boto3.client("sqs")
queue = DynamoJobQueue.from_config(config, records)


def enqueue(request: JobRequest) -> int:
    """Put the job on its level; returns the enqueue time (epoch ms)."""
    if config.backend == "sqs":
        job = request.to_job()
        sqs.send_message(QueueUrl=config.queue_urls[job.priority], MessageBody=job.to_message())
        return job.enqueued_at
    return queue.enqueue(request).enqueued_at


@app.post("/jobs")
def submit() -> Response:
    body = json_object(app.current_event.body, max_bytes=config.max_payload_bytes + 1024, required=True)
    request = job_request_from_body(body, config.levels, config.max_payload_bytes)
    enqueued_at = enqueue(request)
    logger.info("job enqueued", job_id=request.id, priority=request.priority)
    return Response(202, "application/json",
                    {"id": request.id, "priority": request.priority, "enqueued_at": enqueued_at})


@app.get("/jobs/<job_id>")
def read(job_id: str) -> dict:
    validate_name(job_id, "job id")
    item = records.get_item(Key={"id": job_id}, ConsistentRead=True).get("Item")
    if not item:
        raise NotFound(f"no record of job {job_id} (unknown, or queued and not yet run)")
    record = plain(item)
    record.pop("lease_token", None)
    if isinstance(record.get("payload"), str):
        record["payload"] = json.loads(record["payload"])
    return record


@logger.inject_lambda_context
def handler(event: dict, context: LambdaContext) -> dict:
    return app.resolve(event, context)
