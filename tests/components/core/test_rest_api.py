import pulumi
import pytest

from components.core.auth import ApiKeyAuth, IamAuth, LambdaAuthorizer, Public
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
    assert all(m.inputs["authorization"] == "AWS_IAM" for m in methods)  # authenticated unless told otherwise
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


def test_a_route_may_choose_another_authorization_than_the_api(build):
    fn = FakeFunction("items")
    authorizer_fn = FakeFunction("gate")
    gate = LambdaAuthorizer(function=authorizer_fn, kind="REQUEST", identity_source="method.request.header.X-Tenant")
    mocks = build(lambda: RestApi("mixed", RestApiArgs(routes=[
        Route("GET", "/iam", fn),
        Route("GET", "/open", fn, auth=Public("health checks carry no data and change nothing")),
        Route("GET", "/custom", fn, auth=gate),
        Route("POST", "/custom", fn, auth=gate),
        Route("GET", "/keyed", fn, auth=ApiKeyAuth(keys=("partner",), rate_limit=5, burst_limit=10, quota_limit=1000)),
    ], auth=IamAuth())))
    by_index = sorted(mocks.of_type("aws:apigateway/method:Method"), key=lambda m: int(m.name.split("-")[2]))
    assert [m.inputs["authorization"] for m in by_index] == ["AWS_IAM", "NONE", "CUSTOM", "CUSTOM", "NONE"]
    assert [m.inputs.get("apiKeyRequired", False) for m in by_index] == [False, False, False, False, True]
    authorizer = mocks.one("aws:apigateway/authorizer:Authorizer")  # one per LambdaAuthorizer, shared
    assert authorizer.inputs["type"] == "REQUEST"
    assert authorizer.inputs["identitySource"] == "method.request.header.X-Tenant"
    assert authorizer.inputs["authorizerResultTtlInSeconds"] == 0
    assert authorizer.inputs["authorizerUri"].endswith("function:gate/invocations")
    custom = [m for m in by_index if m.inputs["authorization"] == "CUSTOM"]
    assert {m.inputs["authorizerId"] for m in custom} == {"mixed-authorizer-0-id"}
    permissions = mocks.of_type("aws:lambda/permission:Permission")
    gate_permission = [p.inputs for p in permissions if "gate" in p.inputs["function"]]
    assert [p["sourceArn"].split(":")[-1] for p in gate_permission] == ["mixed-id/authorizers/*"]
    plan = mocks.one("aws:apigateway/usagePlan:UsagePlan").inputs
    assert plan["throttleSettings"] == {"rateLimit": 5, "burstLimit": 10}
    assert plan["quotaSettings"] == {"limit": 1000, "period": "DAY"}
    assert plan["apiStages"] == [{"apiId": "mixed-id", "stage": "api"}]
    assert mocks.one("aws:apigateway/usagePlanKey:UsagePlanKey").inputs["keyId"] == "mixed-key-partner-id"


@pytest.mark.parametrize(("make", "message"), [
    (lambda: Public("ok"), r"Public\.reason must say why"),
    (lambda: ApiKeyAuth(keys=()), r"ApiKeyAuth\.keys must name at least one key"),
    (lambda: ApiKeyAuth(quota_limit=0), r"ApiKeyAuth\.quota_limit"),
    (lambda: LambdaAuthorizer(function=FakeFunction("f"), result_ttl_seconds=-1), r"LambdaAuthorizer\.result_ttl"),
    (lambda: RestApiArgs(routes=[Route("GET", "/a", FakeFunction("f"))], auth="none"), r"RestApiArgs\.auth must be"),
    (lambda: Route("GET", "/a", FakeFunction("f"), auth="none"), "auth must be IamAuth"),
])
def test_authorization_choices_refuse_nonsense(make, message):
    with pytest.raises(ValueError, match=message):
        make()
