"""``WebhookDispatcher``: send your events to your customers' endpoints, the way Svix, Convoy or Hook0
do: subscriptions with ``whsec_`` secrets, Standard Webhooks signatures, retries with backoff and
jitter, a circuit breaker per endpoint, every attempt logged, a DLQ and replay.

- Events come from an EventBridge bus (the component's own, or ``bus_name``: ``detail-type`` is the
  event type, ``detail`` the payload) or from ``POST /messages``.
- Each message is stored once and fanned out to one delivery task per subscribed endpoint on an SQS
  queue; workers make one attempt per task, in parallel, so a slow endpoint only holds its own task.
- A failed attempt is queued again after the schedule's next delay (or the endpoint's
  ``Retry-After``); the last failure sends the delivery to the DLQ with its reason;
  ``POST /dead-letters/replay`` sends it again. 410 Gone disables the endpoint.

Example
-------
>>> hooks = WebhookDispatcher("hooks", WebhookDispatcherArgs(event_types=["invoice.paid", "invoice.voided"]))
>>> pulumi.export("hooks", hooks.outputs)   # url (the API), bus_name (publish events there), ...
"""

from __future__ import annotations

import ipaddress
import json
import math
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
    RestApi,
    RestApiArgs,
    Route,
    events_to_queue,
    handoff,
    iam,
    on_demand_table,
    queue_with_dead_letters,
    sqs_consumer,
    validation,
)
from components.core.auth import check_auth
from functions.webhook_delivery.config import SVIX_SCHEDULE, DispatcherConfig
from functions.webhook_delivery.requests import ID
from functions.webhook_delivery.store import BY_ENDPOINT

ROUTES = [("POST", "/endpoints"), ("GET", "/endpoints"), ("GET", "/endpoints/{id}"), ("PATCH", "/endpoints/{id}"),
          ("DELETE", "/endpoints/{id}"), ("GET", "/endpoints/{id}/secret"), ("POST", "/endpoints/{id}/secret/rotate"),
          ("GET", "/endpoints/{id}/attempts"), ("POST", "/messages"), ("GET", "/messages/{id}"),
          ("POST", "/dead-letters/replay")]


