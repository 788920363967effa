import pulumi
import pytest

from components.core.rest_api import RestApi, RestApiArgs, Route, ServiceIntegration, ServiceResponse


class FakeFunction:
    def __init__(self, name: str) -> None:
        arn = f"arn:aws:lambda:us-east-1:123456789012:function:{name}"
        self.arn = pulumi.Output.from_input(arn)
        self.invoke_arn = pulumi.Output.from_input(
            f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{arn}/invocations")


def test_routes_build_one_resource_per_segment_and_proxy_integrations(build):
    fn = FakeFunction("items")
    mocks = build(lambda: RestApi("shop", RestApiArgs(routes=[
        Route("POST", "/items/{id}", fn), Route("GET", "/items/{id}", fn), Route("GET", "/items", fn),
    ], stage_name="v2")))

    assert sorted(r.inputs["pathPart"] for r in mocks.of_type("aws:apigateway/resource:Resource")) == ["items", "{id}"]
    methods = mocks.of_type("aws:apigateway/method:Method")
    assert sorted(m.inputs["httpMethod"] for m in methods) == ["GET", "GET", "POST"]
    assert all(m.inputs["authorization"] == "NONE" for m in methods)
    for integration in mocks.of_type("aws:apigateway/integration:Integration"):
        assert integration.inputs["type"] == "AWS_PROXY"
        assert integration.inputs["integrationHttpMethod"] == "POST"
        assert integration.inputs["uri"].endswith("function:items/invocations")
    assert mocks.one("aws:apigateway/stage:Stage").inputs["stageName"] == "v2"
    assert mocks.one("aws:apigateway/deployment:Deployment").inputs["triggers"]["routes"]


def test_each_route_gets_an_invoke_permission_scoped_to_its_method_and_path(build):
    fn = FakeFunction("items")
    mocks = build(lambda: RestApi("perm", RestApiArgs(routes=[
        Route("POST", "/items/{id}/tags", fn), Route("ANY", "/health", fn)])))
    permissions = mocks.of_type("aws:lambda/permission:Permission")
    assert {p.inputs["principal"] for p in permissions} == {"apigateway.amazonaws.com"}
    assert {p.inputs["action"] for p in permissions} == {"lambda:InvokeFunction"}
    assert sorted(p.inputs["sourceArn"].split(":")[-1] for p in permissions) == [
        "perm-id/*/*/health", "perm-id/*/POST/items/*/tags"]


def test_service_route_uses_a_role_templates_and_mapped_responses(build):
    spec = ServiceIntegration(
        uri="arn:aws:apigateway:us-east-1:sqs:path/123456789012/q",
        role_arn="arn:aws:iam::123456789012:role/gw",
        request_templates={"application/json": "Action=SendMessage"},
        responses=(ServiceResponse("200", templates={"application/json": '{"ok": true}'}),
                   ServiceResponse("400", selection_pattern="4\\d{2}")),
    )
    mocks = build(lambda: RestApi("svc", RestApiArgs(routes=[Route("POST", "/send", integration=spec)])))
    integration = mocks.one("aws:apigateway/integration:Integration")
    assert integration.inputs["type"] == "AWS"
    assert integration.inputs["credentials"] == "arn:aws:iam::123456789012:role/gw"
    assert integration.inputs["passthroughBehavior"] == "NEVER"
    assert not mocks.of_type("aws:lambda/permission:Permission")
    assert sorted(r.inputs["statusCode"] for r in mocks.of_type("aws:apigateway/methodResponse:MethodResponse")) == [
        "200", "400"]
    responses = {r.inputs["statusCode"]: r.inputs
                 for r in mocks.of_type("aws:apigateway/integrationResponse:IntegrationResponse")}
    assert responses["400"]["selectionPattern"] == "4\\d{2}"
    assert "selectionPattern" not in responses["200"]


@pytest.mark.parametrize(
    ("routes", "message"),
    [
        ([], r"RestApiArgs\.routes must hold at least one route"),
        ([Route("GET", "/a", FakeFunction("f")), Route("get", "/a/", FakeFunction("f"))],
         r"RestApiArgs\.routes must have unique names \(repeated: GET /a\)"),
    ],
)
def test_invalid_route_sets_are_refused(routes, message):
    with pytest.raises(ValueError, match=message):
        RestApiArgs(routes=routes)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"method": "FETCH", "path": "/a", "function": "f"}, "unknown HTTP method"),
        ({"method": "GET", "path": "/a b", "function": "f"}, "invalid path segment"),
        ({"method": "GET", "path": "/{bad-param}", "function": "f"}, "invalid path segment"),
        ({"method": "GET", "path": "/a"}, "exactly one of function or integration"),
    ],
)
def test_invalid_routes_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Route(**kwargs)
