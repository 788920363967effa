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

from components import iam
from components.function import PythonFunction, PythonFunctionArgs
from components.rest_api import RestApi, RestApiArgs, Route, ServiceIntegration, ServiceResponse
from functions.sequence.sequences import MAX_VALUE, GeneratorConfig, ItemsTarget, Mode, SequenceSettings


@dataclass
class ItemsTable:
    """An existing table that gap-free ids are inserted into (e.g. another stack's invoices table).

    key_attributes: its key attribute names, hash key first. id_attribute: receives the id.
    """

    name: pulumi.Input[str]
    arn: pulumi.Input[str]
    key_attributes: Sequence[str] = ("pk",)
    id_attribute: str = "id"


@dataclass
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


@dataclass
class SequenceGeneratorArgs:
    """sequences: the declared sequences. auto_create: accept undeclared names as atomic sequences
    starting at 1 (off: they get 404). max_count: most ids per request. key_ttl_seconds: how long an
    idempotency key replays. max_attempts: gap-free retries under contention. max_body_bytes: largest
    request body. stage_name: the API stage. reserved_concurrency: for the handler (``None``: unreserved).
    """

    sequences: Sequence[SequenceSpec] = field(default_factory=list)
    auto_create: bool = False
    max_count: int = 1000
    key_ttl_seconds: int = 24 * 3600
    max_attempts: int = 40
    max_body_bytes: int = 16 * 1024
    stage_name: str = "api"
    reserved_concurrency: int | None = None