@dataclass(frozen=True, kw_only=True)
class WebhookDispatcherArgs:
    """event_types: the event types endpoints may subscribe to (others are refused).
    schedule: seconds before each attempt, the first usually 0 (default Svix's: 8 attempts over ~27 h).
    jitter: fraction of each delay added at random. request_timeout: seconds per attempt.
    require_https: refuse ``http://`` endpoint URLs. allowed_networks: CIDRs endpoints may resolve to
    although they are not public (e.g. ``127.0.0.0/8`` for a local receiver; default none: loopback,
    private, link-local and metadata addresses are refused).
    circuit_threshold / circuit_cooldown: consecutive failures that open an endpoint's circuit, and
    seconds before the half-open probe. max_in_flight_per_endpoint: attempts at once to one endpoint;
    more wait (a slow endpoint holds at most that many workers).
    max_retry_after: longest ``Retry-After`` honoured (s).
    max_payload_bytes: largest message. secret_overlap_seconds: default signing overlap after a rotation.
    retention_seconds: how long messages and attempts are kept. bus_name: the bus to take events from
    (default: a new one); event_sources: only events from these sources (default: any).
    batch_size / max_concurrency: the workers' SQS batches and their most batches in flight.
    max_receive_count: receives of a task before SQS redrives it to the DLQ (a crashing worker).
    auth / stage_name: the API's.
    """

    event_types: Sequence[str]
    schedule: Sequence[int] = SVIX_SCHEDULE
    jitter: float = DispatcherConfig.jitter
    request_timeout: float = DispatcherConfig.request_timeout
    require_https: bool = DispatcherConfig.require_https
    allowed_networks: Sequence[str] = ()
    circuit_threshold: int = DispatcherConfig.circuit_threshold
    max_in_flight_per_endpoint: int = DispatcherConfig.max_in_flight_per_endpoint
    circuit_cooldown: int = DispatcherConfig.circuit_cooldown
    max_retry_after: int = DispatcherConfig.max_retry_after
    max_payload_bytes: int = DispatcherConfig.max_payload_bytes
    secret_overlap_seconds: int = DispatcherConfig.secret_overlap_seconds
    retention_seconds: int = DispatcherConfig.retention_seconds
    bus_name: pulumi.Input[str] | None = None
    event_sources: Sequence[str] = ()
    batch_size: int = 10
    max_concurrency: int | None = None
    max_receive_count: int = 5
    auth: Authorization = field(default_factory=IamAuth)
    stage_name: str = "api"

    def __post_init__(self) -> None:
        validation.names(self, "event_types", ID, "1-128 letters, digits, '_', '.', ':' or '-'", "event type")
        validation.check(bool(self.schedule) and all(isinstance(d, int) and not isinstance(d, bool) and 0 <= d
                                                     for d in self.schedule), self, "schedule",
                         "must list at least one delay in whole seconds, none negative")
        validation.number(self, "jitter", 0, 1)
        validation.number(self, "request_timeout", 0.1, 60)
        for cidr in self.allowed_networks:
            try:
                ipaddress.ip_network(cidr, strict=False)
            except ValueError:
                validation.fail(self, "allowed_networks", f"must be CIDRs ({cidr!r} is not)")
        validation.integer(self, "circuit_threshold", 1, 1000)
        validation.integer(self, "circuit_cooldown", 1, 24 * 3600)
        validation.integer(self, "max_in_flight_per_endpoint", 1, 1000)
        validation.integer(self, "max_retry_after", 0, 24 * 3600)
        validation.integer(self, "max_payload_bytes", 1, 256 * 1024)
        validation.integer(self, "secret_overlap_seconds", 0, 7 * 24 * 3600)
        validation.integer(self, "retention_seconds", 3600, None)
        validation.integer(self, "batch_size", 1, 10)
        validation.integer(self, "max_concurrency", 2, 1000, optional=True)
        validation.integer(self, "max_receive_count", 1, 1000)
        validation.stage_name(self)
        check_auth(self)

    @property
    def worker_timeout(self) -> int:
        """A batch's attempts run in parallel: one request timeout, plus the bookkeeping."""
        return math.ceil(self.request_timeout) + 15

    def event_pattern(self) -> str:
        pattern: dict = {"detail-type": list(self.event_types)}
        if self.event_sources:
            pattern["source"] = list(self.event_sources)
        return json.dumps(pattern)


