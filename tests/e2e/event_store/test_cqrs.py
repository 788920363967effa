"""CQRS on the event store, deployed: commands decide and append, the stream-fed projector keeps the
read model, queries read it with read-your-writes; the invariant (no overdraft) holds under concurrent
commands; redelivery, poison events and rebuilds leave the read model right."""

from __future__ import annotations

import base64
import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import boto3
import pytest

from functions.event_store.store import EventLog, NewEvent
from tests.e2e.support import peek_all, wait_until


@pytest.fixture(scope="module")
def cqrs(catalog) -> dict[str, Any]:
    return catalog["cqrs"]


@pytest.fixture(scope="module")
def base(cqrs, api_url) -> str:
    return api_url(cqrs["url"])


def _open(http, base: str, owner: str = "ada") -> str:
    answer = http.post(f"{base}/accounts", json={"owner": owner}, timeout=30)
    assert answer.status_code == 201, answer.text
    assert answer.json()["version"] == 1
    return answer.json()["id"]


def _command(http, base: str, account: str, kind: str, amount: int, **extra: Any):
    return http.post(f"{base}/accounts/{account}/{kind}", json={"amount": amount, **extra}, timeout=30)


def _read(http, base: str, account: str, min_version: int) -> dict:
    answer = http.get(f"{base}/accounts/{account}", params={"min_version": min_version}, timeout=30)
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_a_commands_version_is_visible_in_the_read_model_within_seconds(http, base):
    account = _open(http, base)
    deposited = _command(http, base, account, "deposits", 100)
    withdrawn = _command(http, base, account, "withdrawals", 30)
    assert (deposited.status_code, withdrawn.status_code) == (200, 200), withdrawn.text
    assert withdrawn.json()["version"] == 3 and withdrawn.json()["balance"] == 70

    view = _read(http, base, account, min_version=3)  # read-your-writes: waits for version 3
    assert (view["owner"], view["balance"], view["version"]) == ("ada", 70, 3)
    for bad in ("²", "-1", "0", "1e3", "9" * 40):
        refused = http.get(f"{base}/accounts/{account}", params={"min_version": bad}, timeout=30)
        assert (refused.status_code, refused.json()["code"]) == (400, "invalid_input"), (bad, refused.text)
    behind = http.get(f"{base}/accounts/{account}", params={"min_version": 99}, timeout=30)
    assert behind.status_code == 409 and behind.json()["code"] == "read_model_behind"
    assert behind.headers["Retry-After"] == "1"


def test_no_overdraft_and_stale_versions_append_nothing(http, base):
    account = _open(http, base)
    _command(http, base, account, "deposits", 50)

    overdraft = _command(http, base, account, "withdrawals", 51)
    assert overdraft.status_code == 409 and overdraft.json()["code"] == "insufficient_funds"
    stale = _command(http, base, account, "deposits", 5, expected_version=1)
    assert stale.status_code == 409 and stale.json()["code"] == "version_conflict"
    assert _command(http, base, account, "deposits", 5, expected_version=2).json()["version"] == 3
    assert _read(http, base, account, min_version=3)["balance"] == 55


@pytest.mark.parametrize(("path", "body", "status", "code"), [
    ("/accounts", {"owner": ""}, 400, "invalid_input"),
    ("/accounts", {"owner": "x", "color": "red"}, 400, "invalid_input"),
    ("/accounts", {"owner": "x", "id": 5}, 400, "invalid_input"),
    ("/accounts/{id}/deposits", {"amount": -5}, 400, "invalid_input"),
    ("/accounts/{id}/deposits", {"amount": "5"}, 400, "invalid_input"),
    ("/accounts/nobody-{id}/deposits", {"amount": 5}, 404, "not_found"),
    ("/accounts/{id}/frobnicate", {"amount": 5}, 403, "MISSING_AUTHENTICATION_TOKEN"),  # API Gateway: no such route
])
def test_bad_commands_are_refused_and_append_nothing(http, base, path, body, status, code):
    account = _open(http, base)
    answer = http.post(base + path.format(id=account), json=body, timeout=30)
    assert (answer.status_code, answer.json()["code"]) == (status, code), answer.text
    assert "message" in answer.json()
    assert _read(http, base, account, min_version=1)["version"] == 1


