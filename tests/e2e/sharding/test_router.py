"""The router's entry points: a poison message ends in its own shard's DLQ with the reason while its
key goes on in order; bad input (empty key, zero shards, weights <= 0, unknown versions, jump hash
removing a middle bucket, a stale expected version) is refused with a clear error and changes nothing."""

from __future__ import annotations

import json
import uuid

import boto3
import pytest

from tests.e2e.sharding.support import all_settled
from tests.e2e.support import wait_until


def test_a_poison_message_goes_to_its_shards_dlq_and_its_key_goes_on_in_order(sharding, base, client, http):
    key = f"poison-{uuid.uuid4().hex[:6]}"
    bodies = [{"n": 0}, {"n": 1, "poison": True}, {"n": 2}, {"n": 3}]
    answers = [http.post(f"{base}/messages", json={"key": key, "body": b, "id": f"{key}-{i}"}, timeout=30)
               for i, b in enumerate(bodies)]
    assert all(a.status_code == 202 for a in answers), [a.text for a in answers]
    shard = answers[0].json()["shard"]
    assert {a.json()["shard"] for a in answers} == {shard} and [a.json()["seq"] for a in answers] == [1, 2, 3, 4]
    records = wait_until(lambda: all_settled(sharding["keys_table_name"], {key: 4}), timeout=30, interval=1,
                         what="the key's four messages to settle")[key]
    assert [(r["message_id"], r["status"]) for r in records] == [
        (f"{key}-0", "processed"), (f"{key}-1", "dead_lettered"), (f"{key}-2", "processed"),
        (f"{key}-3", "processed")]
    assert int(records[1]["failures"]) == 3 and "poison message" in records[1]["error"]

    sqs = boto3.client("sqs")

    def dead_letters(url: str) -> list[dict]:
        found = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"],
                                    VisibilityTimeout=1).get("Messages", [])
        return [m for m in found if json.loads(m["Body"]).get("key") == key]

    dead = wait_until(lambda: dead_letters(sharding["shard_dlq_urls"][shard]), timeout=10, what="the DLQ message")
    assert json.loads(dead[0]["Body"])["id"] == f"{key}-1"
    assert "poison message" in dead[0]["MessageAttributes"]["error"]["StringValue"]
    assert dead[0]["MessageAttributes"]["shard"]["StringValue"] == shard
    others = [s for s in sharding["shard_dlq_urls"] if s != shard]
    assert all(not dead_letters(sharding["shard_dlq_urls"][s]) for s in others)
    state = http.get(f"{base}/keys/{key}", timeout=30).json()
    assert (state["shard"], state["seq"], state["settled"], state["in_flight"]) == (shard, 4, 4, 0)


def test_a_retried_send_with_the_same_id_is_processed_once(sharding, base, http):
    key = f"retry-{uuid.uuid4().hex[:6]}"
    first = http.post(f"{base}/messages", json={"key": key, "body": {}, "id": "once"}, timeout=30).json()
    again = http.post(f"{base}/messages", json={"key": key, "body": {}, "id": "once"}, timeout=30).json()
    assert (again["seq"], again["replayed"]) == (first["seq"], True)
    records = wait_until(lambda: all_settled(sharding["keys_table_name"], {key: 1}), timeout=20, what="settled")
    assert [r["status"] for r in records[key]] == ["processed"]


@pytest.mark.parametrize(("body", "status", "code", "message"), [
    ({"key": "", "body": {}}, 400, "invalid_input", "the key is empty"),
    ({"body": {}}, 400, "invalid_input", "'key' is required"),
    ({"key": "x" * 129}, 400, "invalid_input", "at most 128"),
    ({"key": "has space"}, 400, "invalid_input", "message group id"),
    ({"key": 42}, 400, "invalid_input", "a string"),
    ({"key": "k", "id": "no spaces"}, 400, "invalid_input", "invalid message id"),
    ({"key": "k", "extra": 1}, 400, "invalid_input", "unknown field"),
    ({"key": "k", "body": "x" * 70_000}, 400, "invalid_input", "the maximum is"),
])
def test_a_bad_message_is_refused_and_routes_nothing(base, http, body, status, code, message):
    answer = http.post(f"{base}/messages", json=body, timeout=30)
    assert (answer.status_code, answer.json()["code"]) == (status, code), answer.text
    assert message in answer.json()["message"]
    assert http.get(f"{base}/keys/k", timeout=30).status_code == 404  # the refused key was never routed


@pytest.mark.parametrize(("change", "status", "code", "message"), [
    ({"shards": []}, 400, "invalid_input", "at least one shard"),
    ({"shards": [{"name": "s0", "weight": 0}]}, 400, "invalid_input", "weight 0"),
    ({"shards": [{"name": "s0", "weight": -2}], "algorithm": "rendezvous"}, 400, "invalid_input", "weight -2"),
    ({"remove": "s1"}, 400, "invalid_input", "jump hash can only remove its last bucket ('s3')"),
    ({"add": "s9"}, 400, "invalid_input", "s9 have no queue"),
    ({"add": "s4", "weight": 2}, 400, "invalid_input", "jump hash has no weights"),
    ({"shards": ["s0", "s1"], "algorithm": "bounded"}, 400, "invalid_input", "one message at a time"),
    ({"add": "s4", "remove": "s3"}, 400, "invalid_input", "exactly one of"),
])
def test_a_bad_membership_change_is_refused_and_publishes_nothing(base, http, change, status, code, message):
    current = http.get(f"{base}/membership/current", timeout=30).json()
    answer = http.post(f"{base}/membership", json={"expected_version": current["version"], **change}, timeout=30)
    assert (answer.status_code, answer.json()["code"]) == (status, code), answer.text
    assert message in answer.json()["message"]
    assert http.get(f"{base}/membership/current", timeout=30).json() == current


def test_a_change_decided_on_an_old_version_and_unknown_versions_are_refused(base, http):
    current = http.get(f"{base}/membership/current", timeout=30).json()
    stale = http.post(f"{base}/membership", json={"expected_version": current["version"] - 1 or 99, "add": "s4"},
                      timeout=30)
    assert (stale.status_code, stale.json()["code"]) == (409, "membership_changed"), stale.text
    unknown = http.get(f"{base}/membership/999999", timeout=30)
    assert (unknown.status_code, unknown.json()["code"]) == (404, "unknown_membership_version")
    assert http.get(f"{base}/membership/0", timeout=30).status_code == 400
    plan = http.post(f"{base}/membership/plan", json={"from_version": 999999, "to_version": 1, "keys": ["a"]},
                     timeout=30)
    assert (plan.status_code, plan.json()["code"]) == (404, "unknown_membership_version")
    assert http.get(f"{base}/membership/1", timeout=30).json()["version"] == 1
    assert http.get(f"{base}/membership/current", timeout=30).json() == current
