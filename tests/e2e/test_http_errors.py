"""One HTTP error contract for every route of the catalog (docs/http-errors.md): a bad request to each
route, found by listing the deployed APIs, gets a 4xx whose body is exactly ``{"message", "code"}``.

A route of the catalog without a bad request here fails the test, so a new route cannot slip past
the contract."""

from __future__ import annotations

from dataclasses import dataclass

from tests.e2e.support import catalog_routes


@dataclass(frozen=True)
class BadRequest:
    """What to send to one route (its path template) and the refusal expected."""

    path: str
    body: str | None
    status: int
    code: str
    content_type: str = "application/json"


# (method, path template) -> the bad request; path parameters are filled in ``path``.
BAD_REQUESTS: dict[tuple[str, str], BadRequest] = {
    ("POST", "/counters/{name}"): BadRequest("/counters/x", "{not json", 400, "invalid_input"),
    ("GET", "/counters/{name}"): BadRequest("/counters/-bad", None, 400, "invalid_input"),
    ("POST", "/sequences/{name}/next"): BadRequest("/sequences/ticket/next", "[1]", 400, "invalid_input"),
    ("POST", "/direct/sequences/ticket/next"): BadRequest("/direct/sequences/ticket/next", "a,b", 415,
                                                          "UNSUPPORTED_MEDIA_TYPE", "text/csv"),
    ("POST", "/jobs"): BadRequest("/jobs", '{"priority": "nope", "payload": {}}', 400, "invalid_input"),
    ("GET", "/jobs/{id}"): BadRequest("/jobs/-bad", None, 400, "invalid_input"),
    ("POST", "/quotes"): BadRequest("/quotes", '{"amount": -5, "term": 12}', 400, "invalid_input"),
    ("GET", "/quotes/{correlationId}"): BadRequest("/quotes/not-a-uuid", None, 400, "invalid_input"),
    ("POST", "/webhooks/{source}"): BadRequest("/webhooks/nobody", "{}", 404, "not_found"),
    **{("POST", f"/webhooks/{source}"): BadRequest(f"/webhooks/{source}", '{"unsigned": true}', 401, "unauthorized")
       for source in ("github", "stripe", "slack", "acme", "rotating", "standard")},
    ("GET", "/limited/hello"): BadRequest("/limited/hello", None, 401, "UNAUTHORIZED"),  # no API key
    ("GET", "/tiers/hello"): BadRequest("/tiers/hello", None, 403, "INVALID_API_KEY"),
    ("POST", "/decorated/{key}"): BadRequest("/decorated/x", '{"cost": 11}', 400, "invalid_input"),
    ("POST", "/requests"): BadRequest("/requests", '{"payload": [1]}', 400, "invalid_input"),
    ("GET", "/requests/{id}"): BadRequest("/requests/-bad", None, 400, "invalid_input"),
    ("POST", "/webhooks/github-async"): BadRequest("/webhooks/github-async", "a,b", 415, "UNSUPPORTED_MEDIA_TYPE",
                                                   "text/csv"),
    ("POST", "/messages"): BadRequest("/messages", '{"key": "", "body": {}}', 400, "invalid_input"),
    ("GET", "/membership/{version}"): BadRequest("/membership/999999", None, 404, "unknown_membership_version"),
    ("POST", "/membership"): BadRequest("/membership", '{"expected_version": 1, "shards": []}', 400, "invalid_input"),
    ("POST", "/membership/plan"): BadRequest("/membership/plan", '{"to_version": 1, "sample": 0}', 400,
                                             "invalid_input"),
    ("GET", "/keys/{key}"): BadRequest("/keys/" + "x" * 129, None, 400, "invalid_input"),
    ("POST", "/accounts"): BadRequest("/accounts", '{"owner": ""}', 400, "invalid_input"),
    ("POST", "/accounts/{account_id}/deposits"): BadRequest("/accounts/x/deposits", '{"amount": 0}', 400,
                                                            "invalid_input"),
    ("POST", "/accounts/{account_id}/withdrawals"): BadRequest("/accounts/x/withdrawals", "[]", 400, "invalid_input"),
    ("GET", "/accounts/{account_id}"): BadRequest("/accounts/-bad", None, 400, "invalid_input"),
    ("GET", "/projections/{name}"): BadRequest("/projections/nope", None, 404, "not_found"),
    ("POST", "/projections/{name}/rebuild"): BadRequest("/projections/nope/rebuild", None, 404, "not_found"),
    ("POST", "/endpoints"): BadRequest("/endpoints", '{"url": "http://169.254.169.254/", "event_types": ["ping"]}',
                                       400, "invalid_input"),
    ("GET", "/endpoints"): BadRequest("/endpoints?limit=many", None, 400, "invalid_input"),
    ("GET", "/endpoints/{id}"): BadRequest("/endpoints/ep_nobody", None, 404, "not_found"),
    ("PATCH", "/endpoints/{id}"): BadRequest("/endpoints/ep_nobody", '{"disabled": "yes"}', 400, "invalid_input"),
    ("DELETE", "/endpoints/{id}"): BadRequest("/endpoints/no%20body", None, 400, "invalid_input"),
    ("GET", "/endpoints/{id}/secret"): BadRequest("/endpoints/ep_nobody/secret", None, 404, "not_found"),
    ("POST", "/endpoints/{id}/secret/rotate"): BadRequest("/endpoints/ep_nobody/secret/rotate",
                                                          '{"secret": "hunter2"}', 400, "invalid_input"),
    ("GET", "/endpoints/{id}/attempts"): BadRequest("/endpoints/ep_nobody/attempts?limit=0", None, 400,
                                                    "invalid_input"),
    ("GET", "/messages/{id}"): BadRequest("/messages/msg_nobody", None, 404, "not_found"),
    ("POST", "/dead-letters/replay"): BadRequest("/dead-letters/replay", '{"limit": -1}', 400, "invalid_input"),
    ("POST", "/topics/{topic}/messages"): BadRequest("/topics/news/messages", '{"nodata": 1}', 400, "invalid_input"),
    # storage-first: refused by API Gateway itself (model, required header, media type) before anything is stored
    ("POST", "/orders"): BadRequest("/orders", '{"sku": "A-1"}', 400, "BAD_REQUEST_BODY"),
    ("POST", "/ledger"): BadRequest("/ledger", '{"entry": 1}', 400, "BAD_REQUEST_PARAMETERS"),  # no Idempotency-Key
    ("POST", "/events"): BadRequest("/events", "[1]", 400, "BAD_REQUEST_BODY"),
    ("POST", "/payments"): BadRequest("/payments", '{"amount": 1}', 400, "BAD_REQUEST_PARAMETERS"),
    ("POST", "/workflows"): BadRequest("/workflows", '{"order": 1}', 400, "BAD_REQUEST_PARAMETERS"),
    ("POST", "/uploads"): BadRequest("/uploads", "not json", 400, "BAD_REQUEST_BODY"),
    ("POST", "/tasks"): BadRequest("/tasks", '"a string"', 400, "BAD_REQUEST_BODY"),
    **{("GET", f"/{target}/{{id}}"): BadRequest(f"/{target}/" + "x" * 257, None, 400, "invalid_input")
       for target in ("orders", "ledger", "events", "workflows", "uploads", "tasks")},
    ("GET", "/payments/{id}"): BadRequest("/payments/nobody", None, 404, "not_found"),
}


