"""SequenceGenerator under Pulumi mocks: the tables, least-privilege policies, the handler's
configuration, the Lambda and direct DynamoDB routes, and configuration mistakes refused early."""

from __future__ import annotations

import json

import pytest

from components.sequence import ItemsTable, SequenceGenerator, SequenceGeneratorArgs, SequenceSpec
from functions.sequence.config import MAX_VALUE, GeneratorConfig
from tests.components.harness import ACCOUNT, REGION, handoff_of

TABLE = "aws:dynamodb/table:Table"
POLICY = "aws:iam/rolePolicy:RolePolicy"
FUNCTION = "aws:lambda/function:Function"
INTEGRATION = "aws:apigateway/integration:Integration"
CATALOG_LIKE = SequenceGeneratorArgs(sequences=[
    SequenceSpec("ticket", start=1000, direct_route=True),
    SequenceSpec("invoice-*", mode="gap-free"),
    SequenceSpec("order-*", mode="block", block_size=50),
], max_count=500)


def _arn(table: str) -> str:
    return f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{table}"


def _config(mocks) -> GeneratorConfig:
    return handoff_of(mocks, mocks.one(FUNCTION).name, GeneratorConfig)


def test_tables_are_on_demand_with_the_keys_the_client_uses(build):
    mocks = build(lambda: SequenceGenerator("seq", CATALOG_LIKE))
    tables = {t.name: t.inputs for t in mocks.of_type(TABLE)}
    assert {n: t["hashKey"] for n, t in tables.items()} == {"seq-counters": "name", "seq-keys": "key",
                                                            "seq-items": "pk"}
    assert all(t["billingMode"] == "PAY_PER_REQUEST" for t in tables.values())
    assert tables["seq-keys"]["ttl"] == {"attributeName": "expires_at", "enabled": True}
    assert "ttl" not in tables["seq-counters"]  # counters never expire


def test_handler_policy_allows_exactly_the_calls_on_exactly_the_tables(build):
    mocks = build(lambda: SequenceGenerator("seq", CATALOG_LIKE))
    statements = mocks.policy_statements("seq-fn-policy")
    dynamodb = {tuple(s["Resource"]): s["Action"] for s in statements if s["Action"][0].startswith("dynamodb:")}
    assert dynamodb == {
        (_arn("seq-counters"),): ["dynamodb:GetItem", "dynamodb:UpdateItem"],
        (_arn("seq-keys"),): ["dynamodb:DeleteItem", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"],
        (_arn("seq-items"),): ["dynamodb:PutItem"],
    }
    assert not any("*" in a for s in statements for a in s["Action"])


def test_handler_configuration_is_the_runtime_format_with_real_table_names(build):
    mocks = build(lambda: SequenceGenerator("seq", CATALOG_LIKE))
    config = _config(mocks)
    assert (config.counters_table, config.keys_table, config.max_count, config.auto_create) == (
        "seq-counters", "seq-keys", 500, False)
    assert config.resolve("ticket").start == 1000
    assert config.resolve("invoice-acme").items.table == "seq-items"
    assert config.resolve("order-eu").block_size == 50
    assert mocks.one(FUNCTION).inputs["handler"] == "functions.sequence.handler.handler"


def test_routes_lambda_proxy_and_a_direct_dynamodb_route_with_its_own_role(build):
    mocks = build(lambda: SequenceGenerator("seq", CATALOG_LIKE))
    parts = sorted(r.inputs["pathPart"] for r in mocks.of_type("aws:apigateway/resource:Resource"))
    assert parts == sorted(["sequences", "{name}", "next", "direct", "sequences", "ticket", "next"])
    integrations = [i.inputs for i in mocks.of_type(INTEGRATION)]
    assert sorted(i["type"] for i in integrations) == ["AWS", "AWS_PROXY"]
    direct = next(i for i in integrations if i["type"] == "AWS")
    assert direct["uri"] == f"arn:aws:apigateway:{REGION}:dynamodb:action/UpdateItem"
    assert direct["credentials"].endswith(":role/seq-direct-role")
    assert mocks.policy_statements("seq-direct-policy") == [
        {"Effect": "Allow", "Action": ["dynamodb:UpdateItem"], "Resource": [_arn("seq-counters")]}]


def test_direct_route_template_is_one_guarded_update_of_that_sequence(build):
    mocks = build(lambda: SequenceGenerator("seq", CATALOG_LIKE))
    direct = next(i.inputs for i in mocks.of_type(INTEGRATION) if i.inputs["type"] == "AWS")
    first_line, body = direct["requestTemplates"]["application/json"].split("\n", 1)
    assert first_line == '#set($h = "#")'
    request = json.loads(body.replace("${h}", "#"))
    assert request["TableName"] == "seq-counters" and request["Key"] == {"name": {"S": "ticket"}}
    assert request["UpdateExpression"] == "SET #v = if_not_exists(#v, :base) + :one"
    assert request["ExpressionAttributeValues"][":base"] == {"N": "999"}
    assert request["ExpressionAttributeValues"][":limit"] == {"N": str(MAX_VALUE - 1)}
    responses = mocks.of_type("aws:apigateway/integrationResponse:IntegrationResponse")
    assert sorted(r.inputs["statusCode"] for r in responses) == ["200", "409", "503"]


def test_a_caller_supplied_items_table_replaces_the_generators_own(build):
    invoices = ItemsTable(name="invoices", arn=_arn("invoices"), key_attributes=("tenant", "ref"),
                          id_attribute="invoice_no")
    mocks = build(lambda: SequenceGenerator(
        "own", SequenceGeneratorArgs(sequences=[SequenceSpec("inv-*", mode="gap-free", items=invoices)])))
    assert sorted(t.name for t in mocks.of_type(TABLE)) == ["own-counters", "own-keys"]
    assert [i.inputs["type"] for i in mocks.of_type(INTEGRATION)] == ["AWS_PROXY"]  # no direct route
    assert {"Effect": "Allow", "Action": ["dynamodb:PutItem"], "Resource": [_arn("invoices")]} in (
        mocks.policy_statements("own-fn-policy"))
    items = _config(mocks).resolve("inv-1").items
    assert (items.table, items.key_attributes, items.id_attribute) == ("invoices", ("tenant", "ref"), "invoice_no")


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: SequenceGeneratorArgs(), r"SequenceGeneratorArgs\.sequences must declare at least one sequence"),
        (lambda: SequenceGeneratorArgs(sequences=[SequenceSpec("a"), SequenceSpec("a")]), "unique"),
        (lambda: SequenceSpec("a", mode="gap-free", direct_route=True), r"SequenceSpec\.direct_route"),
        (lambda: SequenceSpec("a-*", direct_route=True), r"SequenceSpec\.direct_route"),
        (lambda: SequenceSpec("a", mode="fastest"), "mode must be"),
        (lambda: SequenceSpec("a", start=-5), "start must be"),
        (lambda: SequenceGeneratorArgs(sequences=[SequenceSpec("a")], max_count=0),
         r"SequenceGeneratorArgs\.max_count"),
    ],
)
def test_configuration_mistakes_fail_before_anything_is_declared(make, message):
    with pytest.raises(ValueError, match=message):
        make()
