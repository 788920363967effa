"""Atomic counter, driven over HTTP: concurrency gives distinct consecutive values; bad input is
refused with a message and increments nothing."""

from __future__ import annotations

import urllib.parse
import uuid
from concurrent.futures import ThreadPoolExecutor

import boto3
import pytest


@pytest.fixture(scope="module")
def counter(catalog, api_url):
    outputs = catalog["counter"]
    return api_url(outputs["url"]), outputs["counters_table_name"]


def _stored_value(table_name: str, name: str) -> int | None:
    item = boto3.resource("dynamodb").Table(table_name).get_item(Key={"name": name}, ConsistentRead=True)
    return int(item["Item"]["value"]) if "Item" in item else None


def test_concurrent_increments_get_distinct_consecutive_values(counter, http):
    url, table_name = counter
    name = f"concurrent-{uuid.uuid4().hex[:8]}"

    def increment(_: int) -> int:
        response = http.post(f"{url}/counters/{name}", timeout=60)
        assert response.status_code == 200, response.text
        return response.json()["value"]

    with ThreadPoolExecutor(max_workers=20) as pool:
        values = list(pool.map(increment, range(20)))

    assert sorted(values) == list(range(1, 21))
    assert _stored_value(table_name, name) == 20


def test_increment_by_a_given_amount(counter, http):
    url, _ = counter
    name = f"by-{uuid.uuid4().hex[:8]}"
    assert http.post(f"{url}/counters/{name}", json={"increment": 5}, timeout=30).json()["value"] == 5
    assert http.post(f"{url}/counters/{name}", timeout=30).json()["value"] == 6
    assert http.get(f"{url}/counters/{name}", timeout=30).json() == {"name": name, "value": 6}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("{not json", "not valid JSON"),
        ("[1, 2]", "must be a JSON object"),
        ('{"increment": "5"}', "must be an integer"),
        ('{"increment": 0}', "at least 1"),
        ('{"increment": 2.5}', "must be an integer"),
        ('{"increment": 1000001}', "at most"),
        ("x" * 9000, "maximum"),
    ],
)
def test_malformed_body_is_refused_and_increments_nothing(counter, http, body, message):
    url, table_name = counter
    name = f"bad-body-{uuid.uuid4().hex[:8]}"
    http.post(f"{url}/counters/{name}", timeout=30).raise_for_status()

    response = http.post(f"{url}/counters/{name}", data=body, timeout=30)

    assert response.status_code == 400
    assert message in response.json()["message"]
    assert _stored_value(table_name, name) == 1


@pytest.mark.parametrize("name", ["-leading-dash", "a" * 65, "sp%20ace", "semi%3Bcolon"])
def test_invalid_counter_name_is_refused_and_creates_nothing(counter, http, name):
    url, table_name = counter

    response = http.post(f"{url}/counters/{name}", timeout=30)

    assert response.status_code == 400
    assert "invalid counter name" in response.json()["message"]
    decoded = urllib.parse.unquote(name)
    assert _stored_value(table_name, decoded) is None
