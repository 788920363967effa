"""``WebhookIngress``: signed webhooks verified over the exact bytes received, de-duplicated, and
published to an EventBridge bus (with an archive) that other stacks subscribe to.

One route ``POST /webhooks/<name>`` per registered source, and ``POST /webhooks/{source}`` answering
404 for any other name. A source is verified synchronously by the verifier Lambda (200 once the
event is on the bus) or, in storage-first mode, API Gateway writes the raw request to an SQS queue
itself (202 at once, even while the bus or the verifier is down) and the queue verifier publishes
it later; requests that fail verification there go to the dead-letter queue with the reason.

Example
-------
>>> ingress = WebhookIngress("hooks", WebhookIngressArgs(sources=[
...     WebhookSource("github", github()),
...     WebhookSource("stripe", stripe(), secret_arn=my_secret.arn),
... ]))
>>> pulumi.export("bus", ingress.bus_name)   # another stack subscribes with a rule on this bus
"""

from __future__ import annotations

import base64
import json
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from components.core import (
    PatternComponent,
    Public,
    PythonFunction,
    PythonFunctionArgs,
    RestApi,
    RestApiArgs,
    Route,
    ServiceIntegration,
    ServiceResponse,
    handoff,
    iam,
    on_demand_table,
    queue_with_dead_letters,
    sqs_consumer,
    sqs_integration_uri,
    validation,
)
from functions.common.errors import error_body
from functions.webhook import storage_first
from functions.webhook.config import Source, WebhookConfig
from functions.webhook.schemes import STANDARD_SECRET_PREFIX, Scheme

# Senders (GitHub, Stripe...) cannot sign with AWS credentials: each delivery is authenticated by its
# webhook signature instead, so the routes are public on purpose.
SIGNED_BY_SENDER = Public("each delivery is authenticated by its webhook signature, checked by the verifier")
SOURCE_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
SQS_MAX_MESSAGE_BYTES = 1024 * 1024
HEADER_ALLOWANCE_BYTES = 16 * 1024  # room for the captured headers next to the body in a queued request


@dataclass(frozen=True)
class WebhookSource:
    """One sender.

    name: the route segment (``/webhooks/<name>``) and event source (``webhook.<name>``).
    scheme: how it signs (``github()``, ``stripe()``, ``slack()``, ``hmac_sha256(...)``).
    secret_arn: an existing Secrets Manager secret holding the signing secret, or
    ssm_parameter_arn: an existing SSM SecureString parameter holding it (one secret per line).
        With neither, the component creates a Secrets Manager secret, seeded with ``initial_secret``
        or a random value (read it from the secret to configure the sender).
    storage_first: queue the raw request first (fast 202) and verify it asynchronously.
    """

    name: str
    scheme: Scheme
    secret_arn: pulumi.Input[str] | None = None
    ssm_parameter_arn: pulumi.Input[str] | None = None
    initial_secret: pulumi.Input[str] | None = None
    storage_first: bool = False

    def __post_init__(self) -> None:
        validation.check(isinstance(self.name, str) and bool(SOURCE_NAME.match(self.name)), self, "name",
                         "must be 1-63 lower-case letters, digits or '-'")
        validation.check(isinstance(self.scheme, Scheme), self, "scheme", "must be a Scheme (github(), stripe()...)")
        given = [self.secret_arn, self.ssm_parameter_arn, self.initial_secret]
        validation.check(sum(value is not None for value in given) <= 1, self, "secret_arn",
                         "excludes ssm_parameter_arn and initial_secret: give at most one of the three")


@dataclass(frozen=True, kw_only=True)
class WebhookIngressArgs:
    """sources: the senders. max_body_bytes: larger bodies get 413 (default 256 KB).
    dedup_seconds: how long a delivery id is remembered (default 7 days; the TTL of its record).
    secret_cache_seconds / secret_refresh_seconds: how long secrets are cached, and the minimum time
    between re-reads after a signature matched none of them (a new secret is accepted within it).
    archive_retention_days: how long the bus archive keeps events for replay (0 = indefinitely).
    ingest_visibility_timeout_seconds / ingest_max_receive_count: storage-first retry spacing and
    attempts before the dead-letter queue (together: how long a bus outage is survived).
    bus_name: the event bus name (default ``<name>-<stack>``). stage_name: the API stage.
    """

    sources: Sequence[WebhookSource]
    max_body_bytes: int = WebhookConfig.max_body_bytes
    dedup_seconds: int = WebhookConfig.dedup_seconds
    secret_cache_seconds: int = int(WebhookConfig.secret_cache_seconds)
    secret_refresh_seconds: int = int(WebhookConfig.secret_refresh_seconds)
    archive_retention_days: int = 30
    ingest_visibility_timeout_seconds: int = 60
    ingest_max_receive_count: int = 10
    verifier_timeout_seconds: int = 10
    bus_name: str | None = None
    stage_name: str = "api"

    def __post_init__(self) -> None:
        validation.check(bool(self.sources), self, "sources", "must hold at least one source")
        validation.unique(self, "sources", [s.name for s in self.sources])
        validation.integer(self, "max_body_bytes", 1, SQS_MAX_MESSAGE_BYTES - HEADER_ALLOWANCE_BYTES)
        validation.integer(self, "dedup_seconds", 1)
        validation.integer(self, "secret_cache_seconds", 0)
        validation.integer(self, "secret_refresh_seconds", 0)
        validation.check(self.archive_retention_days in range(0, 100_000), self, "archive_retention_days",
                         "must be 0 (indefinitely) or a number of days")
        validation.integer(self, "verifier_timeout_seconds", 1, 900)
        validation.integer(self, "ingest_visibility_timeout_seconds", self.verifier_timeout_seconds, 43200)
        validation.integer(self, "ingest_max_receive_count", 1, 1000)
        validation.stage_name(self)


