"""``SequenceGenerator``: numeric ids (invoice, ticket, order numbers) from DynamoDB counters.

Several named sequences share one counters table; each declares its mode:

- ``atomic``: one ``UpdateItem`` per request; unique and increasing, a failed caller leaves a gap.
- ``gap-free``: counter + the caller's item in one ``TransactWriteItems``; a failed insert takes no number.
- ``block``: a client leases ``block_size`` ids per write and hands them out locally (hi/lo);
  unused block tails are gaps.

Entry points: ``POST /sequences/{name}/next`` (Lambda), optional ``POST /direct/sequences/{name}/next``
routes where API Gateway calls DynamoDB itself (no Lambda, atomic sequences only), and the in-process
:class:`functions.sequence.client.SequenceClient`, configured by the ``client_config`` output.
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
    RestApi,
    RestApiArgs,
    Route,
    ServiceIntegration,
    ServiceResponse,
    handoff,
    iam,
    on_demand_table,
    service_action_uri,
    validation,
)
from components.core.auth import check_auth
from functions.sequence.config import MAX_VALUE, GeneratorConfig, ItemsTarget, Mode, SequenceSettings


@dataclass(frozen=True, kw_only=True)
class ItemsTable:
    """An existing table that gap-free ids are inserted into (e.g. another stack's invoices table).

    key_attributes: its key attribute names, hash key first. id_attribute: receives the id.
    """

    name: pulumi.Input[str]
    arn: pulumi.Input[str]
    key_attributes: Sequence[str] = ("pk",)
    id_attribute: str = "id"

    def __post_init__(self) -> None:
        validation.check(bool(self.key_attributes), self, "key_attributes", "must name the key attributes")


@dataclass(frozen=True)
class SequenceSpec:
    """One sequence, or a family of them when ``name`` ends with ``*`` (``"invoice-*"``: one counter
    per tenant, say).

    mode: ``atomic`` | ``gap-free`` | ``block``. start: the first id (applied when the counter is
    created; later changes never move an existing counter). block_size: ids per lease in block mode.
    items: gap-free only; defaults to the generator's own items table (key ``pk``, id attribute ``id``).
    direct_route: atomic, exactly named sequences only: also serve
    ``POST /direct/sequences/<name>/next`` with API Gateway calling DynamoDB directly (no Lambda).
    """

    name: str
    mode: Mode = "atomic"
    start: int = 1
    block_size: int = 100
    items: ItemsTable | None = None
    direct_route: bool = False

    def __post_init__(self) -> None:
        placeholder = ItemsTarget("items", tuple(self.items.key_attributes) if self.items else ("pk",))
        try:  # the runtime's own rules, so both sides refuse the same specs
            SequenceSettings(self.name, self.mode, self.start, self.block_size,
                             placeholder if self.mode == "gap-free" else None)
        except ValueError as exc:
            raise ValueError(f"SequenceSpec: {exc}") from None
        validation.check(not self.direct_route or (self.mode == "atomic" and not self.name.endswith("*")),
                         self, "direct_route", "serves one exactly named atomic sequence")


@dataclass(frozen=True, kw_only=True)
class SequenceGeneratorArgs:
    """sequences: the declared sequences. auto_create: accept undeclared names as atomic sequences
    starting at 1 (off: they get 404). max_count: most ids per request. key_ttl_seconds: how long an
    idempotency key replays. max_attempts: gap-free retries under contention. max_body_bytes: largest
    request body. auth: who may call the routes (SigV4 by default; see :mod:`components.core.auth`).
    stage_name: the API stage. reserved_concurrency: for the handler (``None``: unreserved).
    """

    sequences: Sequence[SequenceSpec] = field(default_factory=list)
    auto_create: bool = False
    max_count: int = 1000
    key_ttl_seconds: int = 24 * 3600
    max_attempts: int = 40
    max_body_bytes: int = 16 * 1024
    auth: Authorization = field(default_factory=IamAuth)
    stage_name: str = "api"
    reserved_concurrency: int | None = None

    def __post_init__(self) -> None:
        validation.check(bool(self.sequences) or self.auto_create, self, "sequences",
                         "must declare at least one sequence (or set auto_create=True)")
        validation.unique(self, "sequences", [spec.name for spec in self.sequences])
        for option in ("max_count", "key_ttl_seconds", "max_attempts", "max_body_bytes"):
            validation.integer(self, option, 1)
        validation.integer(self, "reserved_concurrency", 1, optional=True)
        validation.stage_name(self)
        check_auth(self)


class SequenceGenerator(PatternComponent):
    """Counters, idempotency keys and (for gap-free) items tables, the handler and the REST API.

    Outputs: ``url``, ``counters_table_name``, ``keys_table_name``, ``items_table_name`` (when the
    generator has its own items table) and ``client_config``: the JSON an in-process
    :class:`SequenceClient` takes; grant the code that uses it :meth:`client_statements`.
    """

    TYPE = "serverless-patterns:sequence:SequenceGenerator"

    counters: aws.dynamodb.Table
    keys: aws.dynamodb.Table
    items: aws.dynamodb.Table | None
    url: pulumi.Output[str]
    client_config: pulumi.Output[str]

    def __init__(self, name: str, args: SequenceGeneratorArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(name, opts)
        self._args = args
        child = self.child
        self.counters = on_demand_table(f"{name}-counters", "name", self)
        self.keys = on_demand_table(f"{name}-keys", "key", self, ttl_attribute="expires_at")
        needs_own_items = any(s.mode == "gap-free" and s.items is None for s in args.sequences)
        self.items = on_demand_table(f"{name}-items", "pk", self) if needs_own_items else None
        self._item_tables = self._resolve_item_tables()
        environment = self._handoff()
        self.client_config = environment[GeneratorConfig.VARIABLE]

        handler = PythonFunction(
            f"{name}-fn",
            PythonFunctionArgs(
                package="sequence",
                statements=self.client_statements(),
                environment=environment,
                timeout=30,
                reserved_concurrency=args.reserved_concurrency,
            ),
            opts=child,
        )
        routes = [Route("POST", "/sequences/{name}/next", handler)]
        direct = [s for s in args.sequences if s.direct_route]
        if direct:
            role_arn = iam.service_role(
                f"{name}-direct", iam.APIGATEWAY_ASSUME_ROLE,
                [iam.dynamodb_statement(self.counters.arn, ["UpdateItem"])], parent=self,
            )
            routes += [Route("POST", f"/direct/sequences/{s.name}/next", integration=self._direct(s, role_arn))
                       for s in direct]
        api = RestApi(
            f"{name}-api",
            RestApiArgs(routes=routes, auth=args.auth, stage_name=args.stage_name,
                        description="Sequence generator (serverless-patterns)"),
            opts=child,
        )
        self.function = handler
        self.url = api.url
        outputs = {"url": self.url, "counters_table_name": self.counters.name, "keys_table_name": self.keys.name,
                   "client_config": self.client_config, **api.auth_outputs}
        if self.items is not None:
            outputs["items_table_name"] = self.items.name
        self._publish(outputs)

    def client_statements(self) -> list[dict]:
        """Least-privilege IAM statements for code that runs a ``SequenceClient`` on this generator."""
        statements = [
            iam.dynamodb_statement(self.counters.arn, ["GetItem", "UpdateItem"]),
            iam.dynamodb_statement(self.keys.arn, ["GetItem", "PutItem", "UpdateItem", "DeleteItem"]),
        ]
        distinct = {id(table): table for table in self._item_tables.values()}
        statements += [iam.dynamodb_statement(table.arn, ["PutItem"]) for table in distinct.values()]
        return statements

    def _resolve_item_tables(self) -> dict[str, ItemsTable]:
        """The items table of each gap-free sequence (its own, or the generator's)."""
        own = ItemsTable(name=self.items.name, arn=self.items.arn) if self.items is not None else None
        resolved: dict[str, ItemsTable] = {}
        for spec in self._args.sequences:
            if spec.mode == "gap-free":
                table = spec.items or own
                assert table is not None
                resolved[spec.name] = table
        return resolved

    def _handoff(self) -> dict[str, pulumi.Output[str]]:
        """The runtime configuration (``SEQUENCE_CONFIG``), once the table names are known."""
        args = self._args
        names = [spec.name for spec in args.sequences if spec.name in self._item_tables]

        def sequences(values: list[str]) -> list[SequenceSettings]:
            item_table_names = dict(zip(names, values, strict=True))
            return [
                SequenceSettings(
                    name=spec.name, mode=spec.mode, start=spec.start, block_size=spec.block_size,
                    items=ItemsTarget(item_table_names[spec.name], tuple(self._item_tables[spec.name].key_attributes),
                                      self._item_tables[spec.name].id_attribute)
                    if spec.name in item_table_names else None,
                )
                for spec in args.sequences
            ]

        return handoff(
            GeneratorConfig,
            counters_table=self.counters.name, keys_table=self.keys.name,
            sequences=pulumi.Output.all(*[self._item_tables[n].name for n in names]).apply(sequences),
            auto_create=args.auto_create, max_count=args.max_count, key_ttl_seconds=args.key_ttl_seconds,
            max_attempts=args.max_attempts, max_body_bytes=args.max_body_bytes,
        )

    def _direct(self, spec: SequenceSpec, role_arn: pulumi.Output[str]) -> ServiceIntegration:
        """API Gateway -> DynamoDB UpdateItem for one atomic sequence: one id per request, no Lambda.

        ``#`` starts a VTL directive, so expression attribute names are written through ``$h``.
        """
        request = pulumi.Output.all(self.counters.name).apply(lambda v: "#set($h = \"#\")\n" + json.dumps({
            "TableName": v[0],
            "Key": {"name": {"S": spec.name}},
            "UpdateExpression": "SET ${h}v = if_not_exists(${h}v, :base) + :one",
            "ConditionExpression": "attribute_not_exists(${h}v) OR ${h}v <= :limit",
            "ExpressionAttributeNames": {"${h}v": "value"},
            "ExpressionAttributeValues": {
                ":base": {"N": str(spec.start - 1)}, ":one": {"N": "1"}, ":limit": {"N": str(MAX_VALUE - 1)},
            },
            "ReturnValues": "UPDATED_NEW",
        }))
        issued = (
            "#set($v = $input.path('$.Attributes.value.N'))\n"
            f'{{"sequence": "{spec.name}", "first": $v, "last": $v, "count": 1, "replayed": false}}'
        )
        message = '{"message": $input.json(\'$.message\'), "code": "%s"}'
        return ServiceIntegration(
            uri=self.counters.arn.apply(lambda arn: service_action_uri(arn, "dynamodb", "UpdateItem")),
            role_arn=role_arn,
            request_templates={"application/json": request},
            responses=(
                ServiceResponse("200", templates={"application/json": issued}),
                ServiceResponse("409", selection_pattern="400",
                                templates={"application/json": message % "sequence_exhausted"}),
                ServiceResponse("503", selection_pattern="5\\d{2}",
                                templates={"application/json": message % "unavailable"},
                                headers={"Retry-After": "'1'"}),
            ),
        )
