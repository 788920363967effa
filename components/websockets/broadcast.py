"""``WebSocketBroadcast``: real-time push over an API Gateway WebSocket API, with a connection
registry, named topics, authorised connects and a fan-out that does not loop in one function.

- ``$connect`` is authorised (default): a connect token (``?token=...``, signed with the broadcast's
  secret in Secrets Manager, :mod:`functions.websockets.tokens`) checked by a REQUEST authorizer; a
  refused connect runs no other code and stores nothing. ``$disconnect`` removes the connection's rows.
- Frames ``{"action": "subscribe" | "unsubscribe" | "publish" | "ping", ...}`` are routed by action;
  ``$default`` answers any other frame (not JSON, unknown action) with an error frame, and an
  oversized one is refused the same way (:mod:`functions.websockets.protocol`).
- The registry is one DynamoDB table: a row per connection and per subscription, with an index by
  topic and a TTL (connections live at most 2 hours on AWS; rows of a connection whose $disconnect
  never came expire after that).
- A publish (from a client, or from the backend with ``POST /topics/{topic}/messages`` or an event on
  an EventBridge bus, ``event_bus_name``) reads the
  topic's subscribers and sends deliveries of ``chunk_size`` connections to an SQS queue; sender
  workers push each delivery with ``PostToConnection`` in parallel. ``GoneException`` (410) removes
  the connection; other failures are retried, then dead-lettered with the reason.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field
from typing import Any, Literal

import pulumi
import pulumi_aws as aws

from components.core import (
    Authorization,
    ConnectAuthorizer,
    IamAuth,
    PatternComponent,
    Public,
    PythonFunction,
    PythonFunctionArgs,
    RestApi,
    RestApiArgs,
    Route,
    WebSocketApi,
    WebSocketApiArgs,
    WebSocketRoute,
    allow_service_to_send,
    handoff,
    iam,
    on_demand_table,
    queue_with_dead_letters,
    sqs_consumer,
    validation,
)
from components.core.auth import check_auth
from functions.websockets.config import AWS_MAX_CONNECTION_SECONDS, AWS_MAX_MESSAGE_BYTES, WebSocketsConfig

TOPIC_INDEX = WebSocketsConfig.topic_index
TOKEN_SOURCES = {"query": "route.request.querystring.token", "header": "route.request.header.Authorization"}
EVENT_DETAIL_TYPE = "WebSocket publish"  # what an event on the bus says to be published: detail {"topic", "data"}
MESSAGE_ROUTES = ("subscribe", "unsubscribe", "publish")


@dataclass(frozen=True, kw_only=True)
class WebSocketBroadcastArgs:
    """connect_auth: ``"token"`` (a signed connect token, the default) or ``Public(reason)``.
    token_source: where clients put the token: ``?token=`` (``query``, what browsers can do) or
    ``Authorization: Bearer <token>`` (``header``, for other clients); a connect without it is refused
    by API Gateway before any code runs.
    backend_auth: who may ``POST /topics/{topic}/messages`` (default SigV4). max_message_bytes: the
    largest frame received or sent (128 KB on AWS). chunk_size: connections per delivery (one sender
    invocation each). sender_concurrency: most sender invocations at once (``None``: Lambda's
    scaling). sender_threads: ``PostToConnection`` calls in flight per invocation. max_attempts /
    retry_delay_seconds: per connection, before the DLQ. sender_timeout: seconds per delivery batch.
    max_receive_count: receives before SQS moves a delivery whose worker crashed to the DLQ.
    heartbeat: answer ``{"action": "ping"}`` with ``{"type": "pong"}``. stage_name /
    api_stage_name: the WebSocket and REST stages. throttling_*: the WebSocket stage's limits.
    """

    connect_auth: Literal["token"] | Public = "token"
    token_source: Literal["query", "header"] = "query"
    backend_auth: Authorization = field(default_factory=IamAuth)
    max_message_bytes: int = WebSocketsConfig.max_message_bytes
    chunk_size: int = WebSocketsConfig.chunk_size
    sender_concurrency: int | None = None
    sender_threads: int = WebSocketsConfig.sender_threads
    max_attempts: int = WebSocketsConfig.max_attempts
    retry_delay_seconds: int = WebSocketsConfig.retry_delay_seconds
    sender_timeout: int = 30
    max_receive_count: int = 5
    heartbeat: bool = WebSocketsConfig.heartbeat
    connection_ttl_seconds: int = WebSocketsConfig.connection_ttl_seconds
    stage_name: str = "ws"
    api_stage_name: str = "api"
    throttling_burst_limit: int | None = None
    throttling_rate_limit: float | None = None
    event_bus_name: str | None = None
    event_sources: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        validation.check(self.connect_auth == "token" or isinstance(self.connect_auth, Public), self, "connect_auth",
                         "must be 'token' or Public(reason)")
        validation.one_of(self, "token_source", ("query", "header"))
        check_auth(self, "backend_auth")
        validation.integer(self, "max_message_bytes", 64, AWS_MAX_MESSAGE_BYTES)
        validation.integer(self, "chunk_size", 1, 500)
        validation.integer(self, "sender_concurrency", 2, 1000, optional=True)
        validation.integer(self, "sender_threads", 1, 64)
        validation.integer(self, "max_attempts", 1, 20)
        validation.integer(self, "retry_delay_seconds", 0, 900)
        validation.integer(self, "sender_timeout", 1, 900)
        validation.integer(self, "max_receive_count", 1, 1000)
        validation.check(isinstance(self.heartbeat, bool), self, "heartbeat", "must be True or False")
        validation.integer(self, "connection_ttl_seconds", AWS_MAX_CONNECTION_SECONDS, None)
        validation.stage_name(self)
        validation.stage_name(self, "api_stage_name")
        validation.integer(self, "throttling_burst_limit", 0, None, optional=True)
        validation.number(self, "throttling_rate_limit", 0, optional=True)
        validation.check(self.event_bus_name is None or (isinstance(self.event_bus_name, str)
                                                         and bool(self.event_bus_name)), self, "event_bus_name",
                         "must name a bus (or be None)")
        validation.check(not isinstance(self.event_sources, str) and all(isinstance(s, str) and s
                                                                         for s in self.event_sources),
                         self, "event_sources", "must be a list of source names")
        validation.check(not self.event_sources or self.event_bus_name is not None, self, "event_sources",
                         "needs event_bus_name")


class WebSocketBroadcast(PatternComponent):
    """The WebSocket API and its functions, the connections table, the deliveries queue and DLQ, the
    connect-token secret, and the backend's publish API.

    Outputs: ``url`` (the backend API), ``websocket_api_url`` (``wss://...``: connect with
    ``?token=``), ``websocket_api_id``, ``connections_table_name``, ``deliveries_queue_url``,
    ``deliveries_dlq_url``, ``token_secret_arn`` (``"token"`` auth), ``socket_function_name``,
    ``sender_function_name``, ``api_function_name``, ``authorizer_function_name`` (``"token"`` auth);
    with ``event_bus_name``: ``events_queue_url``, ``events_dlq_url``, ``publish_rule_arn``,
    ``events_function_name``.
    """

    TYPE = "serverless-patterns:websockets:WebSocketBroadcast"

    def __init__(self, name: str, args: WebSocketBroadcastArgs | None = None,
                 opts: pulumi.ResourceOptions | None = None):
        args = args or WebSocketBroadcastArgs()
        super().__init__(name, opts)
        child = self.child
        self.table = on_demand_table(
            f"{name}-connections", "connection_id", self, range_key="sk", index_attributes=["topic"],
            ttl_attribute="expires_at", global_secondary_indexes=[aws.dynamodb.TableGlobalSecondaryIndexArgs(
                name=TOPIC_INDEX, projection_type="KEYS_ONLY", key_schemas=[
                    aws.dynamodb.TableGlobalSecondaryIndexKeySchemaArgs(attribute_name="topic", key_type="HASH"),
                    aws.dynamodb.TableGlobalSecondaryIndexKeySchemaArgs(attribute_name="connection_id",
                                                                        key_type="RANGE")])])
        self.deliveries, self.dlq = queue_with_dead_letters(
            f"{name}-deliveries", f"{name}-deliveries-dlq", args.max_receive_count, self,
            visibility_timeout_seconds=6 * args.sender_timeout)
        common = {"connections_table": self.table.name, "topic_index": TOPIC_INDEX,
                  "deliveries_queue_url": self.deliveries.url, "max_message_bytes": args.max_message_bytes,
                  "connection_ttl_seconds": args.connection_ttl_seconds, "chunk_size": args.chunk_size,
                  "heartbeat": args.heartbeat}
        publishing = [  # a publish reads the topic index (only) and queues deliveries
            iam.allow(["dynamodb:Query"], [pulumi.Output.concat(self.table.arn, "/index/", TOPIC_INDEX)]),
            iam.allow(["sqs:SendMessage"], [self.deliveries.arn])]
        self.socket = PythonFunction(f"{name}-socket", PythonFunctionArgs(
            package="websockets", handler="socket.handler",
            statements=[iam.dynamodb_statement(self.table.arn, ["GetItem", "PutItem", "DeleteItem", "Query",
                                                                "BatchWriteItem"]), *publishing],
            environment=handoff(WebSocketsConfig, **common)), opts=child)
        connect_auth: ConnectAuthorizer | Public
        self.secret: aws.secretsmanager.Secret | None = None
        self.authorizer: PythonFunction | None = None
        if isinstance(args.connect_auth, Public):
            connect_auth = args.connect_auth
        else:
            self.secret = aws.secretsmanager.Secret(
                f"{name}-token-secret", description="signs the WebSocket broadcast's connect tokens",
                recovery_window_in_days=7, opts=child)
            aws.secretsmanager.SecretVersion(  # rotated outside Pulumi later: keep what is there
                f"{name}-token-secret-initial", secret_id=self.secret.id,
                secret_string=pulumi.Output.secret(secrets.token_urlsafe(32)),
                opts=pulumi.ResourceOptions(parent=self, ignore_changes=["secret_string"]))
            self.authorizer = PythonFunction(f"{name}-authorizer", PythonFunctionArgs(
                package="websockets", handler="authorizer.handler",
                statements=[iam.allow(["secretsmanager:GetSecretValue"], [self.secret.arn])],
                environment=handoff(WebSocketsConfig, connections_table=self.table.name,
                                    token_secret_arn=self.secret.arn)), opts=child)
            connect_auth = ConnectAuthorizer(function=self.authorizer, identity_sources=(
                TOKEN_SOURCES[args.token_source],))
        routes = [WebSocketRoute(key, self.socket) for key in ("$connect", "$disconnect", "$default",
                                                               *MESSAGE_ROUTES, *(("ping",) if args.heartbeat else ()))]
        self.websocket = WebSocketApi(f"{name}-ws", WebSocketApiArgs(
            routes=routes, connect_auth=connect_auth, stage_name=args.stage_name,
            throttling_burst_limit=args.throttling_burst_limit, throttling_rate_limit=args.throttling_rate_limit,
            description="WebSocket broadcast (serverless-patterns)"), opts=child)
        self.sender = PythonFunction(f"{name}-sender", PythonFunctionArgs(
            package="websockets", handler="sender.handler", timeout=args.sender_timeout,
            statements=[
                iam.sqs_consumer_statement([self.deliveries.arn]),
                iam.allow(["sqs:SendMessage"], [self.deliveries.arn, self.dlq.arn]),
                iam.dynamodb_statement(self.table.arn, ["Query", "BatchWriteItem"]),
                self.websocket.manage_connections(["POST"]),
            ],
            environment=handoff(WebSocketsConfig, **common, dlq_url=self.dlq.url,
                                management_endpoint=self.websocket.management_endpoint,
                                max_attempts=args.max_attempts, retry_delay_seconds=args.retry_delay_seconds,
                                sender_threads=args.sender_threads)), opts=child)
        sqs_consumer(f"{name}-sender-mapping", self.deliveries.arn, self.sender.arn, self, batch_size=1,
                     max_concurrency=args.sender_concurrency)
        self.api_function = PythonFunction(f"{name}-api", PythonFunctionArgs(
            package="websockets", handler="api.handler", statements=publishing,
            environment=handoff(WebSocketsConfig, **common)), opts=child)
        self.api = RestApi(f"{name}-api", RestApiArgs(
            routes=[Route("POST", "/topics/{topic}/messages", self.api_function)], auth=args.backend_auth,
            stage_name=args.api_stage_name, description="WebSocket broadcast: the backend's publish API "
                                                        "(serverless-patterns)"), opts=child)
        events_outputs = self._events(name, args, common, publishing) if args.event_bus_name else {}
        self.url = self.api.url
        self.websocket_url = self.websocket.url
        outputs: dict[str, object] = {
            "url": self.api.url,
            "websocket_api_url": self.websocket.url,
            "websocket_api_id": self.websocket.api_id,
            "connections_table_name": self.table.name,
            "deliveries_queue_url": self.deliveries.url,
            "deliveries_dlq_url": self.dlq.url,
            "socket_function_name": self.socket.name,
            "sender_function_name": self.sender.name,
            "api_function_name": self.api_function.name,
            **self.api.auth_outputs,
            **events_outputs,
        }
        if self.secret is not None and self.authorizer is not None:
            outputs.update(token_secret_arn=self.secret.arn, authorizer_function_name=self.authorizer.name)
        self._publish(outputs)

    def _events(self, name: str, args: WebSocketBroadcastArgs, common: dict[str, Any],
                publishing: list[dict[str, Any]]) -> dict[str, Any]:
        """The rule on the bus, its queue and DLQ, and the consumer that publishes each event."""
        child = self.child
        queue, dlq = queue_with_dead_letters(f"{name}-events", f"{name}-events-dlq", 3, self,
                                             visibility_timeout_seconds=6 * args.sender_timeout)
        pattern: dict[str, Any] = {"detail-type": [EVENT_DETAIL_TYPE]}
        if args.event_sources:
            pattern["source"] = list(args.event_sources)
        rule = aws.cloudwatch.EventRule(f"{name}-publish-rule", event_bus_name=args.event_bus_name,
                                        event_pattern=json.dumps(pattern),
                                        description="events to publish to WebSocket topics", opts=child)
        for suffix, target in (("events", queue), ("events-dlq", dlq)):  # the target, and its DLQ
            allow_service_to_send(f"{name}-{suffix}-queue-policy", target, "events.amazonaws.com", rule.arn, self)
        aws.cloudwatch.EventTarget(
            f"{name}-publish-target", rule=rule.name, event_bus_name=args.event_bus_name, arn=queue.arn,
            dead_letter_config=aws.cloudwatch.EventTargetDeadLetterConfigArgs(arn=dlq.arn), opts=child)
        consumer = PythonFunction(f"{name}-events", PythonFunctionArgs(
            package="websockets", handler="events.handler", timeout=args.sender_timeout,
            statements=[iam.sqs_consumer_statement([queue.arn]), iam.allow(["sqs:SendMessage"], [dlq.arn]),
                        *publishing],
            environment=handoff(WebSocketsConfig, **common, dlq_url=dlq.url)), opts=child)
        sqs_consumer(f"{name}-events-mapping", queue.arn, consumer.arn, self, batch_size=10)
        return {"events_queue_url": queue.url, "events_dlq_url": dlq.url, "publish_rule_arn": rule.arn,
                "events_function_name": consumer.name}
