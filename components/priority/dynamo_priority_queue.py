"""``DynamoPriorityQueue``: a strictly ordered job queue in one DynamoDB table.

Where SQS levels only favour the higher priorities, this queue hands out jobs in exact order:
priority first, then age. A GSI on ``status`` sorted by ``<rank>#<created at>#<id>`` lists the
queued jobs in that order; a worker claims the first available one with a conditional update
that sets a lease, so two workers never hold the same job and a crashed worker's job comes back
when its lease runs out. Attempts are capped; an exhausted job is parked as ``failed`` with its
last error. The queue logic is :class:`functions.priority.dynamo_queue.DynamoJobQueue`, which any
process can use; this component adds the worker function, its schedule, and ``POST /jobs``.
"""

from __future__ import annotations

import json
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
    validation,
)
from components.core.auth import check_auth
from components.priority.jobs import JobCode, producer_api, validate_levels
from functions.priority.config import PriorityConfig
from functions.priority.dynamo_queue import DRAIN_MAX_JOBS, DRAIN_SAFETY_MS, STATUS_INDEX


@dataclass(frozen=True, kw_only=True)
class DynamoPriorityQueueArgs:
    """levels: highest priority first. lease_seconds: how long a claim hides a job; keep it above the
    longest job. max_attempts: claims before a failing job is parked as failed. retry_delay_seconds:
    wait before a failed job can be claimed again. worker_timeout: seconds per worker invocation (it
    must leave room for one full lease). max_workers: the worker's reserved concurrency (``None``:
    unreserved). schedule: how often a worker starts draining (``None``: only when you invoke it).
    max_jobs_per_invocation: jobs one invocation takes before it returns. auth: who may call ``/jobs``
    (SigV4 by default; see :mod:`components.core.auth`). stage_name: the API stage.
    """

    levels: Sequence[str] = PriorityConfig.levels
    lease_seconds: int = PriorityConfig.lease_seconds
    max_attempts: int = PriorityConfig.max_attempts
    retry_delay_seconds: int = PriorityConfig.retry_delay_seconds
    worker_timeout: int = 300
    max_workers: int | None = None
    schedule: str | None = "rate(1 minute)"
    max_jobs_per_invocation: int = DRAIN_MAX_JOBS
    max_payload_bytes: int = PriorityConfig.max_payload_bytes
    job: JobCode = field(default_factory=JobCode)
    auth: Authorization = field(default_factory=IamAuth)
    stage_name: str = "api"

    def __post_init__(self) -> None:
        validate_levels(self, self.levels)
        validation.check(len(self.levels) <= 999, self, "levels",
                         "must hold at most 999 levels (the rank is three digits of the sort key)")
        for option in ("lease_seconds", "max_attempts", "max_jobs_per_invocation", "max_payload_bytes"):
            validation.integer(self, option, 1)
        validation.integer(self, "retry_delay_seconds", 0)
        validation.integer(self, "worker_timeout", 1, 900)
        validation.check(self.worker_timeout * 1000 > self.lease_seconds * 1000 + DRAIN_SAFETY_MS, self,
                         "worker_timeout", f"must exceed lease_seconds ({self.lease_seconds}s) by more than "
                                           f"{DRAIN_SAFETY_MS / 1000:.0f}s")
        validation.integer(self, "max_workers", 1, optional=True)
        validation.check(self.schedule is None or (isinstance(self.schedule, str) and self.schedule.startswith(
            ("rate(", "cron("))), self, "schedule", "must be a 'rate(...)' or 'cron(...)' expression, or None")
        validation.stage_name(self)
        check_auth(self)


class DynamoPriorityQueue(PatternComponent):
    """The jobs table and its status index, the worker (and its schedule), and ``POST /jobs``.

    Outputs: ``url`` (API base), ``jobs_table_name``, ``worker_function_name``.
    """

    TYPE = "serverless-patterns:priority:DynamoPriorityQueue"
    LEGACY_TYPES = ("serverless-patterns:dynamo_priority_queue:DynamoPriorityQueue",)

    def __init__(self, name: str, args: DynamoPriorityQueueArgs | None = None,
                 opts: pulumi.ResourceOptions | None = None):
        args = args or DynamoPriorityQueueArgs()
        super().__init__(name, opts)
        child = self.child
        self.table = on_demand_table(
            f"{name}-jobs", "id", self, index_attributes=("status", "queue_key"),
            global_secondary_indexes=[
                aws.dynamodb.TableGlobalSecondaryIndexArgs(
                    name=STATUS_INDEX,
                    key_schemas=[
                        aws.dynamodb.TableGlobalSecondaryIndexKeySchemaArgs(attribute_name="status", key_type="HASH"),
                        aws.dynamodb.TableGlobalSecondaryIndexKeySchemaArgs(attribute_name="queue_key",
                                                                            key_type="RANGE"),
                    ],
                    # what a claim reads before its update: the rest comes back from the update itself
                    projection_type="INCLUDE",
                    non_key_attributes=["attempts", "lease_expires_at"],
                )
            ],
        )
        config = {
            "backend": "dynamodb", "levels": list(args.levels), "jobs_table": self.table.name,
            "max_payload_bytes": args.max_payload_bytes, "job_handler": args.job.handler,
            "lease_seconds": args.lease_seconds, "max_attempts": args.max_attempts,
            "retry_delay_seconds": args.retry_delay_seconds,
        }
        self.worker = PythonFunction(
            f"{name}-worker",
            PythonFunctionArgs(
                package="priority",
                handler="dynamo_worker.handler",
                statements=[
                    iam.allow(["dynamodb:Query"], [pulumi.Output.concat(self.table.arn, f"/index/{STATUS_INDEX}")]),
                    iam.dynamodb_statement(self.table.arn, ["UpdateItem"]),
                    *args.job.statements,
                ],
                environment=handoff(PriorityConfig, **config),
                timeout=args.worker_timeout,
                reserved_concurrency=args.max_workers,
                layers=args.job.layers,
                extra_files=args.job.files,
            ),
            opts=child,
        )
        if args.schedule:
            self._schedule(name, args)
        _, api = producer_api(
            name, self,
            statements=[iam.dynamodb_statement(self.table.arn, ["PutItem", "GetItem"])],
            config=config,
            auth=args.auth,
            stage_name=args.stage_name,
            description="Priority queue: strictly ordered DynamoDB queue (serverless-patterns)",
        )
        self.url = api.url
        self._publish({"url": api.url, "jobs_table_name": self.table.name, "worker_function_name": self.worker.name,
                       **api.auth_outputs})

    def _schedule(self, name: str, args: DynamoPriorityQueueArgs) -> None:
        """A rule that starts one draining worker per tick. Ticks carry no work, so a lost tick loses
        no job: the jobs stay in the table and the next tick (or any worker) takes them."""
        child = self.child
        rule = aws.cloudwatch.EventRule(f"{name}-tick", schedule_expression=args.schedule,
                                        description="Start a priority-queue worker", opts=child)
        permission = aws.lambda_.Permission(
            f"{name}-tick-permission", action="lambda:InvokeFunction", function=self.worker.arn,
            principal="events.amazonaws.com", source_arn=rule.arn, opts=child,
        )
        aws.cloudwatch.EventTarget(
            f"{name}-tick-target", rule=rule.name, arn=self.worker.arn,
            input=json.dumps({"max_jobs": args.max_jobs_per_invocation}),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[permission]),
        )
