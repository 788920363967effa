"""``BankAccounts``: CQRS on the event store, as a deployed example domain with a real invariant (no
account is ever overdrawn).

- Commands (``POST /accounts``, ``/accounts/{id}/deposits``, ``/withdrawals``): a function loads the
  account from the store (snapshot + tail), decides, and appends with optimistic concurrency.
- Projection: the store's stream feeds a projector that keeps the accounts read model (version-guarded
  updates, a checkpoint, poison events to a DLQ with the reason).
- Queries (``GET /accounts/{id}?min_version=N``, ``GET /projections/accounts``, and
  ``POST /projections/accounts/rebuild``) read (and rebuild) the read model only.
"""

from __future__ import annotations

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
    handoff,
    iam,
    on_demand_table,
    validation,
)
from components.core.auth import check_auth
from components.core.queues import DLQ_RETENTION_SECONDS
from components.event_store.event_store import EventStore, EventStoreArgs
from functions.event_store.config import AccountsConfig

PACKAGE = "event_store"


@dataclass(frozen=True, kw_only=True)
class BankAccountsArgs:
    """snapshot_every: snapshot an account after replaying this many events (1..10,000).
    max_wait_seconds: how long a query waits for ``min_version`` (0..10). batch_size: stream records
    per projector invocation. namespace: the store's key prefix. auth: who may call the routes (SigV4
    by default). stage_name: the API stage."""

    snapshot_every: int = 50
    max_wait_seconds: float = 2.0
    batch_size: int = 100
    namespace: str = ""
    auth: Authorization = field(default_factory=IamAuth)
    stage_name: str = "api"

    def __post_init__(self) -> None:
        validation.integer(self, "snapshot_every", 1, 10_000)
        validation.number(self, "max_wait_seconds", 0, 10)
        validation.integer(self, "batch_size", 1, 1000)
        check_auth(self)
        validation.stage_name(self)


class BankAccounts(PatternComponent):
    """The event store, the read model, the command, query and projector functions, and the API.

    Outputs: ``url``, ``events_table_name``, ``events_stream_arn``, ``read_model_table_name``,
    ``projection_dlq_url``, ``projector_function_name``.
    """

    TYPE = "serverless-patterns:event_store:BankAccounts"

    def __init__(self, name: str, args: BankAccountsArgs | None = None, opts: pulumi.ResourceOptions | None = None):
        args = args or BankAccountsArgs()
        super().__init__(name, opts)
        child = self.child
        self.store = EventStore(f"{name}-store", EventStoreArgs(namespace=args.namespace), opts=child)
        self.read_model = on_demand_table(f"{name}-read-model", "id", self)
        self.dlq = aws.sqs.Queue(f"{name}-projection-dlq", message_retention_seconds=DLQ_RETENTION_SECONDS, opts=child)
        environment = handoff(AccountsConfig, events_table=self.store.table.name, namespace=args.namespace,
                              read_model_table=self.read_model.name, dlq_url=self.dlq.url,
                              snapshot_every=args.snapshot_every, max_wait_seconds=args.max_wait_seconds)
        commands = PythonFunction(f"{name}-commands", PythonFunctionArgs(
            package=PACKAGE, handler="commands.handler", statements=self.store.statements(),
            environment=environment), opts=child)
        read_model_access = iam.dynamodb_statement(self.read_model.arn, ["GetItem", "UpdateItem", "DeleteItem", "Scan"])
        send_to_dlq = iam.allow(["sqs:SendMessage"], [self.dlq.arn])
        queries = PythonFunction(f"{name}-queries", PythonFunctionArgs(
            package=PACKAGE, handler="queries.handler", timeout=60,
            statements=[read_model_access, send_to_dlq, *self.store.statements(write=False)],
            environment=environment), opts=child)
        self.projector = PythonFunction(f"{name}-projector", PythonFunctionArgs(
            package=PACKAGE, handler="projector.handler", timeout=60,
            statements=[iam.dynamodb_statement(self.read_model.arn, ["GetItem", "UpdateItem"]), send_to_dlq,
                        iam.allow(["dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:DescribeStream",
                                   "dynamodb:ListStreams"], [self.store.table.stream_arn])],
            environment=environment), opts=child)
        aws.lambda_.EventSourceMapping(
            f"{name}-projection", event_source_arn=self.store.table.stream_arn, function_name=self.projector.name,
            starting_position="TRIM_HORIZON", batch_size=args.batch_size, maximum_retry_attempts=10,
            bisect_batch_on_function_error=True,
            destination_config=aws.lambda_.EventSourceMappingDestinationConfigArgs(
                on_failure=aws.lambda_.EventSourceMappingDestinationConfigOnFailureArgs(destination_arn=self.dlq.arn)),
            opts=child)
        api = RestApi(f"{name}-api", RestApiArgs(routes=[
            Route("POST", "/accounts", commands),
            Route("POST", "/accounts/{account_id}/deposits", commands),
            Route("POST", "/accounts/{account_id}/withdrawals", commands),
            Route("GET", "/accounts/{account_id}", queries),
            Route("GET", "/projections/{name}", queries),
            Route("POST", "/projections/{name}/rebuild", queries),
        ], auth=args.auth, stage_name=args.stage_name,
            description="CQRS bank accounts on the event store (serverless-patterns)"), opts=child)
        self.url = api.url
        self._publish({"url": api.url, "events_table_name": self.store.table.name,
                       "events_stream_arn": self.store.table.stream_arn,
                       "read_model_table_name": self.read_model.name, "projection_dlq_url": self.dlq.url,
                       "projector_function_name": self.projector.name, **api.auth_outputs})
