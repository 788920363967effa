"""API Gateway REST APIs (v1): APIs, resources, methods, integrations, deployments, stages."""

from __future__ import annotations

import re
from typing import Any

from localcloud.provisioners.base import Cloud, creates

LAMBDA_INVOKE_URI = re.compile(
    r"^arn:aws[\w-]*:apigateway:[\w-]+:lambda:path/2015-03-31/functions/"
    r"arn:aws[\w-]*:lambda:[\w-]+:\d{12}:function:[\w-]+(:[\w$-]+)?/invocations$"
)

@creates("aws:apigateway/restApi:RestApi")
def rest_api(cloud: Cloud, name: str, inputs: dict) -> tuple[str, dict]:
    request: dict[str, Any] = {"name": inputs.get("name") or cloud.autoname(name, 255)}
    if inputs.get("description"):
        request["description"] = inputs["description"]
    if inputs.get("binaryMediaTypes"):
        request["binaryMediaTypes"] = inputs["binaryMediaTypes"]
    if inputs.get("apiKeySource"):
        request["apiKeySource"] = inputs["apiKeySource"]
    client = cloud.client("apigateway")
    api = client.create_rest_api(**request)
    root_id = next(r["id"] for r in client.get_resources(restApiId=api["id"])["items"] if r["path"] == "/")
    outputs = {
        **inputs,
        "name": request["name"],
        "rootResourceId": root_id,
        "executionArn": f"arn:aws:execute-api:{cloud.region}:{cloud.account}:{api['id']}",
        "arn": f"arn:aws:apigateway:{cloud.region}::/restapis/{api['id']}",
    }
    return api["id"], outputs


@creates("aws:apigateway/resource:Resource")
def rest_resource(cloud: Cloud, name: str, inputs: dict) -> tuple[str, dict]:
    resource = cloud.client("apigateway").create_resource(
        restApiId=inputs["restApi"], parentId=inputs["parentId"], pathPart=inputs["pathPart"]
    )
    return resource["id"], {**inputs, "path": resource["path"]}


@creates("aws:apigateway/method:Method")
def rest_method(cloud: Cloud, name: str, inputs: dict) -> tuple[str, dict]:
    request: dict[str, Any] = {
        "restApiId": inputs["restApi"],
        "resourceId": inputs["resourceId"],
        "httpMethod": inputs["httpMethod"],
        "authorizationType": inputs.get("authorization", "NONE"),
        "apiKeyRequired": bool(inputs.get("apiKeyRequired", False)),
    }
    if inputs.get("authorizerId"):
        request["authorizerId"] = inputs["authorizerId"]
    if inputs.get("requestParameters"):
        request["requestParameters"] = inputs["requestParameters"]
    if inputs.get("requestModels"):
        request["requestModels"] = inputs["requestModels"]
    if inputs.get("requestValidatorId"):
        request["requestValidatorId"] = inputs["requestValidatorId"]
    cloud.client("apigateway").put_method(**request)
    return f"agm-{inputs['restApi']}-{inputs['resourceId']}-{inputs['httpMethod']}", inputs


@creates("aws:apigateway/integration:Integration")
def rest_integration(cloud: Cloud, name: str, inputs: dict) -> tuple[str, dict]:
    kind = inputs["type"]
    if kind == "AWS_PROXY" or (kind == "AWS" and ":lambda:path/" in inputs.get("uri", "")):
        if inputs.get("integrationHttpMethod") != "POST":
            raise ValueError(
                f"integration {name!r}: a Lambda integration ({kind}) needs integrationHttpMethod 'POST' "
                f"(got {inputs.get('integrationHttpMethod')!r}); AWS rejects anything else"
            )
    if kind == "AWS_PROXY" and not LAMBDA_INVOKE_URI.match(inputs.get("uri", "")):
        raise ValueError(
            f"integration {name!r}: an AWS_PROXY uri must be a Lambda invoke ARN "
            f"(arn:aws:apigateway:<region>:lambda:path/2015-03-31/functions/<function arn>/invocations), "
            f"got {inputs.get('uri')!r}"
        )
    request: dict[str, Any] = {
        "restApiId": inputs["restApi"],
        "resourceId": inputs["resourceId"],
        "httpMethod": inputs["httpMethod"],
        "type": kind,
    }
    optional = {
        "integrationHttpMethod": "integrationHttpMethod",
        "uri": "uri",
        "credentials": "credentials",
        "requestTemplates": "requestTemplates",
        "requestParameters": "requestParameters",
        "passthroughBehavior": "passthroughBehavior",
        "contentHandling": "contentHandling",
        "timeoutMilliseconds": "timeoutInMillis",
    }
    for source, target in optional.items():
        if inputs.get(source) not in (None, "", {}):
            request[target] = inputs[source]
    cloud.client("apigateway").put_integration(**request)
    return f"agi-{inputs['restApi']}-{inputs['resourceId']}-{inputs['httpMethod']}", inputs


