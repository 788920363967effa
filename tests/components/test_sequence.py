"""SequenceGenerator under Pulumi mocks: the tables, least-privilege policies, the handler's
configuration, the Lambda and direct DynamoDB routes, and configuration mistakes refused early."""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pytest

from components.sequence import ItemsTable, SequenceGenerator, SequenceGeneratorArgs, SequenceSpec
from functions.sequence.sequences import MAX_VALUE, GeneratorConfig

ACCOUNT, REGION = "123456789012", "eu-west-1"


class Recorder(pulumi.runtime.Mocks):
    """Records each declared resource (type, name, inputs); answers with provider-like outputs."""

    def __init__(self) -> None:
        self.declared: list[tuple[str, str, dict[str, Any]]] = []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs):
        self.declared.append((args.typ, args.name, dict(args.inputs)))
        service = args.typ.split(":")[1].split("/")[0]
        outputs = {**args.inputs, "name": args.inputs.get("name", f"{args.name}-x")}
        outputs["arn"] = f"arn:aws:{service}:{REGION}:{ACCOUNT}:{args.name}"
        if args.typ == "aws:dynamodb/table:Table":
            outputs["arn"] = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{outputs['name']}"
        if args.typ == "aws:lambda/function:Function":
            outputs["invokeArn"] = f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/x/invocations"
        if args.typ == "aws:apigateway/restApi:RestApi":
            outputs.update(rootResourceId="root", executionArn=f"arn:aws:execute-api:{REGION}:{ACCOUNT}:api")
        if args.typ == "aws:apigateway/stage:Stage":
            outputs["invokeUrl"] = "https://api.example/api"
        return f"{args.name}-id", outputs

    def call(self, args: pulumi.runtime.MockCallArgs):
        return {}

    def of_type(self, suffix: str) -> list[tuple[str, dict[str, Any]]]:
        return [(name, inputs) for typ, name, inputs in self.declared if typ.endswith(suffix)]

    def inputs(self, suffix: str, name: str) -> dict[str, Any]:
        found = [inputs for n, inputs in self.of_type(suffix) if n == name]
        assert len(found) == 1, (suffix, name, [n for n, _ in self.of_type(suffix)])
        return found[0]

    def statements(self, policy_name: str) -> list[dict[str, Any]]:
        return json.loads(self.inputs(":RolePolicy", policy_name)["policy"])["Statement"]


def build(args: SequenceGeneratorArgs, name: str = "seq") -> Recorder:
    recorder = Recorder()
    pulumi.runtime.set_mocks(recorder, project="serverless-patterns", stack="unit", preview=False)

    @pulumi.runtime.test
    def program():
        SequenceGenerator(name, args)

    program()
    return recorder


CATALOG_LIKE = SequenceGeneratorArgs(sequences=[
    SequenceSpec("ticket", start=1000, direct_route=True),
    SequenceSpec("invoice-*", mode="gap-free"),
    SequenceSpec("order-*", mode="block", block_size=50),
], max_count=500)


@pytest.fixture(scope="module")
def catalog_like() -> Recorder:
    return build(CATALOG_LIKE)


def test_tables_are_on_demand_with_the_keys_the_client_uses(catalog_like):
    tables = dict(catalog_like.of_type(":Table"))
    assert set(tables) == {"seq-counters", "seq-keys", "seq-items"}
    assert {n: t["hashKey"] for n, t in tables.items()} == {"seq-counters": "name", "seq-keys": "key",
                                                            "seq-items": "pk"}
    assert all(t["billingMode"] == "PAY_PER_REQUEST" for t in tables.values())
    assert tables["seq-keys"]["ttl"] == {"attributeName": "expires_at", "enabled": True}
    assert "ttl" not in tables["seq-counters"]  # counters never expire


def test_handler_policy_allows_exactly_the_calls_on_exactly_the_tables(catalog_like):
    statements = catalog_like.statements("seq-fn-policy")
    dynamodb = {tuple(s["Resource"]): s["Action"] for s in statements if s["Action"][0].startswith("dynamodb:")}
    table = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table"
    assert dynamodb == {
        (f"{table}/seq-counters-x",): ["dynamodb:GetItem", "dynamodb:UpdateItem"],
        (f"{table}/seq-keys-x",): ["dynamodb:GetItem", "dynamodb:PutItem"],
        (f"{table}/seq-items-x",): ["dynamodb:PutItem"],
    }
    assert not any("*" in a for s in statements for a in s["Action"])


