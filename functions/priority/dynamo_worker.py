"""A worker for the DynamoDB queue: claims jobs in priority-then-age order and runs them until the
queue is empty, ``max_jobs`` are done, or too little time is left to finish another lease.

Invoked by the schedule, by hand, or many times in parallel to add workers. A crash loses nothing:
the job's lease runs out and another worker takes it.
"""

from __future__ import annotations

from typing import Any

import boto3
from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.priority.config import PriorityConfig
from functions.priority.dynamo_queue import DRAIN_MAX_JOBS, DynamoJobQueue
from functions.priority.jobs import load_handler

config = PriorityConfig.from_environment()
logger = Logger(service="priority-dynamo-worker")
table = boto3.resource("dynamodb").Table(config.jobs_table)
run_job = load_handler(config.job_handler)


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    queue = DynamoJobQueue.from_config(config, table, worker_id=context.aws_request_id)
    max_jobs = event.get("max_jobs", DRAIN_MAX_JOBS) if isinstance(event, dict) else DRAIN_MAX_JOBS
    outcomes = queue.drain(run_job, int(max_jobs), context.get_remaining_time_in_millis)
    for outcome in outcomes:
        if outcome.error:
            logger.warning("job failed", job_id=outcome.job.id, status=outcome.status, error=outcome.error)
    return {
        "worker": queue.worker_id,
        "processed": [{"id": o.job.id, "priority": o.job.priority, "attempt": o.job.attempt, "status": o.status}
                      for o in outcomes],
    }
