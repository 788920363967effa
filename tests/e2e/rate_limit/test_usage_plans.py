"""API keys with usage plans per tier: API Gateway itself refuses a key over its tier's quota (429)."""

from __future__ import annotations

import boto3
import requests

from tests.e2e.rate_limit.support import call


def _key_value(key_id: str) -> str:
    return boto3.client("apigateway").get_api_key(apiKey=key_id, includeValue=True)["value"]


def test_a_free_key_over_its_quota_gets_429_and_a_pro_key_goes_on(rate_limit, api_url):
    url = api_url(rate_limit["api"]["url"]) + "/tiers/hello"
    ids = rate_limit["api"]["api_key_ids"]
    session = requests.Session()
    free, pro = {"x-api-key": _key_value(ids["free-1"])}, {"x-api-key": _key_value(ids["pro-1"])}

    assert [call(session, "GET", url, headers=free).status_code for _ in range(3)] == [200] * 3
    over = session.get(url, headers=free, timeout=30)
    assert over.status_code == 429 and over.headers["Retry-After"] == "60"
    assert over.json()["code"] == "QUOTA_EXCEEDED"
    assert call(session, "GET", url, headers=pro).status_code == 200
    assert session.get(url, timeout=30).status_code == 403  # no key at all
