"""The one HTTP error contract, through the resolver every Lambda-proxy handler uses."""

import json

import pytest
from aws_lambda_powertools import Logger
from botocore.exceptions import ClientError, EndpointConnectionError

from functions.common.errors import Conflict, HttpError, NotFound, TooManyRequests, Unavailable, error_response
from functions.common.rest import rest_resolver
from functions.common.validation import validate_name


@pytest.fixture
def call():
    app = rest_resolver(Logger(service="test"))

    @app.get("/things/<name>")
    def read(name: str) -> dict:
        return {"name": validate_name(name, "thing name")}

    @app.post("/things/<name>")
    def fail(name: str) -> dict:
        raise {"conflict": Conflict("already there"), "busy": Unavailable("store did not answer"),
               "crash": RuntimeError("secret internals at /var/task/x.py"),
               "throttled": ClientError({"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "m"},
                                         "ResponseMetadata": {"HTTPStatusCode": 400}}, "UpdateItem"),
               "sqs-throttled": ClientError({"Error": {"Code": "AWS.SimpleQueueService.RequestThrottled"}}, "Send"),
               "denied": ClientError({"Error": {"Code": "AccessDeniedException", "Message": "role x"},
                                      "ResponseMetadata": {"HTTPStatusCode": 400}}, "GetItem"),
               "down": EndpointConnectionError(endpoint_url="http://internal:1")}[name]

    def run(method: str, name: str) -> dict:
        return app.resolve({"path": f"/things/{name}", "httpMethod": method, "headers": {},
                            "requestContext": {"requestId": "r"}, "resource": "/things/{name}"}, {})

    return run


def _header(response: dict, name: str) -> str | None:
    values = (response.get("multiValueHeaders") or {}).get(name) or []
    return values[0] if values else (response.get("headers") or {}).get(name)


def test_a_route_that_succeeds_is_untouched(call):
    assert json.loads(call("GET", "ok")["body"]) == {"name": "ok"}


def test_invalid_input_from_any_route_is_a_400_with_message_and_code(call):
    refused = call("GET", "-bad")
    assert refused["statusCode"] == 400
    body = json.loads(refused["body"])
    assert set(body) == {"message", "code"}
    assert body["code"] == "invalid_input" and body["message"].startswith("invalid thing name '-bad'")
    assert _header(refused, "Content-Type") == "application/json"


@pytest.mark.parametrize(("name", "status", "code", "retry_after"), [
    ("conflict", 409, "conflict", None),
    ("busy", 503, "unavailable", "1"),
    ("crash", 500, "internal_error", None),
    ("throttled", 503, "unavailable", "1"),     # AWS throttled or failed: the caller retries later
    ("sqs-throttled", 503, "unavailable", "1"),
    ("down", 503, "unavailable", "1"),
    ("denied", 500, "internal_error", None),      # a refused call is a bug (a missing permission), not load
])
def test_every_refusal_has_the_same_body_and_retry_after_on_503(call, name, status, code, retry_after):
    response = call("POST", name)
    assert response["statusCode"] == status
    body = json.loads(response["body"])
    assert set(body) == {"message", "code"} and body["code"] == code
    assert _header(response, "Retry-After") == retry_after


@pytest.mark.parametrize("name", ["crash", "denied", "down"])
def test_an_unexpected_error_leaks_nothing(call, name):
    body = call("POST", name)["body"]
    for secret in ("secret internals", "Traceback", "/var/task", "role x", "internal:1"):
        assert secret not in body


def test_a_path_no_route_serves_is_a_404_with_the_contract_body(call):
    response = call("DELETE", "x")
    assert response["statusCode"] == 404
    assert json.loads(response["body"]) == {"message": "no route DELETE /things/x", "code": "route_not_found"}


def test_error_response_outside_the_resolver_has_the_same_shape():
    response = error_response(TooManyRequests("slow down", retry_after=7))
    assert response["statusCode"] == 429 and response["headers"]["Retry-After"] == "7"
    assert json.loads(response["body"]) == {"message": "slow down", "code": "too_many_requests"}
    assert json.loads(error_response(NotFound("gone"))["body"])["code"] == "not_found"


def test_an_instance_may_refine_its_status_and_code():
    error = HttpError("teapot", status=418, code="teapot")
    assert (error.status, error.code) == (418, "teapot")
    assert HttpError.status == 500  # the class is unchanged
