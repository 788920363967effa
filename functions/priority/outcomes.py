"""The outcome of each SQS-delivered job, one DynamoDB item per job id, written idempotently.

SQS delivers at least once, so the worker checks here before running a job and writes success
once (conditional on the job not having succeeded already). The record also tells an observer
when the job ran and finished, how often it ran, and why it failed.
"""

from __future__ import annotations

import json
from typing import Any

from functions.priority.jobs import Job, now_millis
from functions.priority.records import is_condition_failure, update_kwargs

SUCCEEDED, RETRYING, FAILED = "succeeded", "retrying", "failed"
_NOT_SUCCEEDED = "attribute_not_exists(#id) OR #status <> :succeeded"


class OutcomeStore:
    """Job outcomes in a table keyed by ``id`` (a boto3 ``Table``)."""

    def __init__(self, table: Any):
        self.table = table

    def get(self, job_id: str) -> dict[str, Any] | None:
        return self.table.get_item(Key={"id": job_id}, ConsistentRead=True).get("Item")

    def has_succeeded(self, job_id: str) -> bool:
        item = self.get(job_id)
        return item is not None and item.get("status") == SUCCEEDED

    def note_duplicate(self, job_id: str) -> None:
        """A delivery of a job that had already succeeded: counted, not run."""
        self.table.update_item(**update_kwargs({"id": job_id}, add={"duplicate_deliveries": 1}))

    def record_success(self, job: Job, started_at: int, result: Any, request_id: str) -> bool:
        """Record the success once; False if another delivery of the job got there first."""
        try:
            self.table.update_item(**update_kwargs(
                {"id": job.id},
                set_values={**self._common(job, started_at), "status": SUCCEEDED, "completed_at": now_millis(),
                            "result": json.dumps(result, default=str)[:4000], "request_id": request_id},
                add={"runs": 1},
                condition=_NOT_SUCCEEDED, condition_names=("id", "status"),
                condition_values={":succeeded": SUCCEEDED},
            ))
        except Exception as exc:
            if not is_condition_failure(exc):
                raise
            self.note_duplicate(job.id)
            return False
        return True

    def record_failure(self, job: Job, started_at: int, error: str, final: bool, request_id: str) -> None:
        """Record a failed run; ``final`` when SQS will not deliver it again (it goes to the DLQ)."""
        try:
            self.table.update_item(**update_kwargs(
                {"id": job.id},
                set_values={**self._common(job, started_at), "status": FAILED if final else RETRYING,
                            "last_error": error, "last_failed_at": now_millis()},
                add={"runs": 1},
                append={"failed_runs": [request_id]},
                condition=_NOT_SUCCEEDED, condition_names=("id", "status"),
                condition_values={":succeeded": SUCCEEDED},
            ))
        except Exception as exc:
            if not is_condition_failure(exc):
                raise

    @staticmethod
    def _common(job: Job, started_at: int) -> dict[str, Any]:
        return {"priority": job.priority, "attempts": job.attempt, "enqueued_at": job.enqueued_at,
                "started_at": started_at}
