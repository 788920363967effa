"""``PriorityQueues``: one SQS queue per priority level, one worker that favours the higher levels.

SQS has no priorities, so each level gets its own queue (with its own DLQ) and its own event
source mapping onto the same worker function. Each mapping's ``MaximumConcurrency`` is the level's
share of the worker; the worker's reserved concurrency is the sum of the shares. So a backlog at a
low level can never occupy more than its share: the higher levels always have idle capacity
waiting for their next job, and no mapping is ever throttled (throttled SQS batches count as
receives and could push healthy jobs into the DLQ). See ``docs/patterns/priority.md``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from components.core import (
    Authorization,
    IamAuth,
    PatternComponent,
    PythonFunction,
    PythonFunctionArgs,
    handoff,
    iam,
    on_demand_table,
    queue_with_dead_letters,
    sqs_consumer,
    validation,
)
from components.core.auth import check_auth
from components.priority.jobs import JobCode, producer_api, validate_levels
from functions.priority.config import PriorityConfig

AWS_MIN_MAXIMUM_CONCURRENCY = 2  # the smallest ScalingConfig.MaximumConcurrency AWS accepts


@dataclass(frozen=True)
class PriorityLevel:
    """name: the level (what producers pass as ``priority``). max_concurrency: its share of the worker."""

    name: str
    max_concurrency: int


@dataclass(frozen=True, kw_only=True)
class PriorityQueuesArgs:
    """levels: highest priority first; each level's ``max_concurrency`` (2..1000) is its share.
    max_receive_count: deliveries before a failing job moves to its level's DLQ.
    retry_delay_seconds: how long a failed job waits before its next delivery.
    batch_size: jobs per worker invocation (1..10). worker_timeout: seconds per invocation.
    visibility_timeout: seconds a delivered job stays hidden; default six worker timeouts, as AWS advises.
    max_payload_bytes: the largest payload accepted. job: the code run for each job.
    reserve_concurrency: reserve the sum of the shares for the worker (recommended; see module doc).
    auth: who may call ``/jobs`` (SigV4 by default; see :mod:`components.core.auth`). stage_name: the API stage.
    """

    levels: Sequence[PriorityLevel] = (PriorityLevel("high", 4), PriorityLevel("low", 2))
    max_receive_count: int = PriorityConfig.max_receive_count
    retry_delay_seconds: int = PriorityConfig.retry_delay_seconds
    batch_size: int = 10
    worker_timeout: int = 30
    visibility_timeout: int | None = None
    max_payload_bytes: int = PriorityConfig.max_payload_bytes
    job: JobCode = field(default_factory=JobCode)
    reserve_concurrency: bool = True
    auth: Authorization = field(default_factory=IamAuth)
    stage_name: str = "api"

    def __post_init__(self) -> None:
        validate_levels(self, [level.name for level in self.levels])
        for level in self.levels:
            validation.check(AWS_MIN_MAXIMUM_CONCURRENCY <= level.max_concurrency <= 1000, self, "levels",
                             f"must give each level a max_concurrency in 2..1000 (level {level.name!r})")
        validation.integer(self, "max_receive_count", 1, 1000)
        validation.integer(self, "batch_size", 1, 10)
        validation.integer(self, "retry_delay_seconds", 0, 43200)
        validation.integer(self, "worker_timeout", 1, 900)
        validation.integer(self, "max_payload_bytes", 1, 200 * 1024)
        validation.integer(self, "visibility_timeout", self.worker_timeout, 43200, optional=True)
        validation.stage_name(self)
        check_auth(self)


class PriorityQueues(PatternComponent):
    """Level queues and DLQs, the worker and its mappings, the job records table, and ``POST /jobs``.

    Outputs: ``url`` (API base), ``level_queue_urls`` / ``level_dlq_urls`` (level -> URL),
    ``jobs_table_name`` (job outcomes by id), ``worker_function_name``.
    """

    TYPE = "serverless-patterns:priority:PriorityQueues"
    LEGACY_TYPES = ("serverless-patterns:priority_queues:PriorityQueues",)

    def __init__(self, name: str, args: PriorityQueuesArgs | None = None,
                 opts: pulumi.ResourceOptions | None = None):
        args = args or PriorityQueuesArgs()
        super().__init__(name, opts)
        child = self.child
        levels = [level.name for level in args.levels]
        self.table = on_demand_table(f"{name}-jobs", "id", self)
        self.queues: dict[str, aws.sqs.Queue] = {}
        self.dlqs: dict[str, aws.sqs.Queue] = {}
        for level in levels:
            self.queues[level], self.dlqs[level] = queue_with_dead_letters(
                f"{name}-{level}", f"{name}-{level}-dlq", args.max_receive_count, self,
                visibility_timeout_seconds=args.visibility_timeout or 6 * args.worker_timeout,
            )
        queue_arns = [queue.arn for queue in self.queues.values()]
        common = {"backend": "sqs", "levels": levels, "jobs_table": self.table.name,
                  "max_payload_bytes": args.max_payload_bytes, "job_handler": args.job.handler}
        shares = sum(level.max_concurrency for level in args.levels)
        self.worker = PythonFunction(
            f"{name}-worker",
            PythonFunctionArgs(
                package="priority",
                handler="worker.handler",
                statements=[
                    iam.sqs_consumer_statement(queue_arns, change_visibility=True),
                    iam.dynamodb_statement(self.table.arn, ["GetItem", "UpdateItem"]),
                    *args.job.statements,
                ],
                environment=handoff(
                    PriorityConfig, **common, max_receive_count=args.max_receive_count,
                    retry_delay_seconds=args.retry_delay_seconds,
                    queue_urls_by_arn=_urls_by_arn(list(self.queues.values())),
                ),
                timeout=args.worker_timeout,
                reserved_concurrency=shares if args.reserve_concurrency else None,
                layers=args.job.layers,
                extra_files=args.job.files,
            ),
            opts=child,
        )
        self.mappings = [
            sqs_consumer(f"{name}-{level.name}-mapping", self.queues[level.name].arn, self.worker.arn, self,
                         batch_size=args.batch_size, max_concurrency=level.max_concurrency)
            for level in args.levels
        ]
        queue_urls = pulumi.Output.all(**{k: q.url for k, q in self.queues.items()})
        _, api = producer_api(
            name, self,
            statements=[iam.allow(["sqs:SendMessage"], queue_arns),
                        iam.dynamodb_statement(self.table.arn, ["GetItem"])],
            config={**common, "queue_urls": queue_urls},
            auth=args.auth,
            stage_name=args.stage_name,
            description="Priority queues: SQS level queues (serverless-patterns)",
        )
        self.url = api.url
        self._publish({
            "url": api.url,
            "level_queue_urls": queue_urls,
            "level_dlq_urls": pulumi.Output.all(**{k: q.url for k, q in self.dlqs.items()}),
            "jobs_table_name": self.table.name,
            "worker_function_name": self.worker.name,
            **api.auth_outputs,
        })


def _urls_by_arn(queues: list[aws.sqs.Queue]) -> pulumi.Output[dict[str, str]]:
    """``{queue ARN: queue URL}``: how the worker finds the URL of the queue a record came from."""
    return pulumi.Output.all(*[q.arn for q in queues], *[q.url for q in queues]).apply(
        lambda values: dict(zip(values[: len(queues)], values[len(queues):], strict=True))
    )
