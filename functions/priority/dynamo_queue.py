"""A strictly ordered priority queue in one DynamoDB table, usable from any process.

Each job is an item keyed by ``id``. A global secondary index on ``status`` sorted by ``queue_key``
(``<level rank>#<created at>#<id>``) lists queued jobs by priority, then age. A worker claims the
first available one with a conditional update, so two workers never hold the same job. The claim
is a lease: until ``lease_expires_at`` the job is invisible to other workers; if the worker dies,
the lease runs out and the job is claimable again at its original place in the order. Completed
and failed jobs keep their outcome; after ``max_attempts`` claims a job is parked as ``failed``
with its last error.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from boto3.dynamodb.conditions import Attr, Key

from functions.common.user_code import describe_error
from functions.priority.config import PriorityConfig
from functions.priority.jobs import Job, JobHandler, JobRequest, now_millis
from functions.priority.records import is_condition_failure, update_kwargs

QUEUED, SUCCEEDED, FAILED = "queued", "succeeded", "failed"
STATUS_INDEX = "by-status"
LEASE_FIELDS = ("lease_token", "lease_expires_at")
DRAIN_MAX_JOBS = 100  # jobs one worker invocation takes before it returns, by default
DRAIN_SAFETY_MS = 2000  # time kept in hand beyond a full lease before claiming another job
_AVAILABLE = "#status = :queued AND (attribute_not_exists(#lease_expires_at) OR #lease_expires_at < :now)"


def queue_key(rank: int, created_at: int, job_id: str) -> str:
    """Sorts by priority rank (0 = highest), then creation time, then id (a tie-break)."""
    return f"{rank:03d}#{created_at:015d}#{job_id}"


class DuplicateJob(ValueError):
    """A job with this id already exists."""


class LeaseLost(RuntimeError):
    """The lease ran out and another worker claimed the job; this worker's outcome is discarded."""


@dataclass(frozen=True)
class Claim:
    """A job held by a worker until ``lease_expires_at`` (epoch ms); ``token`` proves the holder."""

    job: Job
    token: str
    lease_expires_at: int


@dataclass(frozen=True)
class Outcome:
    job: Job
    status: str  # succeeded, failed (parked), queued (will be retried) or lease-lost
    error: str | None = None