@creates("aws:apigateway/deployment:Deployment")
def rest_deployment(cloud: Cloud, name: str, inputs: dict) -> tuple[str, dict]:
    request: dict[str, Any] = {"restApiId": inputs["restApi"]}
    if inputs.get("description"):
        request["description"] = inputs["description"]
    deployment = cloud.client("apigateway").create_deployment(**request)
    return deployment["id"], {**inputs, "createdDate": str(deployment.get("createdDate", ""))}


@creates("aws:apigateway/stage:Stage")
def rest_stage(cloud: Cloud, name: str, inputs: dict) -> tuple[str, dict]:
    api_id, stage_name = inputs["restApi"], inputs["stageName"]
    request: dict[str, Any] = {"restApiId": api_id, "stageName": stage_name, "deploymentId": inputs["deployment"]}
    if inputs.get("variables"):
        request["variables"] = inputs["variables"]
    cloud.client("apigateway").create_stage(**request)
    outputs = {
        **inputs,
        "invokeUrl": cloud.execute_api_url(api_id, stage_name),
        "executionArn": f"arn:aws:execute-api:{cloud.region}:{cloud.account}:{api_id}/{stage_name}",
        "arn": f"arn:aws:apigateway:{cloud.region}::/restapis/{api_id}/stages/{stage_name}",
    }
    return f"ags-{api_id}-{stage_name}", outputs


@creates("aws:apigateway/methodResponse:MethodResponse")
def rest_method_response(cloud: Cloud, name: str, inputs: dict) -> tuple[str, dict]:
    request: dict[str, Any] = {
        "restApiId": inputs["restApi"],
        "resourceId": inputs["resourceId"],
        "httpMethod": inputs["httpMethod"],
        "statusCode": inputs["statusCode"],
    }
    if inputs.get("responseModels"):
        request["responseModels"] = inputs["responseModels"]
    if inputs.get("responseParameters"):
        request["responseParameters"] = inputs["responseParameters"]
    cloud.client("apigateway").put_method_response(**request)
    key = f"{inputs['restApi']}-{inputs['resourceId']}-{inputs['httpMethod']}-{inputs['statusCode']}"
    return f"agmr-{key}", inputs


@creates("aws:apigateway/integrationResponse:IntegrationResponse")
def rest_integration_response(cloud: Cloud, name: str, inputs: dict) -> tuple[str, dict]:
    request: dict[str, Any] = {
        "restApiId": inputs["restApi"],
        "resourceId": inputs["resourceId"],
        "httpMethod": inputs["httpMethod"],
        "statusCode": inputs["statusCode"],
    }
    for source in ("selectionPattern", "responseTemplates", "responseParameters", "contentHandling"):
        if inputs.get(source) not in (None, "", {}):
            request[source] = inputs[source]
    cloud.client("apigateway").put_integration_response(**request)
    key = f"{inputs['restApi']}-{inputs['resourceId']}-{inputs['httpMethod']}-{inputs['statusCode']}"
    return f"agir-{key}", inputs


@creates("aws:apigateway/response:Response")
def rest_gateway_response(cloud: Cloud, name: str, inputs: dict) -> tuple[str, dict]:
    request: dict[str, Any] = {"restApiId": inputs["restApiId"], "responseType": inputs["responseType"]}
    for source in ("statusCode", "responseTemplates", "responseParameters"):
        if inputs.get(source) not in (None, "", {}):
            request[source] = inputs[source]
    cloud.client("apigateway").put_gateway_response(**request)
    return f"aggr-{inputs['restApiId']}-{inputs['responseType']}", inputs


