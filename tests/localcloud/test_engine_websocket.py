"""The local engine's API Gateway v2 WebSocket creators: really created with their settings, with the
provider's computed outputs, and a real client reaching the routes through them."""

from __future__ import annotations

import asyncio
import json

import boto3
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from localcloud.deploy import DeployFailed, deploy
from tests.e2e.websockets.support import run
from tests.localcloud.conftest import write_program

pytestmark = pytest.mark.requires("apigateway-websocket")


@pytest.fixture(scope="module")
def out(deploy_program):
    return deploy_program("websocket_types")


def test_the_api_and_its_computed_outputs(out):
    client = boto3.client("apigatewayv2")
    api = client.get_api(ApiId=out["api"]["id"])
    assert (api["ProtocolType"], api["RouteSelectionExpression"], api["Description"]) == (
        "WEBSOCKET", "$request.body.action", "engine test")
    account = boto3.client("sts").get_caller_identity()["Account"]
    assert out["api"]["execution_arn"] == f"arn:aws:execute-api:us-east-1:{account}:{out['api']['id']}"
    assert out["stage"]["execution_arn"] == out["api"]["execution_arn"] + "/live"
    assert out["stage"]["url"].startswith("ws://") and out["stage"]["url"].endswith(
        f"/_aws/execute-api/{out['api']['id']}/live")
    assert out["stage"]["id"] == "live"


def test_routes_integration_authorizer_and_stage_settings(out):
    client = boto3.client("apigatewayv2")
    api_id = out["api"]["id"]
    routes = {r["RouteKey"]: r for r in client.get_routes(ApiId=api_id)["Items"]}
    assert routes["$connect"]["AuthorizationType"] == "CUSTOM"
    assert routes["$connect"]["AuthorizerId"] == out["api"]["authorizer_id"]
    assert routes["say"]["Target"] == f"integrations/{out['api']['integration_id']}"
    integration = client.get_integration(ApiId=api_id, IntegrationId=out["api"]["integration_id"])
    assert integration["IntegrationType"] == "AWS_PROXY" and integration["IntegrationUri"].endswith("/invocations")
    authorizer = client.get_authorizer(ApiId=api_id, AuthorizerId=out["api"]["authorizer_id"])
    assert authorizer["IdentitySource"] == ["route.request.querystring.key"]
    responses = client.get_route_responses(ApiId=api_id, RouteId=out["api"]["say_route_id"])["Items"]
    assert [r["RouteResponseKey"] for r in responses] == ["$default"]
    settings = client.get_stage(ApiId=api_id, StageName="live")["DefaultRouteSettings"]
    assert (settings["ThrottlingBurstLimit"], settings["ThrottlingRateLimit"]) == (50, 25.5)


def test_a_real_client_is_authorised_routed_and_answered(out):
    url = out["stage"]["url"]

    async def talk() -> tuple[int, dict]:
        with pytest.raises(InvalidStatus) as refused:
            async with connect(url + "?key=wrong", open_timeout=30):
                pass
        async with connect(url + "?key=let-me-in", open_timeout=30) as socket:
            await socket.send(json.dumps({"action": "say", "text": "hi"}))
            answer = json.loads(await asyncio.wait_for(socket.recv(), 30))
        return refused.value.response.status_code, answer

    status, answer = run(talk())
    assert status == 403
    assert answer == {"route": "say", "got": '{"action": "say", "text": "hi"}', "who": "tester"}


@pytest.mark.parametrize(("body", "message"), [
    ('aws.apigatewayv2.Api("a", protocol_type="WEBSOCKET")\n', "routeSelectionExpression"),
    ('api = aws.apigatewayv2.Api("a", protocol_type="WEBSOCKET", route_selection_expression="$request.body.a")\n'
     'aws.apigatewayv2.Integration("i", api_id=api.id, integration_type="AWS_PROXY", integration_uri="arn:nope")\n',
     "Lambda invoke ARN"),
])
def test_what_aws_would_refuse_is_refused_with_the_reason(tmp_path, cloud_target, body, message):
    with pytest.raises(DeployFailed, match=message):
        deploy(write_program(tmp_path, body), cloud_target, stack="engine-test", driver="engine")
