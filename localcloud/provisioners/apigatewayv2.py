"""API Gateway v2 WebSocket APIs: APIs, Lambda proxy integrations, routes (``$connect`` with a REQUEST
authorizer), route responses, deployments and stages.

The provider computes ``apiEndpoint`` / ``executionArn`` (API) and ``invokeUrl`` / ``executionArn``
(stage); so does this module. The URLs name what this process can reach on the emulator
(``ws://<endpoint>/_aws/execute-api/<api>/<stage>``), as the REST stage's ``invokeUrl`` does.
"""

from __future__ import annotations

from typing import Any

from localcloud.provisioners.apigateway import LAMBDA_INVOKE_URI
from localcloud.provisioners.base import Cloud, creates, tags

PROTOCOLS = ("WEBSOCKET", "HTTP")


def _websocket_base(cloud: Cloud) -> str:
    """The emulator endpoint with a WebSocket scheme (``http`` -> ``ws``, ``https`` -> ``wss``)."""
    scheme, rest = cloud.endpoint.split("://", 1)
    return f"{'wss' if scheme == 'https' else 'ws'}://{rest}"


def _execution_arn(cloud: Cloud, api_id: str) -> str:
    return f"arn:aws:execute-api:{cloud.region}:{cloud.account}:{api_id}"


def _optional(inputs: dict, names: dict[str, str]) -> dict[str, Any]:
    """The request fields (``names``: input -> API field) of the inputs that are set."""
    return {target: inputs[source] for source, target in names.items() if inputs.get(source) not in (None, "", {}, [])}


@creates("aws:apigatewayv2/api:Api")
def api(cloud: Cloud, name: str, inputs: dict) -> tuple[str, dict]:
    protocol = inputs.get("protocolType")
    if protocol not in PROTOCOLS:
        raise ValueError(f"api {name!r}: protocolType must be one of {PROTOCOLS}, got {protocol!r}")
    if protocol == "WEBSOCKET" and not inputs.get("routeSelectionExpression"):
        raise ValueError(f"api {name!r}: a WEBSOCKET API needs a routeSelectionExpression (AWS requires one)")
    request: dict[str, Any] = {"Name": inputs.get("name") or cloud.autoname(name, 128), "ProtocolType": protocol}
    request.update(_optional(inputs, {"routeSelectionExpression": "RouteSelectionExpression",
                                      "apiKeySelectionExpression": "ApiKeySelectionExpression",
                                      "description": "Description"}))
    if tags(inputs):
        request["Tags"] = tags(inputs)
    created = cloud.client("apigatewayv2").create_api(**request)
    api_id = created["ApiId"]
    endpoint = f"{_websocket_base(cloud)}/_aws/execute-api/{api_id}" if protocol == "WEBSOCKET" else \
        f"{cloud.endpoint}/_aws/execute-api/{api_id}"
    return api_id, {**inputs, "name": request["Name"], "apiEndpoint": endpoint,
                    "executionArn": _execution_arn(cloud, api_id),
                    "arn": f"arn:aws:apigateway:{cloud.region}::/apis/{api_id}"}


@creates("aws:apigatewayv2/integration:Integration")
def integration(cloud: Cloud, name: str, inputs: dict) -> tuple[str, dict]:
    kind = inputs.get("integrationType")
    if kind == "AWS_PROXY" and not LAMBDA_INVOKE_URI.match(inputs.get("integrationUri", "")):
        raise ValueError(
            f"integration {name!r}: an AWS_PROXY integrationUri must be a Lambda invoke ARN "
            f"(arn:aws:apigateway:<region>:lambda:path/2015-03-31/functions/<function arn>/invocations), "
            f"got {inputs.get('integrationUri')!r}")
    if kind in ("AWS_PROXY", "AWS") and inputs.get("integrationMethod", "POST") != "POST":
        raise ValueError(f"integration {name!r}: type {kind} needs integrationMethod 'POST' "
                         f"(got {inputs.get('integrationMethod')!r}); AWS rejects anything else")
    request: dict[str, Any] = {"ApiId": inputs["apiId"], "IntegrationType": kind}
    request.update(_optional(inputs, {
        "integrationUri": "IntegrationUri", "integrationMethod": "IntegrationMethod",
        "contentHandlingStrategy": "ContentHandlingStrategy", "credentialsArn": "CredentialsArn",
        "description": "Description", "passthroughBehavior": "PassthroughBehavior",
        "payloadFormatVersion": "PayloadFormatVersion", "requestTemplates": "RequestTemplates",
        "requestParameters": "RequestParameters", "templateSelectionExpression": "TemplateSelectionExpression"}))
    if inputs.get("timeoutMilliseconds"):
        request["TimeoutInMillis"] = int(inputs["timeoutMilliseconds"])
    created = cloud.client("apigatewayv2").create_integration(**request)
    return created["IntegrationId"], {**inputs, "integrationResponseSelectionExpression":
                                      created.get("IntegrationResponseSelectionExpression", "")}


