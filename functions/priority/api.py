"""``POST /jobs`` enqueues a job at a priority level; ``GET /jobs/{id}`` reads its record.

Body: ``{"priority": "<level>", "payload": {...}}``. The body is validated in full before anything
is written, so bad input (unknown priority, missing or oversized payload) gets a 400 and enqueues
nothing. ``BACKEND`` says where jobs go: ``sqs`` (one queue per level, ``PriorityQueues``) or
``dynamodb`` (the ordered table, ``DynamoPriorityQueue``).
"""

from __future__ import annotations

import json
import os

import boto3
from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.exceptions import NotFoundError

from functions.common.rest import refuse_invalid_input
from functions.common.validation import json_object, validate_name
from functions.priority import settings
from functions.priority.dynamo_queue import plain
from functions.priority.jobs import JobRequest, job_request_from_body

BACKEND = os.environ.get("BACKEND", "sqs")

logger = Logger(service="priority-api")
app = APIGatewayRestResolver()
refuse_invalid_input(app)
records = settings.table("JOBS_TABLE")
if BACKEND == "sqs":
    sqs = boto3.client("sqs")
    queue_urls = settings.json_env("QUEUE_URLS")
else:
    queue = settings.dynamo_queue()


def enqueue(request: JobRequest) -> int:
    """Put the job on its level; returns the enqueue time (epoch ms)."""
    if BACKEND == "sqs":
        job = request.to_job()
        sqs.send_message(QueueUrl=queue_urls[job.priority], MessageBody=job.to_message())
        return job.enqueued_at
    return queue.enqueue(request).enqueued_at


@app.post("/jobs")
def submit() -> Response:
    body = json_object(app.current_event.body, max_bytes=settings.MAX_PAYLOAD_BYTES + 1024, required=True)
    request = job_request_from_body(body, settings.LEVELS, settings.MAX_PAYLOAD_BYTES)
    enqueued_at = enqueue(request)
    logger.info("job enqueued", job_id=request.id, priority=request.priority)
    return Response(202, "application/json",
                    {"id": request.id, "priority": request.priority, "enqueued_at": enqueued_at})


@app.get("/jobs/<job_id>")
def read(job_id: str) -> dict:
    validate_name(job_id, "job id")
    item = records.get_item(Key={"id": job_id}, ConsistentRead=True).get("Item")
    if not item:
        raise NotFoundError(f"no record of job {job_id} (unknown, or queued and not yet run)")
    record = plain(item)
    record.pop("lease_token", None)
    if isinstance(record.get("payload"), str):
        record["payload"] = json.loads(record["payload"])
    return record


@logger.inject_lambda_context
def handler(event: dict, context: object) -> dict:
    return app.resolve(event, context)
