"""API Gateway v2 WebSocket types the local engine creates: an API, Lambda proxy integrations, a
REQUEST authorizer on $connect, routes with a route response, a deployment and a stage."""

import pulumi
import pulumi_aws as aws

from components.core import iam

role = aws.iam.Role("ws-role", assume_role_policy=iam.LAMBDA_ASSUME_ROLE)


def function(name: str, source: str) -> aws.lambda_.Function:
    return aws.lambda_.Function(
        name, role=role.arn, runtime="python3.12", handler="main.handler", timeout=5,
        code=pulumi.AssetArchive({"main.py": pulumi.StringAsset(source)}))


echo = function("ws-echo", (
    "import json\n"
    "def handler(event, context):\n"
    "    if event['requestContext']['routeKey'] in ('$connect', '$disconnect'):\n"
    "        return {'statusCode': 200}\n"
    "    return {'statusCode': 200, 'body': json.dumps({'route': event['requestContext']['routeKey'],"
    " 'got': event.get('body'), 'who': event['requestContext'].get('authorizer', {}).get('who')})}\n"))
gate = function("ws-gate", (
    "def handler(event, context):\n"
    "    ok = (event.get('queryStringParameters') or {}).get('key') == 'let-me-in'\n"
    "    return {'principalId': 'tester', 'context': {'who': 'tester'}, 'policyDocument': {'Version': '2012-10-17',"
    " 'Statement': [{'Action': 'execute-api:Invoke', 'Effect': 'Allow' if ok else 'Deny',"
    " 'Resource': event['methodArn']}]}}\n"))
api = aws.apigatewayv2.Api("sockets", protocol_type="WEBSOCKET", route_selection_expression="$request.body.action",
                           description="engine test")
integration = aws.apigatewayv2.Integration("echo-integration", api_id=api.id, integration_type="AWS_PROXY",
                                           integration_method="POST", integration_uri=echo.invoke_arn)
authorizer = aws.apigatewayv2.Authorizer("gate", api_id=api.id, authorizer_type="REQUEST",
                                         authorizer_uri=gate.invoke_arn,
                                         identity_sources=["route.request.querystring.key"])
target = integration.id.apply(lambda i: f"integrations/{i}")
connect = aws.apigatewayv2.Route("connect", api_id=api.id, route_key="$connect", target=target,
                                 authorization_type="CUSTOM", authorizer_id=authorizer.id)
say = aws.apigatewayv2.Route("say", api_id=api.id, route_key="say", target=target,
                             route_response_selection_expression="$default")
reply = aws.apigatewayv2.RouteResponse("say-reply", api_id=api.id, route_id=say.id, route_response_key="$default")
deployment = aws.apigatewayv2.Deployment("sockets-deployment", api_id=api.id,
                                         opts=pulumi.ResourceOptions(depends_on=[connect, say, reply]))
stage = aws.apigatewayv2.Stage("sockets-stage", api_id=api.id, name="live", deployment_id=deployment.id,
                               default_route_settings=aws.apigatewayv2.StageDefaultRouteSettingsArgs(
                                   throttling_burst_limit=50, throttling_rate_limit=25.5))
pulumi.export("api", {"id": api.id, "endpoint": api.api_endpoint, "execution_arn": api.execution_arn,
                      "authorizer_id": authorizer.id, "integration_id": integration.id, "say_route_id": say.id})
pulumi.export("stage", {"url": stage.invoke_url, "execution_arn": stage.execution_arn, "id": stage.id})