def test_concurrent_withdrawals_never_overdraw(http, base):
    account = _open(http, base)
    _command(http, base, account, "deposits", 100)

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: _command(http, base, account, "withdrawals", 30), range(8)))

    statuses = [a.status_code for a in answers]
    assert set(statuses) <= {200, 409}, [a.text for a in answers]
    succeeded = statuses.count(200)
    assert 1 <= succeeded <= 3  # 3 x 30 fits in 100, a fourth would overdraw
    versions = sorted(a.json()["version"] for a in answers if a.status_code == 200)
    assert versions == list(range(3, 3 + succeeded))  # no two commands took one version
    view = _read(http, base, account, min_version=2 + succeeded)
    assert view["balance"] == 100 - 30 * succeeded >= 0


def _stream_record(table: str, position: int) -> dict:
    """The stream record of one stored log item, as the projector receives it (binary as base64)."""
    item = boto3.client("dynamodb").get_item(TableName=table, Key={"pk": {"S": "log#0"}, "sk": {"N": str(position)}},
                                             ConsistentRead=True)["Item"]
    for event in item["events"]["L"]:
        event["M"]["d"]["B"] = base64.b64encode(event["M"]["d"]["B"]).decode()
    return {"eventName": "INSERT", "dynamodb": {"NewImage": item}}


def _read_model(table: str) -> list[dict]:
    items = boto3.resource("dynamodb").Table(table).scan(ConsistentRead=True)["Items"]
    return sorted(items, key=lambda i: i["id"])


def _caught_up(http, base: str) -> dict:
    return wait_until(lambda: (lag := http.get(f"{base}/projections/accounts", timeout=30).json())["behind"] == 0
                      and lag, timeout=30, what="the projection to catch up")


def test_a_redelivered_batch_leaves_the_read_model_unchanged(http, base, cqrs):
    account = _open(http, base)
    position = _command(http, base, account, "deposits", 40).json()["position"]
    _read(http, base, account, min_version=2)
    before = _read_model(cqrs["read_model_table_name"])

    records = [_stream_record(cqrs["events_table_name"], p) for p in (position - 1, position)]
    answer = boto3.client("lambda").invoke(FunctionName=cqrs["projector_function_name"],
                                           Payload=json.dumps({"Records": records}).encode())
    assert json.loads(answer["Payload"].read()) == {"applied": 0, "duplicates": 2, "parked": 0}
    assert _read_model(cqrs["read_model_table_name"]) == before


def test_a_poison_event_goes_to_the_dlq_with_the_reason_while_the_rest_apply(http, base, cqrs):
    account = _open(http, base)
    log = EventLog(cqrs["events_table_name"], boto3.client("dynamodb"))
    log.append([NewEvent(account, 2, "Deposited", b'{"amount": "lots"}'),
                NewEvent(account, 3, "Deposited", b'{"amount": 7}')])

    view = _read(http, base, account, min_version=3)
    assert (view["balance"], view["parked_versions"]) == (7, [2])

    def parked() -> dict | None:
        for message in peek_all(cqrs["projection_dlq_url"]):
            body = json.loads(message["Body"])
            if body["stream_id"] == account:
                return {"body": body, "reason": message["MessageAttributes"]["reason"]["StringValue"]}
        return None

    dead = wait_until(parked, timeout=15, what="the poison event in the projection DLQ")
    assert dead["body"]["version"] == 2 and "positive integer amount" in dead["reason"]


def test_dropping_and_rebuilding_the_read_model_gives_an_identical_one(http, base, cqrs):
    for owner in ("grace", "linus"):
        account = _open(http, base, owner)
        _command(http, base, account, "deposits", 10)
    _caught_up(http, base)
    before = _read_model(cqrs["read_model_table_name"])

    rebuilt = http.post(f"{base}/projections/accounts/rebuild", timeout=60)
    assert rebuilt.status_code == 200, rebuilt.text
    assert _read_model(cqrs["read_model_table_name"]) == before
    assert rebuilt.json()["applied"] >= 4 and rebuilt.json()["duplicates"] == 0  # into an emptied model


def test_the_command_side_snapshots_an_account_every_few_events(http, base, cqrs):
    account = _open(http, base)
    for _ in range(6):
        assert _command(http, base, account, "deposits", 1).status_code == 200
    log = EventLog(cqrs["events_table_name"], boto3.client("dynamodb"))
    snapshot = log.latest_snapshot(account)
    assert snapshot is not None and snapshot[0] >= 5  # the catalog snapshots after replaying 5 events
    assert json.loads(snapshot[1])["balance"] == snapshot[0] - 1
