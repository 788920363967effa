"""Every entry point is authenticated unless it says why not: a call without credentials is refused
by API Gateway before any code runs, and changes nothing; the same call signed goes through."""

from __future__ import annotations

import uuid

import boto3
import pytest

from tests.e2e.support import api_id_of, catalog_routes, exported_urls

PUBLIC_ROUTES = {"/webhooks/{source}", "/webhooks/github", "/webhooks/stripe", "/webhooks/slack", "/webhooks/acme",
                 "/webhooks/rotating", "/webhooks/github-async",
                 "/webhooks/standard"}  # authenticated by their webhook signature
# Routes authenticated otherwise than by SigV4: (authorization type, an unauthenticated call's status and code).
OTHER_AUTH = {"/limited/hello": ("CUSTOM", 401, "UNAUTHORIZED"),  # the rate-limit authorizer: a registered key
              "/tiers/hello": ("NONE", 403, "INVALID_API_KEY")}  # API keys with usage plans


def _authorization(url: str, method: str, path: str) -> str:
    api_id = api_id_of(url)
    apigateway = boto3.client("apigateway")
    resource = next(r for r in apigateway.get_resources(restApiId=api_id, limit=500)["items"] if r["path"] == path)
    return apigateway.get_method(restApiId=api_id, resourceId=resource["id"], httpMethod=method)["authorizationType"]


def test_only_the_signed_webhook_routes_are_public(catalog):
    routes = catalog_routes(catalog)
    assert len(exported_urls(catalog)) >= 7
    for url, method, path in routes:
        expected = "NONE" if path in PUBLIC_ROUTES else OTHER_AUTH.get(path, ("AWS_IAM",))[0]
        assert _authorization(url, method, path) == expected, f"{method} {path}"


def test_an_unsigned_call_to_any_protected_route_is_refused_before_any_code_runs(catalog, api_url, anonymous_http):
    refused = 0
    for url, method, path in catalog_routes(catalog):
        if path in PUBLIC_ROUTES:
            continue
        concrete = path.replace("{name}", "anonymous").replace("{id}", "x").replace("{correlationId}", "x") \
            .replace("{version}", "1").replace("{key}", "x").replace("{topic}", "x")
        response = anonymous_http.request(method, api_url(url) + concrete, data="{}", timeout=30,
                                          headers={"Content-Type": "application/json"})
        _, status, code = OTHER_AUTH.get(path, ("AWS_IAM", 403, "MISSING_AUTHENTICATION_TOKEN"))
        assert response.status_code == status, f"{method} {path}: {response.status_code} {response.text[:200]}"
        assert response.json()["code"] == code, f"{method} {path}"  # the gateway's
        refused += 1
    assert refused >= 12


def test_an_unsigned_increment_changes_nothing_and_the_signed_one_counts(catalog, api_url, http, anonymous_http):
    url = api_url(catalog["counter"]["url"]) + f"/counters/auth-{uuid.uuid4().hex[:8]}"
    for _ in range(3):
        assert anonymous_http.post(url, json={"increment": 5}, timeout=30).status_code == 403
    assert http.get(url, timeout=30).json()["value"] == 0
    assert http.post(url, json={"increment": 5}, timeout=30).json()["value"] == 5


def test_an_unsigned_sequence_call_takes_no_number(catalog, api_url, http, anonymous_http):
    base = api_url(catalog["sequence"]["url"]) + f"/sequences/atomic-auth-{uuid.uuid4().hex[:8]}/next"
    assert anonymous_http.post(base, timeout=30).status_code == 403
    assert http.post(base, timeout=30).json()["first"] == 1


@pytest.mark.requires("apigateway-websocket")
def test_every_websocket_api_authorises_its_connect_route(catalog):
    apis = [a for a in boto3.client("apigatewayv2").get_apis()["Items"] if a["ProtocolType"] == "WEBSOCKET"]
    assert apis
    for api in apis:
        routes = boto3.client("apigatewayv2").get_routes(ApiId=api["ApiId"])["Items"]
        connect = next(r for r in routes if r["RouteKey"] == "$connect")
        assert connect["AuthorizationType"] == "CUSTOM" and connect.get("AuthorizerId"), api["Name"]