def test_every_route_of_the_catalog_has_a_bad_request(catalog):
    routes = {(method, path) for _, method, path in catalog_routes(catalog)}
    assert len(routes) >= 14
    assert routes - set(BAD_REQUESTS) == set(), "add a bad request for each new route"


def test_every_route_refuses_bad_input_with_the_one_error_body(catalog, api_url, http):
    checked = 0
    for url, method, template in catalog_routes(catalog):
        bad = BAD_REQUESTS[(method, template)]
        response = http.request(method, api_url(url) + bad.path, data=bad.body,
                                headers={"Content-Type": bad.content_type}, timeout=60)
        where = f"{method} {template} -> {response.status_code} {response.text[:200]}"
        assert response.status_code == bad.status, where
        assert response.headers["Content-Type"].startswith("application/json"), where
        body = response.json()
        assert set(body) == {"message", "code"}, where
        assert body["code"] == bad.code and isinstance(body["message"], str) and body["message"], where
        assert "Traceback" not in response.text and 'File "' not in response.text, where
        checked += 1
    assert checked >= 57  # the catalog has 57 routes today


def test_a_path_no_route_serves_answers_in_the_same_shape(catalog, api_url, http):
    response = http.get(api_url(catalog["counter"]["url"]) + "/no/such/route", timeout=30)
    assert response.status_code in (403, 404)
    assert set(response.json()) == {"message", "code"}
