"""Every HTTP entry of the deployed catalog, fuzzed with hypothesis: structured and raw bodies, headers,
path parameters. Never a 5xx, never Python's error text; every refusal in the one error body; and a
refused request changes nothing (checked by accounting: the stored state equals what the accepted
requests alone would have made).

Bounded: a fixed number of cases per route (``CASES``), derandomized so a failure reproduces."""

from __future__ import annotations

import json
import urllib.parse
import uuid
from typing import Any

import boto3
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.e2e.support import api_id_of, catalog_routes

CASES = 6
FUZZ = settings(max_examples=CASES, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
PYTHON_TEXT = ("Traceback", 'File "', "Error:", "Exception", "botocore", "/var/task")

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(10**60), max_value=10**60)
    | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=40),
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=12), children, max_size=5),
    max_leaves=25,
)
# Known field names, so the structured bodies reach the validation of each route, not only its first check.
FIELDS = ["increment", "count", "item", "priority", "payload", "amount", "term", "strategy", "deadlineSeconds", "pk"]
structured = st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=8), json_values, max_size=6).map(json.dumps)
hostile = st.sampled_from([
    "[" * 3000 + "]" * 3000, '{"a":' * 3000 + "1" + "}" * 3000, '{"n": ' + "7" * 5000 + "}",
    '{"amount": 1e-300, "term": 12}', '{"increment": 1e400}', '{"item": {"pk": "' + "x" * 3000 + '"}}',
    '{"item": {"pk": "a", "": 1}}', "\x00\x01\x02", "null", "[]", '"text"', "",
])
bodies = st.one_of(structured, hostile, st.text(max_size=300), st.binary(max_size=300))
path_parameters = st.one_of(st.text(min_size=1, max_size=70), st.sampled_from(["ticket", "-", "..", "a" * 65, "%00"]))
header_values = st.text(st.characters(min_codepoint=33, max_codepoint=126), max_size=60)  # what a client can send
headers = st.fixed_dictionaries({}, optional={
    "Content-Type": st.sampled_from(["application/json", "text/plain", "application/x-www-form-urlencoded"]),
    "Idempotency-Key": header_values, "X-GitHub-Event": header_values, "X-Hub-Signature-256": header_values,
    "Stripe-Signature": header_values, "X-Acme-Timestamp": header_values,
})


def _concrete(template: str, value: str) -> str:
    return "/".join(urllib.parse.quote(value, safe="") if part.startswith("{") else part
                    for part in template.split("/"))


def _check(response: Any, where: str) -> None:
    assert response.status_code < 500, f"{where}: {response.status_code} {response.text[:300]}"
    if response.status_code >= 400:
        body = response.json()
        assert set(body) == {"message", "code"}, f"{where}: {body}"
        assert not any(text in body["message"] for text in PYTHON_TEXT), f"{where}: {body}"


def _non_sqs_service_routes(found: list[tuple[str, str, str]]) -> set[tuple[str, str, str]]:
    """The routes API Gateway serves by calling an AWS service other than SQS itself (no Lambda)."""
    apigateway = boto3.client("apigateway")
    resources: dict[str, dict[str, str]] = {}
    served = set()
    for url, method, path in found:
        api_id = api_id_of(url)
        if api_id not in resources:
            resources[api_id] = {r["path"]: r["id"] for r in apigateway.get_resources(restApiId=api_id,
                                                                                       limit=500)["items"]}
        integration = apigateway.get_integration(restApiId=api_id, resourceId=resources[api_id][path],
                                                 httpMethod=method)
        if integration["type"] == "AWS" and ":sqs:path/" not in integration.get("uri", ""):
            served.add((url, method, path))
    return served


@pytest.fixture(scope="module")
def routes(catalog, cloud_missing_capabilities) -> list[tuple[str, str, str]]:
    """Every route; those API Gateway serves by calling DynamoDB, EventBridge, Step Functions or S3 itself
    (the direct sequence route, storage-first routes) only where the target has those integrations."""
    found, missing = catalog_routes(catalog), cloud_missing_capabilities
    if "apigateway-v1-service-integrations" in missing:
        left_out = _non_sqs_service_routes(found)
        print(f"fuzz: {sorted(path for _, _, path in left_out)} left out: "
              f"{missing['apigateway-v1-service-integrations']}")
        found = [route for route in found if route not in left_out]
    return found


