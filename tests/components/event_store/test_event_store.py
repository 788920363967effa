"""``EventStore`` under Pulumi mocks: the table the store's key layout needs (string ``pk``, numeric
``sk``), its stream for consumers, point-in-time recovery, the grants and settings a function gets."""

from __future__ import annotations

import pulumi
import pytest

from components.event_store import EventStore, EventStoreArgs
from tests.components.harness import run_under_mocks


@pytest.fixture(scope="module")
def deployed():
    holder = {}

    def program():
        store = EventStore("es", EventStoreArgs(namespace="orders/"))
        holder["store"] = store
        pulumi.Output.all(store.statements(), store.statements(write=False), store.environment()).apply(
            lambda values: holder.update(grants=values[0], read_only=values[1], env=values[2]))
        return store.outputs

    mocks = run_under_mocks(program)
    return mocks, holder


def test_the_table_is_keyed_by_a_string_and_a_number_with_a_stream_and_backups(deployed):
    mocks, _ = deployed
    table = mocks.one("aws:dynamodb/table:Table", "es-events").inputs
    assert (table["hashKey"], table["rangeKey"]) == ("pk", "sk")
    assert {a["name"]: a["type"] for a in table["attributes"]} == {"pk": "S", "sk": "N"}
    assert (table["streamEnabled"], table["streamViewType"]) == (True, "NEW_IMAGE")
    assert table["pointInTimeRecovery"] == {"enabled": True}
    assert table["billingMode"] == "PAY_PER_REQUEST"


def test_a_function_gets_the_table_only_and_the_settings_of_the_persistence_module(deployed):
    _, holder = deployed
    [grant] = holder["grants"]
    assert sorted(grant["Action"]) == ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query", "dynamodb:UpdateItem"]
    assert [r.endswith(":table/es-events") or "es-events" in r for r in grant["Resource"]] == [True]
    assert sorted(holder["read_only"][0]["Action"]) == ["dynamodb:GetItem", "dynamodb:Query"]
    assert holder["env"]["PERSISTENCE_MODULE"] == "functions.event_store.persistence"
    assert holder["env"]["EVENT_STORE_NAMESPACE"] == "orders/"
