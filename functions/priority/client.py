"""Python client for ``PriorityQueues``: enqueue straight into the level queues.

For producers inside the account (services, batch jobs) that would rather not go through HTTP:
jobs are validated exactly as ``POST /jobs`` validates them, and sent in batches of ten.

Examples
--------
>>> client = PriorityQueueClient(stack_outputs["level_queue_urls"])        # doctest: +SKIP
>>> job_id = client.submit("high", {"invoice": 42})                  # doctest: +SKIP
>>> ids = client.submit_many("low", [{"n": n} for n in range(1000)]) # doctest: +SKIP
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from typing import Any

import boto3

from functions.priority.jobs import DEFAULT_MAX_PAYLOAD_BYTES, Job, validate_job

SQS_BATCH = 10


class PriorityQueueClient:
    """queue_urls: level -> queue URL, highest priority first (the component's ``level_queue_urls`` output)."""

    def __init__(self, queue_urls: Mapping[str, str], max_payload_bytes: int = DEFAULT_MAX_PAYLOAD_BYTES,
                 sqs: Any = None):
        self.queue_urls = dict(queue_urls)
        self.levels = list(self.queue_urls)
        self.max_payload_bytes = max_payload_bytes
        self.sqs = sqs or boto3.client("sqs")

    def submit(self, priority: str, payload: dict[str, Any]) -> str:
        """Enqueue one job; returns its id. Raises ``InvalidInput`` (a ``ValueError``) on bad input."""
        job = validate_job(priority, payload, self.levels, self.max_payload_bytes).to_job()
        self.sqs.send_message(QueueUrl=self.queue_urls[priority], MessageBody=job.to_message())
        return job.id

    def submit_many(self, priority: str, payloads: Iterable[dict[str, Any]], attempts: int = 5) -> list[str]:
        """Enqueue many jobs at one level, ten per request; every payload is validated first."""
        jobs = [validate_job(priority, p, self.levels, self.max_payload_bytes).to_job() for p in payloads]
        for start in range(0, len(jobs), SQS_BATCH):
            self._send_batch(self.queue_urls[priority], jobs[start:start + SQS_BATCH], attempts)
        return [job.id for job in jobs]

    def _send_batch(self, queue_url: str, jobs: list[Job], attempts: int) -> None:
        pending = {str(i): job for i, job in enumerate(jobs)}
        for attempt in range(attempts):
            response = self.sqs.send_message_batch(
                QueueUrl=queue_url,
                Entries=[{"Id": key, "MessageBody": job.to_message()} for key, job in pending.items()],
            )
            failed = {entry["Id"] for entry in response.get("Failed", [])}
            pending = {key: job for key, job in pending.items() if key in failed}
            if not pending:
                return
            time.sleep(0.1 * 2**attempt)
        raise RuntimeError(f"{len(pending)} job(s) could not be enqueued after {attempts} attempts")
