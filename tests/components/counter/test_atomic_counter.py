import pytest

from components.counter import AtomicCounter, AtomicCounterArgs
from functions.counter.config import CounterConfig
from tests.components.harness import handoff_of


def test_counter_declares_table_function_and_routes(build):
    mocks = build(lambda: AtomicCounter("ctr", AtomicCounterArgs(max_increment=50)))

    table = mocks.one("aws:dynamodb/table:Table")
    assert table.inputs["hashKey"] == "name"
    assert table.inputs["billingMode"] == "PAY_PER_REQUEST"
    fn = mocks.one("aws:lambda/function:Function")
    assert fn.inputs["handler"] == "functions.counter.handler.handler"
    assert handoff_of(mocks, fn.name, CounterConfig) == CounterConfig(table_name="ctr-table", max_increment=50)
    assert "-deps-" in fn.inputs["code"].path  # Powertools, from functions/counter/requirements.txt, bundled
    routes = {(m.inputs["httpMethod"]) for m in mocks.of_type("aws:apigateway/method:Method")}
    assert routes == {"GET", "POST"}


def test_counter_function_may_only_update_and_read_its_own_table(build):
    mocks = build(lambda: AtomicCounter("least"))
    statements = mocks.policy_statements("least-fn-policy")
    data = [s for s in statements if any(a.startswith("dynamodb:") for a in s["Action"])]
    assert data == [{"Effect": "Allow", "Action": ["dynamodb:GetItem", "dynamodb:UpdateItem"],
                     "Resource": ["arn:aws:dynamodb:us-east-1:123456789012:table/least-table"]}]
    others = [s for s in statements if s not in data]
    assert all(a.startswith("logs:") for s in others for a in s["Action"])


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"max_increment": 0}, "max_increment"), ({"max_increment": 1.5}, "max_increment"),
    ({"max_increment": True}, "max_increment"), ({"stage_name": "a stage"}, "stage_name"),
])
def test_nonsense_arguments_are_refused_naming_the_field(kwargs, field):
    with pytest.raises(ValueError, match=rf"AtomicCounterArgs\.{field} must"):
        AtomicCounterArgs(**kwargs)