class WebhookDispatcher(PatternComponent):
    """Endpoints and messages tables, the delivery queue and DLQ, the bus rule and ingest queue, the
    workers, and the API.

    Outputs: ``url``, ``bus_name``, ``endpoints_table_name``, ``messages_table_name``,
    ``delivery_queue_url``, ``delivery_dlq_url``, ``ingest_queue_url``, ``ingest_dlq_url``,
    ``api_function_name``, ``worker_function_name``, ``ingest_function_name``.
    """

    TYPE = "serverless-patterns:webhook_delivery:WebhookDispatcher"

    def __init__(self, name: str, args: WebhookDispatcherArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(name, opts)
        child = self.child
        self.endpoints = on_demand_table(f"{name}-endpoints", "endpoint_id", self)
        self.messages = on_demand_table(
            f"{name}-messages", "message_id", self, range_key="item", index_attributes=["endpoint_id", "at"],
            ttl_attribute="expires_at", global_secondary_indexes=[aws.dynamodb.TableGlobalSecondaryIndexArgs(
                name=BY_ENDPOINT, hash_key="endpoint_id", range_key="at", projection_type="ALL")])
        self.delivery_queue, self.delivery_dlq = queue_with_dead_letters(
            f"{name}-deliveries", f"{name}-deliveries-dlq", args.max_receive_count, self,
            visibility_timeout_seconds=6 * args.worker_timeout)
        self.ingest_queue, self.ingest_dlq = queue_with_dead_letters(
            f"{name}-ingest", f"{name}-ingest-dlq", args.max_receive_count, self, visibility_timeout_seconds=60)
        if args.bus_name is None:
            self.bus: aws.cloudwatch.EventBus | None = aws.cloudwatch.EventBus(
                f"{name}-events", name=f"{pulumi.get_project()}-{pulumi.get_stack()}-{name}", opts=child)
            bus_name: pulumi.Input[str] = self.bus.name
        else:
            self.bus, bus_name = None, args.bus_name
        events_to_queue(f"{name}-ingest", bus_name, args.event_pattern(), self.ingest_queue, self.ingest_dlq, self,
                        "events for the webhook dispatcher")
        environment = handoff(
            DispatcherConfig, endpoints_table=self.endpoints.name, messages_table=self.messages.name,
            delivery_queue_url=self.delivery_queue.url, dlq_url=self.delivery_dlq.url,
            ingest_dlq_url=self.ingest_dlq.url, event_types=list(args.event_types), schedule=list(args.schedule),
            jitter=args.jitter, request_timeout=args.request_timeout, require_https=args.require_https,
            allowed_networks=list(args.allowed_networks), circuit_threshold=args.circuit_threshold,
            max_in_flight_per_endpoint=args.max_in_flight_per_endpoint,
            circuit_cooldown=args.circuit_cooldown, max_retry_after=args.max_retry_after,
            max_payload_bytes=args.max_payload_bytes, secret_overlap_seconds=args.secret_overlap_seconds,
            retention_seconds=args.retention_seconds)
        send_tasks = iam.allow(["sqs:SendMessage"], [self.delivery_queue.arn])
        fan_out = [iam.dynamodb_statement(self.endpoints.arn, ["Scan"]),
                   iam.dynamodb_statement(self.messages.arn, ["GetItem", "PutItem", "UpdateItem"]), send_tasks]

        def function(role: str, handler: str, statements: list[dict], timeout: int = 10) -> PythonFunction:
            return PythonFunction(f"{name}-{role}", PythonFunctionArgs(
                package="webhook_delivery", handler=handler, statements=statements, environment=environment,
                timeout=timeout, shared_packages=["webhook"]), opts=child)

        self.worker = function("worker", "worker.handler", [
            iam.sqs_consumer_statement([self.delivery_queue.arn]), send_tasks,
            iam.allow(["sqs:SendMessage"], [self.delivery_dlq.arn]),
            iam.dynamodb_statement(self.endpoints.arn, ["GetItem", "UpdateItem"]),
            iam.dynamodb_statement(self.messages.arn, ["GetItem", "PutItem", "UpdateItem"]),
        ], timeout=args.worker_timeout)
        sqs_consumer(f"{name}-worker-mapping", self.delivery_queue.arn, self.worker.arn, self,
                     batch_size=args.batch_size, max_concurrency=args.max_concurrency)
        self.ingest = function("ingest", "ingest.handler", [
            iam.sqs_consumer_statement([self.ingest_queue.arn]), iam.allow(["sqs:SendMessage"], [self.ingest_dlq.arn]),
            *fan_out])
        sqs_consumer(f"{name}-ingest-mapping", self.ingest_queue.arn, self.ingest.arn, self)
        self.api_function = function("api", "api.handler", [
            iam.dynamodb_statement(self.endpoints.arn, ["GetItem", "PutItem", "UpdateItem", "DeleteItem", "Scan"]),
            iam.dynamodb_statement(self.messages.arn, ["GetItem", "PutItem", "UpdateItem", "Query"], indexes=True),
            send_tasks,
            iam.allow(["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility"],
                      [self.delivery_dlq.arn]),
        ], timeout=30)
        api = RestApi(f"{name}-api", RestApiArgs(
            routes=[Route(method, path, self.api_function) for method, path in ROUTES], auth=args.auth,
            stage_name=args.stage_name, description="Outbound webhooks (serverless-patterns)"), opts=child)
        self.url = api.url
        self.bus_name = bus_name
        self._publish({
            "url": api.url,
            "bus_name": bus_name,
            "endpoints_table_name": self.endpoints.name,
            "messages_table_name": self.messages.name,
            "delivery_queue_url": self.delivery_queue.url,
            "delivery_dlq_url": self.delivery_dlq.url,
            "ingest_queue_url": self.ingest_queue.url,
            "ingest_dlq_url": self.ingest_dlq.url,
            "api_function_name": self.api_function.name,
            "worker_function_name": self.worker.name,
            "ingest_function_name": self.ingest.name,
            **api.auth_outputs,
        })