def plain(value: Any) -> Any:
    """A DynamoDB item as plain JSON-friendly values (Decimals to int/float)."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


class DynamoJobQueue:
    """Enqueue, claim, complete and fail jobs in the queue table (a boto3 ``Table``).

    levels: priority levels, highest first. lease_seconds: how long a claim hides a job; keep it
    above the longest job. max_attempts: claims before a failing job is parked. retry_delay_seconds:
    how long a failed job waits before it can be claimed again.
    """

    @classmethod
    def from_config(cls, config: PriorityConfig, table: Any, worker_id: str | None = None) -> DynamoJobQueue:
        """The queue as ``DynamoPriorityQueue`` configured it, on ``table`` (a boto3 ``Table``)."""
        return cls(table, config.levels, lease_seconds=config.lease_seconds, max_attempts=config.max_attempts,
                   retry_delay_seconds=config.retry_delay_seconds, worker_id=worker_id)

    def __init__(
        self, table: Any, levels: Sequence[str], lease_seconds: float = 60, max_attempts: int = 3,
        retry_delay_seconds: float = 0, worker_id: str | None = None, index_name: str = STATUS_INDEX,
        clock: Callable[[], int] = now_millis, page_size: int = 25,
    ):
        if max_attempts < 1 or lease_seconds <= 0:
            raise ValueError("max_attempts must be at least 1 and lease_seconds positive")
        self.table = table
        self.levels = list(levels)
        self.lease_ms = int(lease_seconds * 1000)
        self.max_attempts = max_attempts
        self.retry_delay_ms = int(retry_delay_seconds * 1000)
        self.worker_id = worker_id or uuid.uuid4().hex[:12]
        self.index_name = index_name
        self.clock = clock
        self.page_size = page_size

    # -- producers -------------------------------------------------------------------------------

    def item_for(self, request: JobRequest, created_at: int | None = None) -> dict[str, Any]:
        created_at = self.clock() if created_at is None else created_at
        return {
            "id": request.id, "priority": request.priority, "payload": json.dumps(request.payload),
            "created_at": created_at, "status": QUEUED, "attempts": 0,
            "queue_key": queue_key(self.levels.index(request.priority), created_at, request.id),
        }

    def enqueue(self, request: JobRequest) -> Job:
        item = self.item_for(request)
        try:
            self.table.put_item(Item=item, ConditionExpression=Attr("id").not_exists())
        except Exception as exc:
            if is_condition_failure(exc):
                raise DuplicateJob(f"job {request.id} already exists") from None
            raise
        return _job_of(item)

    def enqueue_many(self, requests: Iterable[JobRequest]) -> list[Job]:
        """Bulk enqueue (BatchWriteItem); ids are fresh, so no existence check is needed."""
        items = [self.item_for(r) for r in requests]
        with self.table.batch_writer() as batch:
            for item in items:
                batch.put_item(Item=item)
        return [_job_of(item) for item in items]

    def get(self, job_id: str) -> dict[str, Any] | None:
        item = self.table.get_item(Key={"id": job_id}, ConsistentRead=True).get("Item")
        return plain(item) if item else None

    # -- workers ---------------------------------------------------------------------------------

    def claim(self) -> Claim | None:
        """Lease the first available job in priority-then-age order, or None if there is none."""
        now = self.clock()
        query: dict[str, Any] = {
            "IndexName": self.index_name,
            "KeyConditionExpression": Key("status").eq(QUEUED),
            "FilterExpression": Attr("lease_expires_at").not_exists() | Attr("lease_expires_at").lt(now),
            "Limit": self.page_size,
        }
        while True:
            page = self.table.query(**query)
            for candidate in page.get("Items", []):
                if int(candidate.get("attempts", 0)) >= self.max_attempts:
                    self._park_exhausted(candidate, now)
                    continue
                claim = self._try_claim(candidate["id"], now)
                if claim is not None:
                    return claim
            if "LastEvaluatedKey" not in page:
                return None
            query["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def complete(self, claim: Claim, result: Any = None) -> None:
        self._settle(claim, {"status": SUCCEEDED, "completed_at": self.clock(),
                             "result": json.dumps(result, default=str)[:4000]}, remove=LEASE_FIELDS)

    def fail(self, claim: Claim, error: str) -> bool:
        """Record a failed attempt; park the job as failed when attempts are exhausted (returns True)."""
        now = self.clock()
        if claim.job.attempt >= self.max_attempts:
            self._settle(claim, {"status": FAILED, "last_error": error, "failed_at": now}, remove=LEASE_FIELDS)
            return True
        if self.retry_delay_ms:  # stays queued, hidden until the delay is over
            self._settle(claim, {"last_error": error, "lease_expires_at": now + self.retry_delay_ms},
                         remove=("lease_token",))
        else:
            self._settle(claim, {"last_error": error}, remove=LEASE_FIELDS)
        return False

    def process_one(self, handler: JobHandler) -> Outcome | None:
        """Claim one job and run ``handler`` on it; None when nothing is available."""
        claim = self.claim()
        if claim is None:
            return None
        try:
            result = handler(claim.job)
        except Exception as exc:
            error = describe_error(exc)
            try:
                parked = self.fail(claim, error)
            except LeaseLost:
                return Outcome(claim.job, "lease-lost", error)
            return Outcome(claim.job, FAILED if parked else QUEUED, error)
        try:
            self.complete(claim, result)
        except LeaseLost:
            return Outcome(claim.job, "lease-lost")
        return Outcome(claim.job, SUCCEEDED)

    def drain(self, handler: JobHandler, max_jobs: int = DRAIN_MAX_JOBS,
              remaining_ms: Callable[[], int] | None = None) -> list[Outcome]:
        """Process jobs until none is available, ``max_jobs`` are done, or ``remaining_ms()`` (the
        caller's time budget) could not cover another full lease."""
        outcomes: list[Outcome] = []
        while len(outcomes) < max_jobs:
            if remaining_ms is not None and remaining_ms() <= self.lease_ms + DRAIN_SAFETY_MS:
                break
            outcome = self.process_one(handler)
            if outcome is None:
                break
            outcomes.append(outcome)
        return outcomes

    # -- internals -------------------------------------------------------------------------------

    def _try_claim(self, job_id: str, now: int) -> Claim | None:
        token = uuid.uuid4().hex
        try:
            item = self.table.update_item(
                **update_kwargs(
                    {"id": job_id},
                    set_values={"lease_token": token, "lease_expires_at": now + self.lease_ms,
                                "claimed_by": self.worker_id, "claimed_at": now},
                    add={"attempts": 1},
                    condition=_AVAILABLE + " AND #attempts < :max_attempts",
                    condition_names=("status", "lease_expires_at", "attempts"),
                    condition_values={":queued": QUEUED, ":now": now, ":max_attempts": self.max_attempts},
                ),
                ReturnValues="ALL_NEW",
            )["Attributes"]
        except Exception as exc:
            if is_condition_failure(exc):
                return None  # another worker was faster, or the job changed: try the next one
            raise
        return Claim(_job_of(item), token, now + self.lease_ms)

    def _park_exhausted(self, candidate: dict[str, Any], now: int) -> None:
        """The last attempt's lease ran out (the worker died): park the job with that as its error."""
        attempts = int(candidate["attempts"])
        error = f"lease expired during attempt {attempts} of {self.max_attempts}: the worker did not finish"
        try:
            self.table.update_item(**update_kwargs(
                {"id": candidate["id"]},
                set_values={"status": FAILED, "last_error": error, "failed_at": now},
                remove=LEASE_FIELDS,
                condition=_AVAILABLE + " AND #attempts = :attempts",
                condition_names=("status", "lease_expires_at", "attempts"),
                condition_values={":queued": QUEUED, ":now": now, ":attempts": attempts},
            ))
        except Exception as exc:
            if not is_condition_failure(exc):
                raise

    def _settle(self, claim: Claim, values: dict[str, Any], remove: Sequence[str]) -> None:
        """Write a worker's outcome, but only while its claim still holds the job."""
        try:
            self.table.update_item(**update_kwargs(
                {"id": claim.job.id}, set_values=values, remove=remove,
                condition="#lease_token = :token", condition_names=("lease_token",),
                condition_values={":token": claim.token},
            ))
        except Exception as exc:
            if is_condition_failure(exc):
                raise LeaseLost(f"job {claim.job.id}: the lease expired and another worker claimed it") from None
            raise


def _job_of(item: dict[str, Any]) -> Job:
    return Job(str(item["id"]), str(item["priority"]), json.loads(item["payload"]), int(item["created_at"]),
               attempt=int(item.get("attempts", 0)))
