"""``StorageFirstApi``: routes where API Gateway stores the request in a durable service itself (a REST v1
service integration, no Lambda in the request path), answers 202 with the stored request's id, and
consumers process it later, so a failing or slow function never loses a request.

Per target (``StorageTarget``), ``POST /<name>`` stores into:

- ``sqs``: a standard queue (``SendMessage``; the body unchanged);
- ``sqs-fifo``: a FIFO queue; the ``Idempotency-Key`` header (required) is the deduplication id;
- ``eventbridge``: a bus of its own (``PutEvents``; the body is the event's detail), which a rule
  delivers to a queue (add your own rules for fan-out);
- ``dynamodb``: a table (``UpdateItem`` keyed by the required ``Idempotency-Key``: a repeat with the
  same body is a replay, with another body 409); its stream feeds the consumer;
- ``stepfunctions``: a state machine (``StartExecution`` named by the required ``Idempotency-Key``: a
  second request with the key is 409); its first state runs the consumer, with retries;
- ``s3``: a bucket (``PutObject`` of the body as the object ``<request id>``: bodies up to API
  Gateway's 10 MB), whose notifications bring each object to the consumer.

and ``GET /<name>/{id}`` reports what the consumer did with it. The body is validated against the
target's JSON schema by API Gateway before anything is stored (400); the service's refusals are 4xx
and its failures 5xx with the catalog's error body, never 200. Each integration has its own role
allowing exactly its one action on its one resource. Every consumer reports partial batch failures,
retries, and parks a request that keeps failing in the target's DLQ with the reason.

Example
-------
>>> api = StorageFirstApi("intake", StorageFirstApiArgs(targets=[
...     StorageTarget("orders", "sqs", schema={"type": "object", "required": ["sku"]}),
...     StorageTarget("payments", "dynamodb"),
... ], processor=ProcessorCode(handler="my_code.process", files={"my_code.py": "src/my_code.py"})))
>>> pulumi.export("intake", api.outputs)
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from components.core import (
    Authorization,
    IamAuth,
    PatternComponent,
    PythonFunction,
    PythonFunctionArgs,
    RestApi,
    RestApiArgs,
    Route,
    ServiceIntegration,
    ServiceResponse,
    allow_service_to_send,
    events_to_queue,
    handoff,
    iam,
    on_demand_table,
    queue_with_dead_letters,
    service_action_uri,
    service_path_uri,
    sqs_consumer,
    sqs_integration_uri,
    validation,
)
from components.core.auth import check_auth
from components.core.queues import DLQ_RETENTION_SECONDS
from functions.storage_first import templates
from functions.storage_first.config import DEFAULT_PROCESSOR, KINDS, Kind, StorageFirstConfig, TargetSettings

TARGET_NAME = re.compile(r"^[a-z][a-z0-9-]{0,39}$")
SQS_MAX_MESSAGE_BYTES = 256 * 1024
QUEUED: tuple[Kind, ...] = ("sqs", "sqs-fifo", "eventbridge", "s3")  # consumed by the queue worker
KEYED: tuple[Kind, ...] = ("sqs-fifo", "dynamodb", "stepfunctions")  # the Idempotency-Key header is required
NEW_ITEMS = json.dumps({"eventName": ["INSERT"]})  # a replay (same key, same body) changes nothing to process
ANY_JSON_OBJECT: Mapping[str, Any] = {"type": "object"}
SERVICE_UNAVAILABLE = ServiceResponse(
    "503", r"5\d{2}", {"application/json": templates.error("the store is unavailable; retry later", "unavailable")},
    headers={"Retry-After": "'1'"})


@dataclass(frozen=True)
class StorageTarget:
    """One storage-first route: ``POST /<name>`` stores into ``kind`` (``sqs``, ``sqs-fifo``,
    ``eventbridge``, ``dynamodb``). schema: the JSON schema (draft 4) bodies must satisfy (default: any
    JSON object). max_body_bytes: larger bodies are refused with 413 and nothing stored (queues only:
    a queue's maximum message size; a table's item limit is DynamoDB's). max_attempts: this target's
    retry budget (``None``: the API's), e.g. more attempts where a downstream outage must be outlasted."""

    name: str
    kind: Kind = "sqs"
    schema: Mapping[str, Any] = field(default_factory=lambda: dict(ANY_JSON_OBJECT))
    max_body_bytes: int = SQS_MAX_MESSAGE_BYTES
    max_attempts: int | None = None

    def __post_init__(self) -> None:
        validation.check(isinstance(self.name, str) and bool(TARGET_NAME.match(self.name)), self, "name",
                         "must be 1-40 lower-case letters, digits or '-', starting with a letter")
        validation.check(self.kind in KINDS, self, "kind", f"must be one of {', '.join(KINDS)}")
        validation.check(isinstance(self.schema, Mapping) and self.schema.get("type", "object") == "object", self,
                         "schema", "must be a JSON schema of an object (an EventBridge detail and the catalog's "
                         "bodies are objects)")
        validation.integer(self, "max_body_bytes", 1024, SQS_MAX_MESSAGE_BYTES)
        validation.integer(self, "max_attempts", 1, 1000, optional=True)


@dataclass(frozen=True, kw_only=True)
class ProcessorCode:
    """The code the consumers run on each stored request: ``handler`` (``module.function`` taking a
    ``functions.storage_first.processing.StoredRequest``; raise to fail), ``files`` bundled with it
    (archive path -> file or folder), ``statements`` the IAM it needs. The default does nothing."""

    handler: str = DEFAULT_PROCESSOR
    files: Mapping[str, str] = field(default_factory=dict)
    statements: Sequence[dict[str, Any]] = ()

    def __post_init__(self) -> None:
        validation.check(isinstance(self.handler, str) and "." in self.handler, self, "handler",
                         "must be 'module.function'")


@dataclass(frozen=True, kw_only=True)
class StorageFirstApiArgs:
    """targets: the routes and where each stores. processor: what the consumers run. max_attempts:
    processor failures before a request goes to its DLQ with the reason. retry_delay_seconds: wait
    before a failed queued request comes back. worker_timeout: seconds per consumer batch.
    status_ttl_seconds: how long outcomes are kept. auth / stage_name: the API's (SigV4 by default).
    """

    targets: Sequence[StorageTarget]
    processor: ProcessorCode = field(default_factory=ProcessorCode)
    max_attempts: int = 3
    retry_delay_seconds: int = 1
    worker_timeout: int = 10
    status_ttl_seconds: int = 7 * 24 * 3600
    auth: Authorization = field(default_factory=IamAuth)
    stage_name: str = "api"

    def __post_init__(self) -> None:
        validation.check(bool(self.targets) and not isinstance(self.targets, str | StorageTarget), self, "targets",
                         "must hold at least one StorageTarget")
        validation.check(all(isinstance(t, StorageTarget) for t in self.targets), self, "targets",
                         "must hold StorageTarget values")
        validation.unique(self, "targets", [t.name for t in self.targets])
        validation.check(isinstance(self.processor, ProcessorCode), self, "processor", "must be a ProcessorCode")
        validation.integer(self, "max_attempts", 1, 100)
        validation.integer(self, "retry_delay_seconds", 0, 43200)
        validation.integer(self, "worker_timeout", 1, 900)
        validation.integer(self, "status_ttl_seconds", 60)
        validation.stage_name(self)
        check_auth(self)


class StorageFirstApi(PatternComponent):
    """The API, each target's store (queue, bus + queue, table with a stream, state machine, bucket +
    queue) and DLQ, the consumers, the status table and route.

    Outputs: ``url``, ``status_table_name``, ``target_dlq_urls`` (target -> DLQ URL),
    ``target_queue_urls`` (queue-fed targets -> queue URL), ``target_bus_names`` /
    ``target_table_names`` / ``target_state_machine_arns`` / ``target_bucket_names`` (eventbridge /
    dynamodb / stepfunctions / s3 targets), ``status_function_name``, and ``worker_function_name`` /
    ``stream_function_name`` / ``execution_function_name`` when a target needs it.
    """

    TYPE = "serverless-patterns:storage_first:StorageFirstApi"

    url: pulumi.Output[str]

    def __init__(self, name: str, args: StorageFirstApiArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(name, opts)
        child = self.child
        self._name, self._args = name, args
        self.status_table = on_demand_table(f"{name}-status", "id", self, ttl_attribute="expires_at")
        self.queues: dict[str, aws.sqs.Queue] = {}
        self.dlqs: dict[str, aws.sqs.Queue] = {}
        self.buses: dict[str, aws.cloudwatch.EventBus] = {}
        self.tables: dict[str, aws.dynamodb.Table] = {}
        self.machine_arns: dict[str, pulumi.Output[str]] = {}
        self.buckets: dict[str, aws.s3.Bucket] = {}
        routes: list[Route] = []
        for target in args.targets:
            integration = self._store(target)
            routes.append(Route("POST", f"/{target.name}", integration=integration, request_schema=target.schema,
                                required_headers=(templates.IDEMPOTENCY_HEADER,) if target.kind in KEYED else ()))
        sources = {t.name: (self.queues[t.name].arn if t.kind in QUEUED else self.tables[t.name].arn
                            if t.kind == "dynamodb" else self._machine_name(t)) for t in args.targets}
        settings = pulumi.Output.all(
            sources=pulumi.Output.all(**sources), dlqs=pulumi.Output.all(**{n: q.url for n, q in self.dlqs.items()}),
        ).apply(lambda v: {t.name: TargetSettings(t.name, t.kind, v["sources"][t.name], v["dlqs"][t.name],
                                                           t.max_attempts)
                           for t in args.targets})
        # What the consumers and the status route receive (also usable by code of your own on these targets).
        self.environment = environment = handoff(
            StorageFirstConfig, targets=settings, status_table=self.status_table.name,
            processor=args.processor.handler, max_attempts=args.max_attempts,
            retry_delay_seconds=args.retry_delay_seconds, status_ttl_seconds=args.status_ttl_seconds)
        outputs: dict[str, Any] = {}

        def consumer_statements(consumed: list[StorageTarget]) -> list[dict[str, Any]]:
            """What a consumer of ``consumed`` needs: the status table, those targets' DLQs only, the processor's."""
            return [iam.dynamodb_statement(self.status_table.arn, ["GetItem", "UpdateItem"]),
                    iam.allow(["sqs:SendMessage"], [self.dlqs[t.name].arn for t in consumed]),
                    *args.processor.statements]

        queued = [t for t in args.targets if t.kind in QUEUED]
        if queued:
            queue_arns = [self.queues[t.name].arn for t in queued]
            self.worker = PythonFunction(f"{name}-worker", PythonFunctionArgs(
                package="storage_first", handler="worker.handler", timeout=args.worker_timeout,
                statements=[iam.sqs_consumer_statement(queue_arns, change_visibility=True),
                            iam.allow(["sqs:GetQueueUrl"], queue_arns), *consumer_statements(queued),
                            *([iam.allow(["s3:GetObject"], [pulumi.Output.concat(b.arn, "/*")
                                                            for b in self.buckets.values()])] if self.buckets else [])],
                environment=environment, extra_files=args.processor.files), opts=child)
            for target in queued:
                sqs_consumer(f"{name}-{target.name}-mapping", self.queues[target.name].arn, self.worker.arn, self)
            outputs["worker_function_name"] = self.worker.name
        streamed = [t for t in args.targets if t.kind == "dynamodb"]
        if streamed:
            self.stream_consumer = self._stream_consumer(streamed, consumer_statements(streamed), environment)
            outputs["stream_function_name"] = self.stream_consumer.name
        workflows = [t for t in args.targets if t.kind == "stepfunctions"]
        if workflows:
            self.execution_consumer = self._workflows(workflows, consumer_statements(workflows), environment)
            outputs["execution_function_name"] = self.execution_consumer.name
        self.status = PythonFunction(f"{name}-status", PythonFunctionArgs(
            package="storage_first", handler="status.handler", environment=environment,
            statements=[iam.dynamodb_statement(self.status_table.arn, ["GetItem"]),
                        *[iam.dynamodb_statement(table.arn, ["GetItem"]) for table in self.tables.values()]]),
            opts=child)
        routes += [Route("GET", f"/{t.name}/{{id}}", self.status) for t in args.targets]
        api = RestApi(f"{name}-api", RestApiArgs(routes=routes, auth=args.auth, stage_name=args.stage_name,
                                                 description="Storage-first API (serverless-patterns)"), opts=child)
        self.url = api.url
        self._publish({
            "url": api.url,
            "status_table_name": self.status_table.name,
            "target_dlq_urls": pulumi.Output.all(**{n: q.url for n, q in self.dlqs.items()}),
            "target_queue_urls": pulumi.Output.all(**{n: q.url for n, q in self.queues.items()}),
            "target_bus_names": pulumi.Output.all(**{n: b.name for n, b in self.buses.items()}),
            "target_table_names": pulumi.Output.all(**{n: t.name for n, t in self.tables.items()}),
            "target_state_machine_arns": pulumi.Output.all(**self.machine_arns),
            "target_bucket_names": pulumi.Output.all(**{n: b.bucket for n, b in self.buckets.items()}),
            "status_function_name": self.status.name,
            **outputs,
            **api.auth_outputs,
        })

    def _store(self, target: StorageTarget) -> ServiceIntegration:
        """The target's store, DLQ and the integration writing into it (with a role for exactly that)."""
        name, args = f"{self._name}-{target.name}", self._args
        visibility = 6 * args.worker_timeout
        if target.kind in QUEUED:
            self.queues[target.name], self.dlqs[target.name] = queue_with_dead_letters(
                f"{name}-queue", f"{name}-dlq", (target.max_attempts or args.max_attempts) + 2, self,
                fifo=target.kind == "sqs-fifo",
                dlq_max_message_size=SQS_MAX_MESSAGE_BYTES, visibility_timeout_seconds=visibility,
                max_message_size=target.max_body_bytes if target.kind in ("sqs", "sqs-fifo") else None)
        else:
            self.dlqs[target.name] = aws.sqs.Queue(f"{name}-dlq", message_retention_seconds=DLQ_RETENTION_SECONDS,
                                                   max_message_size=SQS_MAX_MESSAGE_BYTES, opts=self.child)
        if target.kind in ("sqs", "sqs-fifo"):
            queue = self.queues[target.name]
            return self._integration(
                name, queue.arn.apply(sqs_integration_uri), "sqs:SendMessage", queue.arn,
                templates.sqs_request(target.kind == "sqs-fifo", target.name), templates.SQS_ACCEPTED,
                request_parameters={"integration.request.header.Content-Type": "'application/x-www-form-urlencoded'"},
                refused=ServiceResponse("413", r"4\d{2}", {"application/json": templates.error(
                    f"the queue refused the request: the body is over {target.max_body_bytes} bytes; nothing stored",
                    "payload_too_large")}))
        if target.kind == "eventbridge":
            bus = self.buses[target.name] = aws.cloudwatch.EventBus(
                f"{name}-bus", name=f"{name}-{pulumi.get_stack()}"[:256], opts=self.child)
            source = f"storage-first.{target.name}"
            events_to_queue(f"{name}-events", bus.name, json.dumps({"source": [source]}), self.queues[target.name],
                            self.dlqs[target.name], self, f"stored {target.name} requests, to their consumer")
            return self._integration(
                name, bus.arn.apply(lambda arn: service_action_uri(arn, "events", "PutEvents")), "events:PutEvents",
                bus.arn, bus.name.apply(lambda bus_name: templates.eventbridge_request(bus_name, source, target.name)),
                templates.EVENTBRIDGE_ACCEPTED,
                request_parameters={"integration.request.header.X-Amz-Target": "'AWSEvents.PutEvents'",
                                    "integration.request.header.Content-Type": "'application/x-amz-json-1.1'"},
                refused=ServiceResponse("400", r"4\d{2}", {"application/json": templates.error(
                    "the event bus refused the request; nothing stored", "invalid_input")}))
        if target.kind == "s3":
            return self._bucket(name, target)
        if target.kind == "stepfunctions":  # the machine itself comes later, once its consumer exists
            machine = self._machine_name(target)
            arn = self.machine_arns[target.name] = self.dlqs[target.name].arn.apply(
                lambda dlq: _machine_arn(dlq, machine))
            return self._integration(
                name, arn.apply(lambda a: service_action_uri(a, "states", "StartExecution")), "states:StartExecution",
                arn, arn.apply(templates.stepfunctions_request), templates.STEPFUNCTIONS_ACCEPTED,
                refused=ServiceResponse("400", r"4\d{2}", {"application/json": templates.STEPFUNCTIONS_REFUSED}))
        table = self.tables[target.name] = on_demand_table(f"{name}-table", "id", self, stream_view_type="NEW_IMAGE")
        return self._integration(
            name, table.arn.apply(lambda arn: service_action_uri(arn, "dynamodb", "UpdateItem")), "dynamodb:UpdateItem",
            table.arn, table.name.apply(templates.dynamodb_request), templates.DYNAMODB_ACCEPTED,
            refused=ServiceResponse("400", r"4\d{2}", {"application/json": templates.DYNAMODB_REFUSED}))

    def _integration(self, name: str, uri: pulumi.Input[str], action: str, resource: pulumi.Input[str],
                     request: pulumi.Input[str], accepted: str, refused: ServiceResponse,
                     request_parameters: Mapping[str, str] | None = None, http_method: str = "POST",
                     ) -> ServiceIntegration:
        role_arn = iam.service_role(f"{name}-store", iam.APIGATEWAY_ASSUME_ROLE, [iam.allow([action], [resource])],
                                    self)
        return ServiceIntegration(
            uri=uri, role_arn=role_arn, request_templates={"application/json": request},
            request_parameters=dict(request_parameters or {}), http_method=http_method,
            responses=(ServiceResponse("202", templates={"application/json": accepted}), refused,
                       SERVICE_UNAVAILABLE))

    def _bucket(self, name: str, target: StorageTarget) -> ServiceIntegration:
        """The bucket, its notifications of new objects to the target's queue (which only this bucket may
        send to), and ``PUT`` of the body as the object ``<request id>``."""
        queue = self.queues[target.name]
        bucket = self.buckets[target.name] = aws.s3.Bucket(f"{name}-bucket", opts=self.child)
        policy = allow_service_to_send(f"{name}-notify-policy", queue, "s3.amazonaws.com", bucket.arn, self)
        aws.s3.BucketNotification(
            f"{name}-notification", bucket=bucket.bucket,
            queues=[aws.s3.BucketNotificationQueueArgs(queue_arn=queue.arn, events=["s3:ObjectCreated:*"])],
            opts=pulumi.ResourceOptions(parent=self, depends_on=[policy]))
        uri = pulumi.Output.all(queue.arn, bucket.bucket).apply(  # the region is the queue's, as the bucket's
            lambda v: service_path_uri(v[0], "s3", f"{v[1]}/{{key}}"))
        return self._integration(
            name, uri, "s3:PutObject", pulumi.Output.concat(bucket.arn, "/*"), templates.S3_REQUEST,
            templates.S3_ACCEPTED, http_method="PUT",
            request_parameters={"integration.request.path.key": "context.requestId",
                                "integration.request.header.Content-Type": "'application/json'"},
            refused=ServiceResponse("400", r"4\d{2}", {"application/json": templates.error(
                "the bucket refused the request; nothing stored", "invalid_input")}))

    def _machine_name(self, target: StorageTarget) -> str:
        return f"{self._name}-{target.name}-{pulumi.get_stack()}"[:80]

    def _workflows(self, targets: list[StorageTarget], statements: list[dict],
                   environment: Mapping[str, pulumi.Input[str]]) -> PythonFunction:
        """The consumer function, and per target a state machine whose one task runs it with retries
        (the consumer parks a request that keeps failing itself; a Catch is the safety net)."""
        args = self._args
        function = PythonFunction(f"{self._name}-execution", PythonFunctionArgs(
            package="storage_first", handler="execution.handler", timeout=args.worker_timeout,
            statements=statements, environment=environment, extra_files=args.processor.files), opts=self.child)
        for target in targets:
            dlq = self.dlqs[target.name]
            role_arn = iam.service_role(f"{self._name}-{target.name}-machine", iam.STATES_ASSUME_ROLE,
                                        [iam.allow(["lambda:InvokeFunction"], [function.arn]),
                                         iam.allow(["sqs:SendMessage"], [dlq.arn])], self)
            definition = pulumi.Output.all(function.arn, dlq.url).apply(functools.partial(
                _definition_json, target.name, target.max_attempts or args.max_attempts, args.retry_delay_seconds))
            aws.sfn.StateMachine(f"{self._name}-{target.name}-machine", name=self._machine_name(target),
                                 role_arn=role_arn, definition=definition, opts=self.child)
        return function

    def _stream_consumer(self, targets: list[StorageTarget], statements: list[dict],
                         environment: Mapping[str, pulumi.Input[str]]) -> PythonFunction:
        """The function that consumes the tables' streams (new items only), and its mappings."""
        args = self._args
        streams = [self.tables[t.name].stream_arn for t in targets]
        function = PythonFunction(f"{self._name}-stream", PythonFunctionArgs(
            package="storage_first", handler="stream.handler", timeout=args.worker_timeout,
            statements=[iam.allow(["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator",
                                   "dynamodb:ListStreams"], streams), *statements],
            environment=environment, extra_files=args.processor.files), opts=self.child)
        for target in targets:
            aws.lambda_.EventSourceMapping(
                f"{self._name}-{target.name}-stream-mapping",
                event_source_arn=self.tables[target.name].stream_arn,
                function_name=function.arn,
                starting_position="TRIM_HORIZON",
                batch_size=10,
                function_response_types=["ReportBatchItemFailures"],
                maximum_retry_attempts=(target.max_attempts or args.max_attempts) + 2,  # the consumer parks it first
                bisect_batch_on_function_error=True,
                filter_criteria=aws.lambda_.EventSourceMappingFilterCriteriaArgs(filters=[
                    aws.lambda_.EventSourceMappingFilterCriteriaFilterArgs(pattern=NEW_ITEMS)]),
                destination_config=aws.lambda_.EventSourceMappingDestinationConfigArgs(
                    on_failure=aws.lambda_.EventSourceMappingDestinationConfigOnFailureArgs(
                        destination_arn=self.dlqs[target.name].arn)),
                opts=self.child)
        return function


def _machine_arn(queue_arn: str, machine: str) -> str:
    """The ARN of the state machine named ``machine`` in the account and region of ``queue_arn``."""
    _, partition, _, region, account, _ = queue_arn.split(":", 5)
    return f"arn:{partition}:states:{region}:{account}:stateMachine:{machine}"


def _definition_json(target: str, attempts: int, delay: int, arns: list[str]) -> str:
    return json.dumps(_definition(target, arns[0], arns[1], attempts, delay))


def _definition(target: str, function_arn: str, dlq_url: str, attempts: int, delay: int) -> dict[str, Any]:
    """Run the consumer on the execution's input (the body as stored), retried ``attempts`` times; what
    still fails (a crash, a timeout) is parked in the DLQ with the error by the Catch."""
    return {
        "Comment": f"storage-first {target}: process the stored request",
        "StartAt": "Process",
        "States": {
            "Process": {
                "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName": function_arn, "Payload": {
                    "target": target, "id.$": "$$.Execution.Name", "body.$": "$", "attempt.$": "$$.State.RetryCount"}},
                "OutputPath": "$.Payload",
                "Retry": [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": max(delay, 1), "MaxAttempts": attempts,
                           "BackoffRate": 1.0}],
                "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "DeadLetter"}],
                "End": True,
            },
            "DeadLetter": {
                "Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage",
                "Parameters": {"QueueUrl": dlq_url, "MessageBody.$": "States.JsonToString($)", "MessageAttributes": {
                    "rejected-reason": {"DataType": "String", "StringValue.$": "$.error.Error"},
                    "request-id": {"DataType": "String", "StringValue.$": "$$.Execution.Name"},
                    "target": {"DataType": "String", "StringValue": target}}},
                "Next": "Failed",
            },
            "Failed": {"Type": "Fail", "Error": "DeadLettered", "Cause": "the request kept failing: see its DLQ"},
        },
    }
