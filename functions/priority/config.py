"""What the priority-queue handlers receive from ``PriorityQueues`` (SQS levels) and
``DynamoPriorityQueue`` (one ordered table); see :mod:`functions.common.config`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar, Literal

from functions.common.config import HandoffConfig
from functions.priority.jobs import DEFAULT_MAX_PAYLOAD_BYTES

DEFAULT_JOB_HANDLER = "functions.priority.jobs.acknowledge"  # harmless: replace it with your job code


@dataclass(frozen=True, kw_only=True)
class PriorityConfig(HandoffConfig):
    """backend: where jobs go, ``sqs`` (one queue per level) or ``dynamodb`` (the ordered table).
    levels: highest priority first. jobs_table: job records (SQS) or the queue itself (DynamoDB).
    max_payload_bytes: the largest payload accepted. job_handler: ``module.function`` run per job.

    SQS only: queue_urls (level -> URL, for producers), queue_urls_by_arn (for the worker),
    max_receive_count (deliveries before the DLQ), retry_delay_seconds (wait before a retry).
    DynamoDB only: lease_seconds (how long a claim hides a job), max_attempts (claims before a
    failing job is parked), retry_delay_seconds.
    """

    VARIABLE: ClassVar[str] = "PRIORITY_CONFIG"

    backend: Literal["sqs", "dynamodb"]
    jobs_table: str
    levels: tuple[str, ...] = ("high", "low")
    max_payload_bytes: int = DEFAULT_MAX_PAYLOAD_BYTES
    job_handler: str = DEFAULT_JOB_HANDLER
    queue_urls: dict[str, str] = field(default_factory=dict)
    queue_urls_by_arn: dict[str, str] = field(default_factory=dict)
    max_receive_count: int = 3
    retry_delay_seconds: int = 5
    lease_seconds: int = 60
    max_attempts: int = 3

    def __post_init__(self) -> None:
        if not self.levels:
            raise ValueError("at least one priority level is required")
        if "." not in self.job_handler:
            raise ValueError(f"job handler {self.job_handler!r} must be 'module.function'")
