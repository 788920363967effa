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

from components import iam
from components.function import PythonFunction, PythonFunctionArgs
from components.priority_jobs import JobCode, producer_api, validate_levels
from functions.priority.dynamo_queue import DRAIN_MAX_JOBS, DRAIN_SAFETY_MS, STATUS_INDEX
from functions.priority.jobs import DEFAULT_MAX_PAYLOAD_BYTES


@dataclass
class DynamoPriorityQueueArgs:
    """levels: highest priority first. lease_seconds: how long a claim hides a job; keep it above the
    longest job. max_attempts: claims before a failing job is parked as failed. retry_delay_seconds:
    wait before a failed job can be claimed again. worker_timeout: seconds per worker invocation (it
    must leave room for one full lease). max_workers: the worker's reserved concurrency (``None``:
    unreserved). schedule: how often a worker starts draining (``None``: only when you invoke it).
    max_jobs_per_invocation: jobs one invocation takes before it returns.
    """

    levels: Sequence[str] = ("high", "low")
    lease_seconds: int = 60
    max_attempts: int = 3
    retry_delay_seconds: int = 5
    worker_timeout: int = 300
    max_workers: int | None = None
    schedule: str | None = "rate(1 minute)"
    max_jobs_per_invocation: int = DRAIN_MAX_JOBS
    max_payload_bytes: int = DEFAULT_MAX_PAYLOAD_BYTES
    job: JobCode = field(default_factory=JobCode)
    stage_name: str = "api"

    def validate(self) -> None:
        validate_levels(self.levels)
        if len(self.levels) > 999:
            raise ValueError("at most 999 levels (the rank is three digits of the sort key)")
        if self.lease_seconds < 1 or self.max_attempts < 1 or self.max_jobs_per_invocation < 1:
            raise ValueError("lease_seconds, max_attempts and max_jobs_per_invocation must be at least 1")
        if self.worker_timeout * 1000 <= self.lease_seconds * 1000 + DRAIN_SAFETY_MS:
            raise ValueError(f"worker_timeout ({self.worker_timeout}s) must exceed lease_seconds "
                             f"({self.lease_seconds}s) by more than {DRAIN_SAFETY_MS / 1000:.0f}s")
        if self.max_workers is not None and self.max_workers < 1:
            raise ValueError("max_workers must be at least 1")


class DynamoPriorityQueue(pulumi.ComponentResource):
    """The jobs table and its status index, the worker (and its schedule), and ``POST /jobs``.

    Outputs: ``url`` (API base), ``jobs_table``, ``worker_name``.
    """

    url: pulumi.Output[str]
    jobs_table: pulumi.Output[str]
    worker_name: pulumi.Output[str]

    def __init__(self, name: str, args: DynamoPriorityQueueArgs | None = None,
                 opts: pulumi.ResourceOptions | None = None):
        super().__init__("serverless-patterns:dynamo_priority_queue:DynamoPriorityQueue", name, None, opts)
        args = args or DynamoPriorityQueueArgs()
        args.validate()
        child = pulumi.ResourceOptions(parent=self)
        self.table = aws.dynamodb.Table(
            f"{name}-jobs",
            attributes=[aws.dynamodb.TableAttributeArgs(name=n, type="S") for n in ("id", "status", "queue_key")],
            hash_key="id",
            billing_mode="PAY_PER_REQUEST",
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
            opts=child,
        )
        environment = {
            "LEVELS": ",".join(args.levels), "JOBS_TABLE": self.table.name,
            "MAX_PAYLOAD_BYTES": str(args.max_payload_bytes), "JOB_HANDLER": args.job.handler,
            "LEASE_SECONDS": str(args.lease_seconds), "MAX_ATTEMPTS": str(args.max_attempts),
            "RETRY_DELAY_SECONDS": str(args.retry_delay_seconds),
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
                environment=environment,
                timeout=args.worker_timeout,
                reserved_concurrency=args.max_workers,
                layers=args.job.layers,
            ),
            opts=child,
        )
        if args.schedule:
            self._schedule(name, args)
        _, api = producer_api(
            name, self,
            statements=[iam.dynamodb_statement(self.table.arn, ["PutItem", "GetItem"])],
            environment={**environment, "BACKEND": "dynamodb"},
            stage_name=args.stage_name,
            description="Priority queue: strictly ordered DynamoDB queue (serverless-patterns)",
        )
        self.url = api.url
        self.jobs_table = self.table.name
        self.worker_name = self.worker.name
        self.register_outputs({"url": self.url, "jobs_table": self.jobs_table, "worker_name": self.worker_name})

    def _schedule(self, name: str, args: DynamoPriorityQueueArgs) -> None:
        """A rule that starts one draining worker per tick. Ticks carry no work, so a lost tick loses
        no job: the jobs stay in the table and the next tick (or any worker) takes them."""
        child = pulumi.ResourceOptions(parent=self)
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