class SequenceGenerator(pulumi.ComponentResource):
    """Counters, idempotency keys and (for gap-free) items tables, the handler and the REST API.

    ``client_config`` is the JSON an in-process :class:`SequenceClient` takes; grant the code that
    uses it :meth:`client_statements`.
    """

    counters: aws.dynamodb.Table
    keys: aws.dynamodb.Table
    items: aws.dynamodb.Table | None
    url: pulumi.Output[str]
    client_config: pulumi.Output[str]

    def __init__(self, name: str, args: SequenceGeneratorArgs, opts: pulumi.ResourceOptions | None = None):
        _validate(args)
        super().__init__("serverless-patterns:sequence:SequenceGenerator", name, None, opts)
        self._args = args
        child = pulumi.ResourceOptions(parent=self)
        self.counters = _table(f"{name}-counters", "name", child)
        self.keys = _table(f"{name}-keys", "key", child, ttl_attribute="expires_at")
        needs_own_items = any(s.mode == "gap-free" and s.items is None for s in args.sequences)
        self.items = _table(f"{name}-items", "pk", child) if needs_own_items else None
        self._item_tables = self._resolve_item_tables()
        self.client_config = self._render_config()

        handler = PythonFunction(
            f"{name}-fn",
            PythonFunctionArgs(
                package="sequence",
                statements=self.client_statements(),
                environment={"SEQUENCE_CONFIG": self.client_config},
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
            RestApiArgs(routes, stage_name=args.stage_name, description="Sequence generator (serverless-patterns)"),
            opts=child,
        )
        self.function = handler
        self.url = api.url
        self.register_outputs({
            "url": self.url,
            "counters_table": self.counters.name,
            "keys_table": self.keys.name,
            "client_config": self.client_config,
        })

    def client_statements(self) -> list[dict]:
        """Least-privilege IAM statements for code that runs a ``SequenceClient`` on this generator."""
        statements = [
            iam.dynamodb_statement(self.counters.arn, ["GetItem", "UpdateItem"]),
            iam.dynamodb_statement(self.keys.arn, ["GetItem", "PutItem"]),
        ]
        distinct = {id(table): table for table in self._item_tables.values()}
        statements += [iam.dynamodb_statement(table.arn, ["PutItem"]) for table in distinct.values()]
        return statements

    def _resolve_item_tables(self) -> dict[str, ItemsTable]:
        """The items table of each gap-free sequence (its own, or the generator's)."""
        own = ItemsTable(self.items.name, self.items.arn) if self.items is not None else None
        resolved: dict[str, ItemsTable] = {}
        for spec in self._args.sequences:
            if spec.mode == "gap-free":
                table = spec.items or own
                assert table is not None
                resolved[spec.name] = table
        return resolved

    def _render_config(self) -> pulumi.Output[str]:
        """The runtime configuration, once table names are known, in the runtime's own format."""
        names = [spec.name for spec in self._args.sequences if spec.name in self._item_tables]
        tables = [self._item_tables[n].name for n in names]

        def render(values: list[str]) -> str:
            counters, keys, *item_names = values
            by_sequence = dict(zip(names, item_names, strict=True))
            return _runtime_config(self._args, counters, keys, by_sequence, self._item_tables).to_json()

        return pulumi.Output.all(self.counters.name, self.keys.name, *tables).apply(render)

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
        message = '{"message": $input.json(\'$.message\')}'
        return ServiceIntegration(
            uri=self.counters.arn.apply(  # the region is the table's
                lambda arn: f"arn:aws:apigateway:{arn.split(':')[3]}:dynamodb:action/UpdateItem"
            ),
            role_arn=role_arn,
            request_templates={"application/json": request},
            responses=(
                ServiceResponse("200", templates={"application/json": issued}),
                ServiceResponse("409", selection_pattern="400", templates={"application/json": message}),
                ServiceResponse("502", selection_pattern="5\\d{2}", templates={"application/json": message}),
            ),
        )


def _table(name: str, hash_key: str, opts: pulumi.ResourceOptions, ttl_attribute: str | None = None):
    return aws.dynamodb.Table(
        name,
        attributes=[aws.dynamodb.TableAttributeArgs(name=hash_key, type="S")],
        hash_key=hash_key,
        billing_mode="PAY_PER_REQUEST",
        ttl=aws.dynamodb.TableTtlArgs(attribute_name=ttl_attribute, enabled=True) if ttl_attribute else None,
        opts=opts,
    )


def _runtime_config(
    args: SequenceGeneratorArgs, counters: str, keys: str, item_table_names: dict[str, str],
    item_tables: dict[str, ItemsTable],
) -> GeneratorConfig:
    sequences = tuple(
        SequenceSettings(
            name=spec.name, mode=spec.mode, start=spec.start, block_size=spec.block_size,
            items=ItemsTarget(item_table_names[spec.name], tuple(item_tables[spec.name].key_attributes),
                              item_tables[spec.name].id_attribute)
            if spec.name in item_table_names else None,
        )
        for spec in args.sequences
    )
    return GeneratorConfig(
        counters_table=counters, keys_table=keys, sequences=sequences, auto_create=args.auto_create,
        max_count=args.max_count, key_ttl_seconds=args.key_ttl_seconds, max_attempts=args.max_attempts,
        max_body_bytes=args.max_body_bytes,
    )


def _validate(args: SequenceGeneratorArgs) -> None:
    """Fail at ``pulumi preview`` rather than at the first request."""
    if not args.sequences and not args.auto_create:
        raise ValueError("declare at least one sequence, or set auto_create=True")
    names = [spec.name for spec in args.sequences]
    if len(set(names)) != len(names):
        raise ValueError(f"sequence names must be unique, got {names}")
    for spec in args.sequences:
        placeholder = ItemsTarget("items", tuple(spec.items.key_attributes) if spec.items else ("pk",))
        SequenceSettings(spec.name, spec.mode, spec.start, spec.block_size,
                         placeholder if spec.mode == "gap-free" else None)
        if spec.direct_route and (spec.mode != "atomic" or spec.name.endswith("*")):
            raise ValueError(f"sequence {spec.name!r}: a direct route serves one exactly named atomic sequence")
    for option in ("max_count", "key_ttl_seconds", "max_attempts", "max_body_bytes"):
        if getattr(args, option) < 1:
            raise ValueError(f"{option} must be at least 1")
