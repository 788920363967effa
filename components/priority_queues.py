"""``PriorityQueues``: one SQS queue per priority level, one worker that favours the higher levels.

SQS has no priorities, so each level gets its own queue (with its own DLQ) and its own event
source mapping onto the same worker function. Each mapping's ``MaximumConcurrency`` is the level's
share of the worker; the worker's reserved concurrency is the sum of the shares. So a backlog at a
low level can never occupy more than its share: the higher levels always have idle capacity
waiting for their next job, and no mapping is ever throttled (throttled SQS batches count as
receives and could push healthy jobs into the DLQ). See ``docs/patterns/priority-queues.md``.
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
from components.queues import queue_with_dead_letters
from functions.priority.jobs import DEFAULT_MAX_PAYLOAD_BYTES

AWS_MIN_MAXIMUM_CONCURRENCY = 2  # the smallest ScalingConfig.MaximumConcurrency AWS accepts


@dataclass(frozen=True)
class PriorityLevel:
    """name: the level (what producers pass as ``priority``). max_concurrency: its share of the worker."""

    name: str
    max_concurrency: int


@dataclass
class PriorityQueuesArgs:
    """levels: highest priority first; each level's ``max_concurrency`` (2..1000) is its share.
    max_receive_count: deliveries before a failing job moves to its level's DLQ.
    retry_delay_seconds: how long a failed job waits before its next delivery.
    batch_size: jobs per worker invocation (1..10). worker_timeout: seconds per invocation.
    visibility_timeout: seconds a delivered job stays hidden; default six worker timeouts, as AWS advises.
    max_payload_bytes: the largest payload accepted. job: the code run for each job.
    reserve_concurrency: reserve the sum of the shares for the worker (recommended; see module doc).
    """

    levels: Sequence[PriorityLevel] = (PriorityLevel("high", 4), PriorityLevel("low", 2))
    max_receive_count: int = 3
    retry_delay_seconds: int = 5
    batch_size: int = 10
    worker_timeout: int = 30
    visibility_timeout: int | None = None
    max_payload_bytes: int = DEFAULT_MAX_PAYLOAD_BYTES
    job: JobCode = field(default_factory=JobCode)
    reserve_concurrency: bool = True
    stage_name: str = "api"

    def validate(self) -> None:
        validate_levels([level.name for level in self.levels])
        for level in self.levels:
            if not AWS_MIN_MAXIMUM_CONCURRENCY <= level.max_concurrency <= 1000:
                raise ValueError(f"level {level.name}: max_concurrency must be 2..1000, got {level.max_concurrency}")
        if not 1 <= self.max_receive_count <= 1000:
            raise ValueError(f"max_receive_count must be 1..1000, got {self.max_receive_count}")
        if not 1 <= self.batch_size <= 10:
            raise ValueError(f"batch_size must be 1..10 (more needs a batching window), got {self.batch_size}")
        if not 0 <= self.retry_delay_seconds <= 43200:
            raise ValueError(f"retry_delay_seconds must be 0..43200, got {self.retry_delay_seconds}")
        if self.visibility_timeout is not None and self.visibility_timeout < self.worker_timeout:
            raise ValueError("visibility_timeout must be at least worker_timeout, or a job runs twice at once")


class PriorityQueues(pulumi.ComponentResource):
    """Level queues and DLQs, the worker and its mappings, the job records table, and ``POST /jobs``.

    Outputs: ``url`` (API base), ``queue_urls`` / ``dlq_urls`` (level -> URL), ``jobs_table``
    (job outcomes by id), ``worker_name``.
    """

    url: pulumi.Output[str]
    queue_urls: pulumi.Output[dict[str, str]]
    dlq_urls: pulumi.Output[dict[str, str]]
    jobs_table: pulumi.Output[str]
    worker_name: pulumi.Output[str]

    def __init__(self, name: str, args: PriorityQueuesArgs | None = None,
                 opts: pulumi.ResourceOptions | None = None):
        super().__init__("serverless-patterns:priority_queues:PriorityQueues", name, None, opts)
        args = args or PriorityQueuesArgs()
        args.validate()
        child = pulumi.ResourceOptions(parent=self)
        levels = [level.name for level in args.levels]
        self.table = aws.dynamodb.Table(
            f"{name}-jobs",
            attributes=[aws.dynamodb.TableAttributeArgs(name="id", type="S")],
            hash_key="id",
            billing_mode="PAY_PER_REQUEST",
            opts=child,
        )
        self.queues: dict[str, aws.sqs.Queue] = {}
        self.dlqs: dict[str, aws.sqs.Queue] = {}
        for level in levels:
            self.queues[level], self.dlqs[level] = queue_with_dead_letters(
                f"{name}-{level}", f"{name}-{level}-dlq", args.max_receive_count, self,
                visibility_timeout_seconds=args.visibility_timeout or 6 * args.worker_timeout,
            )
        queue_arns = [queue.arn for queue in self.queues.values()]
        common_env = {"LEVELS": ",".join(levels), "JOBS_TABLE": self.table.name,
                      "MAX_PAYLOAD_BYTES": str(args.max_payload_bytes), "JOB_HANDLER": args.job.handler}
        shares = sum(level.max_concurrency for level in args.levels)
        self.worker = PythonFunction(
            f"{name}-worker",
            PythonFunctionArgs(
                package="priority",
                handler="worker.handler",
                statements=[
                    iam.allow(["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes",
                               "sqs:ChangeMessageVisibility"], queue_arns),
                    iam.dynamodb_statement(self.table.arn, ["GetItem", "UpdateItem"]),
                    *args.job.statements,
                ],
                environment={
                    **common_env,
                    "MAX_RECEIVE_COUNT": str(args.max_receive_count),
                    "RETRY_DELAY_SECONDS": str(args.retry_delay_seconds),
                    "QUEUE_URLS_BY_ARN": _urls_by_arn(list(self.queues.values())),
                },
                timeout=args.worker_timeout,
                reserved_concurrency=shares if args.reserve_concurrency else None,
                layers=args.job.layers,
            ),
            opts=child,
        )
        self.mappings = [
            aws.lambda_.EventSourceMapping(
                f"{name}-{level.name}-mapping",
                event_source_arn=self.queues[level.name].arn,
                function_name=self.worker.arn,
                batch_size=args.batch_size,
                function_response_types=["ReportBatchItemFailures"],
                scaling_config=aws.lambda_.EventSourceMappingScalingConfigArgs(
                    maximum_concurrency=level.max_concurrency
                ),
                opts=child,
            )
            for level in args.levels
        ]
        _, api = producer_api(
            name, self,
            statements=[iam.allow(["sqs:SendMessage"], queue_arns),
                        iam.dynamodb_statement(self.table.arn, ["GetItem"])],
            environment={**common_env, "BACKEND": "sqs",
                         "QUEUE_URLS": pulumi.Output.json_dumps({k: q.url for k, q in self.queues.items()})},
            stage_name=args.stage_name,
            description="Priority queues: SQS level queues (serverless-patterns)",
        )
        self.url = api.url
        self.queue_urls = pulumi.Output.all(**{k: q.url for k, q in self.queues.items()})
        self.dlq_urls = pulumi.Output.all(**{k: q.url for k, q in self.dlqs.items()})
        self.jobs_table = self.table.name
        self.worker_name = self.worker.name
        self.register_outputs({"url": self.url, "queue_urls": self.queue_urls, "dlq_urls": self.dlq_urls,
                               "jobs_table": self.jobs_table, "worker_name": self.worker_name})


def _urls_by_arn(queues: list[aws.sqs.Queue]) -> pulumi.Output[str]:
    """JSON ``{queue ARN: queue URL}``: how the worker finds the URL of the queue a record came from."""
    return pulumi.Output.all(*[q.arn for q in queues], *[q.url for q in queues]).apply(
        lambda values: json.dumps(dict(zip(values[: len(queues)], values[len(queues):], strict=True)))
    )