def test_handler_configuration_is_the_runtime_format_with_real_table_names(catalog_like):
    function = catalog_like.inputs(":Function", "seq-fn")
    config = GeneratorConfig.from_json(function["environment"]["variables"]["SEQUENCE_CONFIG"])
    assert (config.counters_table, config.keys_table, config.max_count, config.auto_create) == (
        "seq-counters-x", "seq-keys-x", 500, False)
    assert config.resolve("ticket").start == 1000
    assert config.resolve("invoice-acme").items.table == "seq-items-x"
    assert config.resolve("order-eu").block_size == 50
    assert function["handler"] == "functions.sequence.handler.handler"


def test_routes_lambda_proxy_and_one_direct_dynamodb_route(catalog_like):
    parts = sorted(r["pathPart"] for _, r in catalog_like.of_type(":Resource"))
    assert parts == sorted(["sequences", "{name}", "next", "direct", "sequences", "ticket", "next"])
    integrations = [i for _, i in catalog_like.of_type(":Integration")]
    assert sorted(i["type"] for i in integrations) == ["AWS", "AWS_PROXY"]
    direct = next(i for i in integrations if i["type"] == "AWS")
    assert direct["uri"] == f"arn:aws:apigateway:{REGION}:dynamodb:action/UpdateItem"
    assert direct["credentials"].endswith(":seq-direct-role")
    assert catalog_like.statements("seq-direct-policy") == [{
        "Effect": "Allow", "Action": ["dynamodb:UpdateItem"],
        "Resource": [f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/seq-counters-x"],
    }]


def test_direct_route_template_is_one_guarded_update_of_that_sequence(catalog_like):
    direct = next(i for _, i in catalog_like.of_type(":Integration") if i["type"] == "AWS")
    template = direct["requestTemplates"]["application/json"]
    first_line, body = template.split("\n", 1)
    assert first_line == '#set($h = "#")'
    request = json.loads(body.replace("${h}", "#"))
    assert request["TableName"] == "seq-counters-x" and request["Key"] == {"name": {"S": "ticket"}}
    assert request["UpdateExpression"] == "SET #v = if_not_exists(#v, :base) + :one"
    assert request["ExpressionAttributeValues"][":base"] == {"N": "999"}
    assert request["ExpressionAttributeValues"][":limit"] == {"N": str(MAX_VALUE - 1)}
    statuses = sorted(r["statusCode"] for _, r in catalog_like.of_type(":IntegrationResponse"))
    assert statuses == ["200", "409", "502"]


def test_a_caller_supplied_items_table_replaces_the_generators_own():
    invoices = ItemsTable("invoices", f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/invoices", ("tenant", "ref"),
                          "invoice_no")
    recorder = build(SequenceGeneratorArgs(sequences=[SequenceSpec("inv-*", mode="gap-free", items=invoices)]))
    assert "seq-items" not in dict(recorder.of_type(":Table"))
    assert not recorder.of_type(":IntegrationResponse")  # no direct route, no service role
    assert {"Effect": "Allow", "Action": ["dynamodb:PutItem"], "Resource": [invoices.arn]} in recorder.statements(
        "seq-fn-policy")
    config = GeneratorConfig.from_json(recorder.inputs(":Function", "seq-fn")["environment"]["variables"][
        "SEQUENCE_CONFIG"])
    items = config.resolve("inv-1").items
    assert (items.table, items.key_attributes, items.id_attribute) == ("invoices", ("tenant", "ref"), "invoice_no")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (SequenceGeneratorArgs(), "at least one sequence"),
        (SequenceGeneratorArgs([SequenceSpec("a"), SequenceSpec("a")]), "unique"),
        (SequenceGeneratorArgs([SequenceSpec("a", mode="gap-free", direct_route=True)]), "direct route"),
        (SequenceGeneratorArgs([SequenceSpec("a-*", direct_route=True)]), "direct route"),
        (SequenceGeneratorArgs([SequenceSpec("a", mode="fastest")]), "mode must be"),
        (SequenceGeneratorArgs([SequenceSpec("a", start=-5)]), "start must be"),
        (SequenceGeneratorArgs([SequenceSpec("a")], max_count=0), "max_count"),
    ],
)
def test_configuration_mistakes_fail_before_anything_is_declared(args, message):
    with pytest.raises(ValueError, match=message):
        build(args, name="bad")
