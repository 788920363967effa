"""The handlers' configuration, read once from the environment the components set."""

from __future__ import annotations

import json
import os
from typing import Any

import boto3

from functions.priority.dynamo_queue import DynamoJobQueue
from functions.priority.jobs import DEFAULT_MAX_PAYLOAD_BYTES, parse_levels

LEVELS = parse_levels(os.environ.get("LEVELS", "high,low"))
MAX_PAYLOAD_BYTES = int(os.environ.get("MAX_PAYLOAD_BYTES", str(DEFAULT_MAX_PAYLOAD_BYTES)))
JOB_HANDLER = os.environ.get("JOB_HANDLER", "functions.priority.example_jobs.run")


def json_env(name: str) -> dict[str, Any]:
    return json.loads(os.environ.get(name, "{}"))


def table(env_name: str) -> Any:
    return boto3.resource("dynamodb").Table(os.environ[env_name])


def dynamo_queue(worker_id: str | None = None) -> DynamoJobQueue:
    """The DynamoDB queue as configured by ``DynamoPriorityQueue``."""
    return DynamoJobQueue(
        table("JOBS_TABLE"), LEVELS,
        lease_seconds=float(os.environ.get("LEASE_SECONDS", "60")),
        max_attempts=int(os.environ.get("MAX_ATTEMPTS", "3")),
        retry_delay_seconds=float(os.environ.get("RETRY_DELAY_SECONDS", "0")),
        worker_id=worker_id,
    )
