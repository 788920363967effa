"""``RequestBuffer``: inbound regulation. API -> SQS -> a worker capped at N concurrent invocations, so a
downstream that takes at most N calls at once is never handed more, however the callers burst.

``POST /requests`` validates and records the request, queues it and answers 202 with its id;
``GET /requests/{id}`` tells its status (``queued``, ``processing``, ``done`` with the result, ``failed``
with the error). The worker's event source mapping has ``MaximumConcurrency`` N (and its reserved
concurrency is N), each invocation calls the downstream one request at a time; failures are retried
after ``retry_delay_seconds`` and, after ``max_receive_count`` receives, parked in the DLQ.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi

from components.core import (
    Authorization,
    IamAuth,
    PatternComponent,
    PythonFunction,
    PythonFunctionArgs,
    RestApi,
    RestApiArgs,
    Route,
    handoff,
    iam,
    on_demand_table,
    queue_with_dead_letters,
    sqs_consumer,
    validation,
)
from components.core.auth import check_auth
from functions.rate_limit.config import BufferSettings, RateLimitConfig

AWS_MIN_MAXIMUM_CONCURRENCY = 2  # the smallest ScalingConfig.MaximumConcurrency AWS accepts


@dataclass(frozen=True)
class Downstream:
    """The call the buffer protects, run by the worker for each request.

    handler: ``module.function`` taking a ``functions.rate_limit.buffer.Request`` and returning a
        JSON-serialisable result (raise to fail). The default acknowledges and does nothing.
    files: your code, bundled into the worker's archive: archive path -> file or folder on disk.
    statements: IAM statements your code needs. settings: strings your code reads as ``request.settings``.
    """

    handler: str = "functions.rate_limit.buffer.acknowledge"
    files: Mapping[str, str] = field(default_factory=dict)
    statements: Sequence[dict[str, Any]] = ()
    settings: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        validation.check("." in self.handler, self, "handler", "must be 'module.function'")


@dataclass(frozen=True, kw_only=True)
class RequestBufferArgs:
    """max_concurrency: the most downstream calls at once (N; 2..1000). batch_size: requests per worker
    invocation (1..10). max_receive_count: receives before a failing request goes to the DLQ.
    retry_delay_seconds: wait before a failed request's next receive. worker_timeout: seconds per invocation.
    max_payload_bytes: largest request body. downstream: the protected call. auth: who may call the
    routes (SigV4 by default). stage_name: the API stage.
    """

    max_concurrency: int = 2
    batch_size: int = 10
    max_receive_count: int = 3
    retry_delay_seconds: int = 1
    worker_timeout: int = 30
    max_payload_bytes: int = 64 * 1024
    downstream: Downstream = field(default_factory=Downstream)
    auth: Authorization = field(default_factory=IamAuth)
    stage_name: str = "api"

    def __post_init__(self) -> None:
        validation.integer(self, "max_concurrency", AWS_MIN_MAXIMUM_CONCURRENCY, 1000)
        validation.integer(self, "batch_size", 1, 10)
        validation.integer(self, "max_receive_count", 1, 1000)
        validation.integer(self, "retry_delay_seconds", 0, 43200)
        validation.integer(self, "worker_timeout", 1, 900)
        validation.integer(self, "max_payload_bytes", 1, 200 * 1024)
        validation.check(isinstance(self.downstream, Downstream), self, "downstream", "must be a Downstream(...)")
        check_auth(self)
        validation.stage_name(self)


class RequestBuffer(PatternComponent):
    """The requests queue and DLQ, the status table, the API function and the capped worker.

    Outputs: ``url``, ``requests_queue_url``, ``requests_dlq_url``, ``status_table_name``,
    ``worker_function_name``.
    """

    TYPE = "serverless-patterns:rate_limit:RequestBuffer"

    def __init__(self, name: str, args: RequestBufferArgs | None = None, opts: pulumi.ResourceOptions | None = None):
        args = args or RequestBufferArgs()
        super().__init__(name, opts)
        child = self.child
        self.table = on_demand_table(f"{name}-status", "id", self, ttl_attribute="ttl")
        self.queue, self.dlq = queue_with_dead_letters(
            f"{name}-requests", f"{name}-requests-dlq", args.max_receive_count, self,
            visibility_timeout_seconds=6 * args.worker_timeout)
        settings = pulumi.Output.all(table=self.table.name, queue=self.queue.url,
                                     downstream=dict(args.downstream.settings)).apply(
            lambda v: BufferSettings(status_table=v["table"], queue_url=v["queue"],
                                     max_receive_count=args.max_receive_count,
                                     retry_delay_seconds=args.retry_delay_seconds,
                                     max_payload_bytes=args.max_payload_bytes,
                                     downstream_handler=args.downstream.handler,
                                     downstream_settings=v["downstream"]))
        api_function = PythonFunction(
            f"{name}-api-fn",
            PythonFunctionArgs(package="rate_limit", handler="buffer_api.handler",
                               statements=[iam.allow(["sqs:SendMessage"], [self.queue.arn]),
                                           iam.dynamodb_statement(self.table.arn,
                                                                  ["PutItem", "GetItem", "DeleteItem"])],
                               environment=handoff(RateLimitConfig, buffer=settings)),
            opts=child,
        )
        self.worker = PythonFunction(
            f"{name}-worker",
            PythonFunctionArgs(package="rate_limit", handler="buffer_worker.handler",
                               statements=[iam.sqs_consumer_statement([self.queue.arn], change_visibility=True),
                                           iam.dynamodb_statement(self.table.arn, ["UpdateItem"]),
                                           *args.downstream.statements],
                               environment=handoff(RateLimitConfig, buffer=settings),
                               timeout=args.worker_timeout, reserved_concurrency=args.max_concurrency,
                               extra_files=args.downstream.files),
            opts=child,
        )
        sqs_consumer(f"{name}-mapping", self.queue.arn, self.worker.arn, self, batch_size=args.batch_size,
                     max_concurrency=args.max_concurrency)
        api = RestApi(
            f"{name}-api",
            RestApiArgs(routes=[Route("POST", "/requests", api_function), Route("GET", "/requests/{id}", api_function)],
                        auth=args.auth, stage_name=args.stage_name,
                        description="Inbound buffer: API -> SQS -> capped worker (serverless-patterns)"),
            opts=child,
        )
        self.url = api.url
        self._publish({"url": api.url, "requests_queue_url": self.queue.url, "requests_dlq_url": self.dlq.url,
                       "status_table_name": self.table.name, "worker_function_name": self.worker.name,
                       **api.auth_outputs})