@creates("aws:apigatewayv2/authorizer:Authorizer")
def authorizer(cloud: Cloud, name: str, inputs: dict) -> tuple[str, dict]:
    if inputs.get("authorizerType") == "REQUEST" and not LAMBDA_INVOKE_URI.match(inputs.get("authorizerUri", "")):
        raise ValueError(f"authorizer {name!r}: a REQUEST authorizerUri must be a Lambda invoke ARN, "
                         f"got {inputs.get('authorizerUri')!r}")
    request: dict[str, Any] = {"ApiId": inputs["apiId"], "AuthorizerType": inputs["authorizerType"],
                               "Name": inputs.get("name") or cloud.autoname(name, 128),
                               "IdentitySource": list(inputs.get("identitySources") or [])}
    request.update(_optional(inputs, {"authorizerUri": "AuthorizerUri",
                                      "authorizerCredentialsArn": "AuthorizerCredentialsArn",
                                      "authorizerPayloadFormatVersion": "AuthorizerPayloadFormatVersion",
                                      "identityValidationExpression": "IdentityValidationExpression"}))
    if inputs.get("authorizerResultTtlInSeconds") is not None:
        request["AuthorizerResultTtlInSeconds"] = int(inputs["authorizerResultTtlInSeconds"])
    created = cloud.client("apigatewayv2").create_authorizer(**request)
    return created["AuthorizerId"], {**inputs, "name": request["Name"]}


@creates("aws:apigatewayv2/route:Route")
def route(cloud: Cloud, name: str, inputs: dict) -> tuple[str, dict]:
    target = inputs.get("target") or ""
    if target and not target.startswith("integrations/"):
        raise ValueError(f"route {name!r}: target must be 'integrations/<integration id>', got {target!r}")
    request: dict[str, Any] = {"ApiId": inputs["apiId"], "RouteKey": inputs["routeKey"]}
    request.update(_optional(inputs, {
        "target": "Target", "authorizationType": "AuthorizationType", "authorizerId": "AuthorizerId",
        "routeResponseSelectionExpression": "RouteResponseSelectionExpression", "operationName": "OperationName",
        "modelSelectionExpression": "ModelSelectionExpression"}))
    if inputs.get("apiKeyRequired") is not None:
        request["ApiKeyRequired"] = bool(inputs["apiKeyRequired"])
    created = cloud.client("apigatewayv2").create_route(**request)
    return created["RouteId"], inputs


@creates("aws:apigatewayv2/routeResponse:RouteResponse")
def route_response(cloud: Cloud, name: str, inputs: dict) -> tuple[str, dict]:
    request: dict[str, Any] = {"ApiId": inputs["apiId"], "RouteId": inputs["routeId"],
                               "RouteResponseKey": inputs["routeResponseKey"]}
    request.update(_optional(inputs, {"modelSelectionExpression": "ModelSelectionExpression",
                                      "responseModels": "ResponseModels"}))
    created = cloud.client("apigatewayv2").create_route_response(**request)
    return created["RouteResponseId"], inputs


@creates("aws:apigatewayv2/deployment:Deployment")
def deployment(cloud: Cloud, name: str, inputs: dict) -> tuple[str, dict]:
    request: dict[str, Any] = {"ApiId": inputs["apiId"]}
    request.update(_optional(inputs, {"description": "Description"}))
    created = cloud.client("apigatewayv2").create_deployment(**request)
    return created["DeploymentId"], {**inputs, "autoDeployed": False}


@creates("aws:apigatewayv2/stage:Stage")
def stage(cloud: Cloud, name: str, inputs: dict) -> tuple[str, dict]:
    api_id, stage_name = inputs["apiId"], inputs["name"]
    request: dict[str, Any] = {"ApiId": api_id, "StageName": stage_name}
    request.update(_optional(inputs, {"deploymentId": "DeploymentId", "description": "Description",
                                      "stageVariables": "StageVariables"}))
    if inputs.get("autoDeploy") is not None:
        request["AutoDeploy"] = bool(inputs["autoDeploy"])
    settings = inputs.get("defaultRouteSettings") or {}
    if settings:
        request["DefaultRouteSettings"] = {
            key[0].upper() + key[1:]: (float(value) if key == "throttlingRateLimit" else
                                       int(value) if key == "throttlingBurstLimit" else value)
            for key, value in settings.items()}
    if tags(inputs):
        request["Tags"] = tags(inputs)
    cloud.client("apigatewayv2").create_stage(**request)
    protocol = cloud.client("apigatewayv2").get_api(ApiId=api_id)["ProtocolType"]
    base = _websocket_base(cloud) if protocol == "WEBSOCKET" else cloud.endpoint
    return stage_name, {**inputs, "invokeUrl": f"{base}/_aws/execute-api/{api_id}/{stage_name}",
                        "executionArn": f"{_execution_arn(cloud, api_id)}/{stage_name}",
                        "arn": f"arn:aws:apigateway:{cloud.region}::/apis/{api_id}/stages/{stage_name}"}