class WebhookIngress(PatternComponent):
    """The API, verifiers, delivery-id table, secrets, event bus and archive (and the ingest queue
    when a source is storage-first). Subscribe with rules on the bus.

    Outputs: ``url``, ``events_bus_name``, ``events_bus_arn``, ``events_archive_name``,
    ``deliveries_table_name``, ``source_secret_arns`` (source -> secret ARN), ``verifier_function_name``;
    with a storage-first source also ``ingest_queue_url``, ``ingest_dlq_url``,
    ``queue_verifier_function_name``.
    """

    TYPE = "serverless-patterns:webhook:WebhookIngress"

    url: pulumi.Output[str]
    bus_name: pulumi.Output[str]
    bus_arn: pulumi.Output[str]
    secret_arns: dict[str, pulumi.Output[str]]

    def __init__(self, name: str, args: WebhookIngressArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(name, opts)
        child = self.child
        self.bus = aws.cloudwatch.EventBus(
            f"{name}-bus", name=args.bus_name or f"{name}-{pulumi.get_stack()}", opts=child)
        self.archive = aws.cloudwatch.EventArchive(
            f"{name}-archive", name=f"{name}-{pulumi.get_stack()}-archive"[:48], event_source_arn=self.bus.arn,
            retention_days=args.archive_retention_days, description="every published webhook event, for replay",
            opts=child)
        self.table = on_demand_table(f"{name}-deliveries", "id", self, ttl_attribute="expiration")
        self.secret_arns = {s.name: self._secret(name, s) for s in args.sources}
        self._config = {
            "sources": pulumi.Output.all(**self.secret_arns).apply(lambda arns: {
                s.name: Source(s.name, s.scheme, arns[s.name], s.storage_first) for s in args.sources}),
            "event_bus_name": self.bus.name,
            "deliveries_table": self.table.name,
            "max_body_bytes": args.max_body_bytes,
            "dedup_seconds": args.dedup_seconds,
            "secret_cache_seconds": args.secret_cache_seconds,
            "secret_refresh_seconds": args.secret_refresh_seconds,
        }
        shared = self._verifier_statements(args.sources)
        self.verifier = PythonFunction(
            f"{name}-verifier",
            PythonFunctionArgs(package="webhook", statements=shared, environment=handoff(WebhookConfig, **self._config),
                               timeout=args.verifier_timeout_seconds),
            opts=child,
        )
        routes = [Route("POST", "/webhooks/{source}", self.verifier)]  # any other name: 404
        queued = [s for s in args.sources if s.storage_first]
        self.ingest_queue: aws.sqs.Queue | None = None
        self.dead_letter_queue: aws.sqs.Queue | None = None
        self.queue_verifier: PythonFunction | None = None
        if queued:
            integration = self._storage_first(name, args, shared)
            routes += [Route("POST", f"/webhooks/{s.name}", integration=integration(s)) for s in queued]
        routes += [Route("POST", f"/webhooks/{s.name}", self.verifier) for s in args.sources if not s.storage_first]
        api = RestApi(
            f"{name}-api",
            RestApiArgs(routes=routes, auth=SIGNED_BY_SENDER, stage_name=args.stage_name,
                        description="Webhook ingress (serverless-patterns)"),
            opts=child,
        )
        self.url = api.url
        self.bus_name = self.bus.name
        self.bus_arn = self.bus.arn
        outputs: dict[str, Any] = {
            "url": self.url, "events_bus_name": self.bus.name, "events_bus_arn": self.bus.arn,
            "events_archive_name": self.archive.name, "deliveries_table_name": self.table.name,
            "source_secret_arns": self.secret_arns, "verifier_function_name": self.verifier.name,
        }
        if self.ingest_queue is not None and self.dead_letter_queue is not None and self.queue_verifier:
            outputs.update(ingest_queue_url=self.ingest_queue.url, ingest_dlq_url=self.dead_letter_queue.url,
                           queue_verifier_function_name=self.queue_verifier.name)
        self._publish(outputs)

    def _secret(self, name: str, source: WebhookSource) -> pulumi.Output[str]:
        """The ARN of the source's signing secret, creating a Secrets Manager secret when none is given."""
        given = source.secret_arn if source.secret_arn is not None else source.ssm_parameter_arn
        if given is not None:
            return pulumi.Output.from_input(given)
        secret = aws.secretsmanager.Secret(
            f"{name}-{source.name}-secret",
            description=f"signing secret of the {source.name} webhook (AWSCURRENT and AWSPREVIOUS are accepted)",
            recovery_window_in_days=7,
            opts=pulumi.ResourceOptions(parent=self),
        )
        initial = source.initial_secret if source.initial_secret is not None else (
            STANDARD_SECRET_PREFIX + base64.b64encode(secrets.token_bytes(24)).decode()  # whsec_<base64 key>
            if source.scheme.kind == "standard-webhooks" else secrets.token_urlsafe(32))
        aws.secretsmanager.SecretVersion(  # later values are rotated outside Pulumi: keep them
            f"{name}-{source.name}-secret-initial",
            secret_id=secret.id,
            secret_string=pulumi.Output.secret(initial),
            opts=pulumi.ResourceOptions(parent=self, ignore_changes=["secret_string"]),
        )
        return secret.arn

    def _verifier_statements(self, sources: Sequence[WebhookSource]) -> list[dict]:
        """Publish to this bus, record delivery ids in this table, read exactly these secrets."""
        statements = [
            iam.allow(["events:PutEvents"], [self.bus.arn]),
            iam.dynamodb_statement(self.table.arn, ["GetItem", "PutItem", "UpdateItem", "DeleteItem"]),
        ]
        in_secrets_manager = [self.secret_arns[s.name] for s in sources if s.ssm_parameter_arn is None]
        in_ssm = [self.secret_arns[s.name] for s in sources if s.ssm_parameter_arn is not None]
        if in_secrets_manager:
            statements.append(iam.allow(["secretsmanager:GetSecretValue"], in_secrets_manager))
        if in_ssm:
            statements.append(iam.allow(["ssm:GetParameter"], in_ssm))
        return statements

    def _storage_first(self, name: str, args: WebhookIngressArgs, shared: list[dict]):
        """The ingest queue, its dead-letter queue, the queue verifier, and the SQS integration per source."""
        child = self.child
        self.ingest_queue, self.dead_letter_queue = queue_with_dead_letters(
            f"{name}-ingest", f"{name}-ingest-dlq", args.ingest_max_receive_count, self,
            dlq_max_message_size=SQS_MAX_MESSAGE_BYTES,
            visibility_timeout_seconds=args.ingest_visibility_timeout_seconds,
            max_message_size=args.max_body_bytes + HEADER_ALLOWANCE_BYTES,
            message_retention_seconds=4 * 24 * 3600,
        )
        self.queue_verifier = PythonFunction(
            f"{name}-queue-verifier",
            PythonFunctionArgs(
                package="webhook", handler="queue_handler.handler",
                statements=[*shared,
                            iam.sqs_consumer_statement([self.ingest_queue.arn], change_visibility=True),
                            iam.allow(["sqs:SendMessage"], [self.dead_letter_queue.arn])],
                environment=handoff(WebhookConfig, **self._config,
                                    dead_letter_queue_url=self.dead_letter_queue.url),
                timeout=args.verifier_timeout_seconds,
            ),
            opts=child,
        )
        sqs_consumer(f"{name}-ingest-mapping", self.ingest_queue.arn, self.queue_verifier.arn, self)
        role_arn = iam.service_role(f"{name}-ingest-api", iam.APIGATEWAY_ASSUME_ROLE,
                                    [iam.allow(["sqs:SendMessage"], [self.ingest_queue.arn])], self)
        uri = self.ingest_queue.arn.apply(sqs_integration_uri)

        def integration(source: WebhookSource) -> ServiceIntegration:
            template = storage_first.request_template(source.name, source.scheme.headers)
            return ServiceIntegration(
                uri=uri,
                role_arn=role_arn,
                request_templates={content_type: template for content_type in storage_first.CONTENT_TYPES},
                request_parameters={"integration.request.header.Content-Type": "'application/x-www-form-urlencoded'"},
                responses=(
                    ServiceResponse("202", templates={"application/json": '{"status": "accepted"}'}),
                    ServiceResponse("413", r"4\d{2}", {"application/json": json.dumps(error_body(
                        "the ingest queue refused the request: the body is empty or over "
                        f"{args.max_body_bytes} bytes", "payload_too_large"))}),
                    ServiceResponse("503", r"5\d{2}", {"application/json": json.dumps(error_body(
                        "the ingest queue is unavailable; retry later", "unavailable"))},
                                    headers={"Retry-After": "'1'"}),
                ),
            )

        return integration