@creates("aws:apigateway/authorizer:Authorizer")
def rest_authorizer(cloud: Cloud, name: str, inputs: dict) -> tuple[str, dict]:
    request: dict[str, Any] = {
        "restApiId": inputs["restApi"],
        "name": inputs.get("name") or cloud.autoname(name, 128),
        "type": inputs.get("type", "TOKEN"),
        "authorizerUri": inputs["authorizerUri"],
        "identitySource": inputs.get("identitySource", "method.request.header.Authorization"),
        "authorizerResultTtlInSeconds": int(inputs.get("authorizerResultTtlInSeconds", 300)),
    }
    if inputs.get("authorizerCredentials"):
        request["authorizerCredentials"] = inputs["authorizerCredentials"]
    authorizer = cloud.client("apigateway").create_authorizer(**request)
    return authorizer["id"], {**inputs, "name": request["name"]}


@creates("aws:apigateway/usagePlan:UsagePlan")
def usage_plan(cloud: Cloud, name: str, inputs: dict) -> tuple[str, dict]:
    request: dict[str, Any] = {
        "name": inputs.get("name") or cloud.autoname(name, 128),
        "apiStages": [{"apiId": s["apiId"], "stage": s["stage"]} for s in inputs.get("apiStages") or []],
    }
    throttle = inputs.get("throttleSettings") or {}
    if throttle:
        request["throttle"] = {k: (float(v) if k == "rateLimit" else int(v)) for k, v in throttle.items()
                               if k in ("rateLimit", "burstLimit")}
    quota = inputs.get("quotaSettings") or {}
    if quota:
        request["quota"] = {"limit": int(quota["limit"]), "period": quota["period"],
                            "offset": int(quota.get("offset", 0))}
    plan = cloud.client("apigateway").create_usage_plan(**request)
    return plan["id"], {**inputs, "name": request["name"],
                        "arn": f"arn:aws:apigateway:{cloud.region}::/usageplans/{plan['id']}"}


@creates("aws:apigateway/apiKey:ApiKey")
def api_key(cloud: Cloud, name: str, inputs: dict) -> tuple[str, dict]:
    request: dict[str, Any] = {"name": inputs.get("name") or cloud.autoname(name, 128),
                               "enabled": bool(inputs.get("enabled", True))}
    if inputs.get("value"):
        request["value"] = inputs["value"]
    key = cloud.client("apigateway").create_api_key(**request)
    return key["id"], {**inputs, "name": request["name"], "value": key.get("value"),
                       "arn": f"arn:aws:apigateway:{cloud.region}::/apikeys/{key['id']}"}


@creates("aws:apigateway/usagePlanKey:UsagePlanKey")
def usage_plan_key(cloud: Cloud, name: str, inputs: dict) -> tuple[str, dict]:
    cloud.client("apigateway").create_usage_plan_key(
        usagePlanId=inputs["usagePlanId"], keyId=inputs["keyId"], keyType=inputs.get("keyType", "API_KEY"))
    return inputs["keyId"], inputs


@creates("aws:apigateway/model:Model")
def rest_model(cloud: Cloud, name: str, inputs: dict) -> tuple[str, dict]:
    request: dict[str, Any] = {"restApiId": inputs["restApi"], "name": inputs.get("name") or cloud.autoname(name, 60),
                               "contentType": inputs.get("contentType", "application/json")}
    if inputs.get("schema"):
        request["schema"] = inputs["schema"]
    if inputs.get("description"):
        request["description"] = inputs["description"]
    model = cloud.client("apigateway").create_model(**request)
    return model["id"], {**inputs, "name": request["name"]}


@creates("aws:apigateway/requestValidator:RequestValidator")
def rest_request_validator(cloud: Cloud, name: str, inputs: dict) -> tuple[str, dict]:
    validator = cloud.client("apigateway").create_request_validator(
        restApiId=inputs["restApi"], name=inputs.get("name") or cloud.autoname(name, 60),
        validateRequestBody=bool(inputs.get("validateRequestBody", False)),
        validateRequestParameters=bool(inputs.get("validateRequestParameters", False)))
    return validator["id"], inputs