def test_every_entry_point_answers_fuzz_without_a_5xx(routes, api_url, http):
    checked = {"requests": 0}

    @settings(FUZZ, max_examples=CASES * len(routes))
    @given(route=st.sampled_from(routes), parameter=path_parameters, body=bodies, extra=headers)
    def probe(route: tuple[str, str, str], parameter: str, body: str | bytes, extra: dict[str, str]) -> None:
        url, method, template = route
        response = http.request(method, api_url(url) + _concrete(template, parameter), data=body,
                                headers=extra, timeout=60)
        checked["requests"] += 1
        _check(response, f"{method} {template} {parameter!r} {str(body)[:80]!r}")

    probe()  # CASES per route on average, over the whole catalog
    print(f"fuzz: {checked['requests']} requests over {len(routes)} routes")
    assert checked["requests"] >= CASES * len(routes) * 0.9  # hypothesis may stop early on a duplicate draw


def test_fuzzed_increments_change_the_counter_by_exactly_the_accepted_ones(catalog, api_url, http):
    url = api_url(catalog["counter"]["url"]) + f"/counters/fuzz-{uuid.uuid4().hex[:8]}"
    accepted = {"sum": 0, "refused": 0}

    @FUZZ
    @given(body=st.one_of(structured, hostile, st.builds(lambda n: json.dumps({"increment": n}),
                                                       st.integers(-5, 2_000_000))))
    def probe(body: str) -> None:
        response = http.post(url, data=body, timeout=60)
        _check(response, body[:80])
        if response.status_code == 200:
            parsed = json.loads(body) if body.strip() else {}
            accepted["sum"] += parsed.get("increment", 1)
        else:
            accepted["refused"] += 1

    probe()
    assert accepted["refused"] > 0
    assert http.get(url, timeout=30).json()["value"] == accepted["sum"]


def test_fuzzed_sequence_requests_take_exactly_the_ids_they_were_given(catalog, api_url, http):
    name = f"atomic-fuzz-{uuid.uuid4().hex[:6]}"
    url = api_url(catalog["sequence"]["url"]) + f"/sequences/{name}/next"
    issued: list[tuple[int, int]] = []

    @FUZZ
    @given(body=st.one_of(structured, hostile, st.builds(lambda n: json.dumps({"count": n}), st.integers(-3, 2000))),
           key=st.none() | header_values)
    def probe(body: str, key: str | None) -> None:
        response = http.post(url, data=body, headers={"Idempotency-Key": key} if key is not None else {},
                             timeout=60)
        _check(response, body[:80])
        if response.status_code == 200 and not response.json()["replayed"]:
            issued.append((response.json()["first"], response.json()["last"]))

    probe()
    ids = sorted(i for first, last in issued for i in range(first, last + 1))
    assert ids == list(range(1, len(ids) + 1))  # disjoint, contiguous: refused requests took nothing
    stored = boto3.client("dynamodb").get_item(TableName=catalog["sequence"]["counters_table_name"],
                                               Key={"name": {"S": name}}, ConsistentRead=True).get("Item")
    assert (int(stored["value"]["N"]) if stored else 0) == len(ids)


@pytest.mark.parametrize(("pattern", "path", "table_of"), [
    ("priority", "/jobs", lambda c: c["priority"]["dynamo"]["jobs_table_name"]),
    ("scatter_gather", "/quotes", lambda c: c["scatter_gather"]["pubsub"]["aggregates_table_name"]),
    ("webhook", "/webhooks/github", lambda c: c["webhook"]["ingress"]["deliveries_table_name"]),
])
def test_fuzzed_posts_store_one_record_per_accepted_request_and_none_for_refused(catalog, api_url, http, pattern,
                                                                                 path, table_of):
    exported = {"priority": catalog["priority"]["dynamo"], "scatter_gather": catalog["scatter_gather"]["pubsub"],
                "webhook": catalog["webhook"]["ingress"]}[pattern]
    table = boto3.resource("dynamodb").Table(table_of(catalog))

    def count() -> int:
        return table.scan(Select="COUNT", ConsistentRead=True)["Count"]

    before, accepted = count(), {"n": 0}

    @FUZZ
    @given(body=st.one_of(structured, hostile), extra=headers)
    def probe(body: str, extra: dict[str, str]) -> None:
        response = http.post(api_url(exported["url"]) + path, data=body, headers=extra, timeout=60)
        _check(response, body[:80])
        accepted["n"] += response.status_code in (200, 202)

    probe()
    per_request = 2 if pattern == "webhook" else 1  # a published delivery keeps two replay records
    assert count() - before == per_request * accepted["n"]
