"""``ShardedQueue`` under Pulumi mocks: FIFO shard queues with FIFO DLQs, one worker per shard with
least privilege, the first membership written once, and Args refused by name."""

from __future__ import annotations

import json

import pytest

from components.core.function import function_name
from components.sharding import Membership, MessageHandlerCode, Shard, ShardedQueue, ShardedQueueArgs
from functions.sharding.config import ShardingConfig
from tests.components.harness import handoff_of, run_under_mocks

ACCOUNT = "arn:aws:sqs:us-east-1:123456789012"
TABLE = "arn:aws:dynamodb:us-east-1:123456789012:table"


@pytest.fixture(scope="module")
def deployed():
    def program():
        return ShardedQueue("sq", ShardedQueueArgs(
            shards=["a", "b", "c"], membership=Membership.initial(["a", "b"], algorithm="jump"),
            handler=MessageHandlerCode(handler="mine.handle", statements=[
                {"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": ["arn:aws:s3:::b/*"]}]),
            max_attempts=4, max_receive_count=9, worker_timeout=20)).outputs

    return run_under_mocks(program)


def test_each_shard_is_a_fifo_queue_with_a_fifo_dlq_and_its_redrive(deployed):
    for shard in ("a", "b", "c"):
        queue, dlq = deployed.named(f"sq-{shard}").inputs, deployed.named(f"sq-{shard}-dlq").inputs
        assert queue["fifoQueue"] is True and dlq["fifoQueue"] is True
        assert json.loads(queue["redrivePolicy"]) == {"deadLetterTargetArn": f"{ACCOUNT}:sq-{shard}-dlq",
                                                      "maxReceiveCount": 9}
        assert queue["visibilityTimeoutSeconds"] == 120


def test_each_shard_has_its_own_worker_reading_only_its_queue(deployed):
    mappings = {m.name: m.inputs for m in deployed.of_type("aws:lambda/eventSourceMapping:EventSourceMapping")}
    assert set(mappings) == {"sq-a-mapping", "sq-b-mapping", "sq-c-mapping"}
    for shard in ("a", "b", "c"):
        mapping = mappings[f"sq-{shard}-mapping"]
        assert mapping["eventSourceArn"] == f"{ACCOUNT}:sq-{shard}"
        assert mapping["functionName"].endswith(function_name(f"sq-{shard}-worker"))
        assert mapping["functionResponseTypes"] == ["ReportBatchItemFailures"]
        config = handoff_of(deployed, f"sq-{shard}-worker", ShardingConfig)
        assert (config.shard, config.max_attempts, config.message_handler) == (shard, 4, "mine.handle")
        assert config.dlq_url.endswith(f"/sq-{shard}-dlq") and set(config.queue_urls) == {"a", "b", "c"}
        statements = json.loads(deployed.named(f"sq-{shard}-worker-policy").inputs["policy"])["Statement"]
        sqs = [s for s in statements if any(a.startswith("sqs:") for a in s["Action"])]
        assert sqs == [
            {"Effect": "Allow", "Action": ["sqs:ChangeMessageVisibility", "sqs:DeleteMessage",
                                           "sqs:GetQueueAttributes", "sqs:ReceiveMessage"],
             "Resource": [f"{ACCOUNT}:sq-{shard}"]},
            {"Effect": "Allow", "Action": ["sqs:SendMessage"], "Resource": [f"{ACCOUNT}:sq-{shard}-dlq"]},
        ]
        assert {"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": ["arn:aws:s3:::b/*"]} in statements
        assert all(f"{TABLE}/sq-membership" not in s["Resource"] for s in statements)  # workers never reshard


def test_the_router_sends_to_every_shard_and_owns_the_tables(deployed):
    statements = json.loads(deployed.named("sq-router-policy").inputs["policy"])["Statement"]
    assert {"Effect": "Allow", "Action": ["sqs:SendMessage"],
            "Resource": [f"{ACCOUNT}:sq-{s}" for s in ("a", "b", "c")]} in statements
    tables = {s["Resource"][0]: s["Action"] for s in statements if s["Action"][0].startswith("dynamodb:")}
    assert tables == {f"{TABLE}/sq-keys": ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"],
                      f"{TABLE}/sq-membership": ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"]}
    methods = {(m.inputs["httpMethod"], m.name) for m in deployed.of_type("aws:apigateway/method:Method")}
    assert len(methods) == 5


def test_the_first_membership_is_written_once_and_never_overwritten_by_a_deploy(deployed):
    items = deployed.of_type("aws:dynamodb/tableItem:TableItem")
    assert sorted(json.loads(i.inputs["item"])["version"]["S"] for i in items) == ["current", "v#1"]
    document = json.loads(json.loads(items[0].inputs["item"])["document"]["S"])
    assert document == {"version": 1, "algorithm": "jump", "shards": [{"name": "a", "weight": 1},
                                                                      {"name": "b", "weight": 1}]}
    keys = deployed.named("sq-keys").inputs
    assert (keys["hashKey"], keys["rangeKey"], keys["ttl"]["attributeName"]) == ("key", "item", "expires_at")


def test_the_defaults_use_every_shard_with_rendezvous():
    mocks = run_under_mocks(lambda: ShardedQueue("d").outputs)
    item = json.loads(mocks.of_type("aws:dynamodb/tableItem:TableItem")[0].inputs["item"])
    assert json.loads(item["document"]["S"])["algorithm"] == "rendezvous"
    assert len(mocks.of_type("aws:lambda/function:Function")) == 5  # four workers and the router


@pytest.mark.parametrize(("kwargs", "field", "message"), [
    ({"shards": []}, "shards", "at least one shard"),
    ({"shards": ["A"]}, "shards", "lowercase"),
    ({"shards": ["a", "a"]}, "shards", "unique"),
    ({"shards": ["a"], "membership": Membership.initial(["b"])}, "membership", "have no queue"),
    ({"shards": ["a"], "membership": Membership.initial(["a"], algorithm="bounded")}, "membership",
     "one message at a time"),
    ({"shards": ["a", "b"], "membership": Membership.initial(["a"]).with_shard("b")}, "membership", "version 1"),
    ({"max_attempts": 3, "max_receive_count": 3}, "max_receive_count", "4..1000"),
    ({"batch_size": 11}, "batch_size", "1..10"),
    ({"worker_timeout": 30, "visibility_timeout": 10}, "visibility_timeout", "30..43200"),
])
def test_nonsense_is_refused_naming_the_field(kwargs, field, message):
    with pytest.raises(ValueError, match=rf"ShardedQueueArgs\.{field}.*{message}"):
        ShardedQueueArgs(**kwargs)


def test_weighted_memberships_are_accepted_for_weighted_algorithms():
    args = ShardedQueueArgs(shards=["a", "b"], membership=Membership.initial([Shard("a", 2), "b"], algorithm="ring"))
    assert args.initial_membership.shares()["a"] == pytest.approx(2 / 3)
