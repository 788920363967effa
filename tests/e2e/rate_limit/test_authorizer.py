"""The 429 authorizer in front of a REST route: a registered key gets its limit, the 11th call a 429
with Retry-After and the RateLimit headers; no key or an unknown one a 401, before any code runs."""

from __future__ import annotations

import re

import requests

from tests.e2e.rate_limit.support import call


def test_the_eleventh_call_gets_429_with_retry_after(rate_limit, api_url, register_key):
    url = api_url(rate_limit["api"]["url"]) + "/limited/hello"
    headers = {"x-api-key": register_key("acme")}
    session = requests.Session()

    admitted = [call(session, "GET", url, headers=headers) for _ in range(10)]
    assert [r.status_code for r in admitted] == [200] * 10
    assert [r.json()["remaining"] for r in admitted] == list(range(9, -1, -1))
    assert admitted[0].json()["client"] == "acme"
    assert re.fullmatch(r'"per_minute";r=0;t=(5\d|60)', admitted[-1].headers["RateLimit"])  # full again in ~60 s

    limited = call(session, "GET", url, headers=headers)
    assert limited.status_code == 429, limited.text
    assert limited.headers["Retry-After"] == "6"  # a 10-per-minute bucket frees a unit every 6 s
    assert limited.headers["RateLimit-Policy"] == '"per_minute";q=10;w=60, "per_hour";q=100;w=3600'
    assert limited.json() == {"message": "rate limit exceeded: retry after 6 s", "code": "too_many_requests"}


def test_another_key_is_not_limited_by_the_first(rate_limit, api_url, register_key):
    url = api_url(rate_limit["api"]["url"]) + "/limited/hello"
    session = requests.Session()
    first, second = {"x-api-key": register_key()}, {"x-api-key": register_key()}
    for _ in range(10):
        call(session, "GET", url, headers=first)
    assert call(session, "GET", url, headers=first).status_code == 429
    assert call(session, "GET", url, headers=second).status_code == 200


def test_a_missing_or_unknown_key_gets_401(rate_limit, api_url):
    url = api_url(rate_limit["api"]["url"]) + "/limited/hello"
    session = requests.Session()
    missing = call(session, "GET", url)
    unknown = call(session, "GET", url, headers={"x-api-key": "not-a-registered-key"})
    for response in (missing, unknown):
        assert response.status_code == 401, response.text
        assert set(response.json()) == {"message", "code"}
