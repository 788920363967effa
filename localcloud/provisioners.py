"""One creator per Pulumi resource type the catalog uses: Pulumi inputs in, boto3 calls against
the target endpoint, the provider's outputs (real ids, ARNs, URLs) back.

Each creator takes the :class:`Cloud` (clients, account, region, autonaming), the resource's
logical name and its normalised inputs (camelCase, as the SDK sends them), and returns
``(physical_id, outputs)``. Outputs start from the inputs, like the provider's state does.
"""

from __future__ import annotations

import json
import re
import secrets
import threading
import time
from collections.abc import Callable
from typing import Any

import boto3
from botocore.config import Config

from localcloud.inputs import archive_zip_bytes

Creator = Callable[["Cloud", str, dict], tuple[str, dict]]
CREATORS: dict[str, Creator] = {}

LAMBDA_INVOKE_URI = re.compile(
    r"^arn:aws[\w-]*:apigateway:[\w-]+:lambda:path/2015-03-31/functions/"
    r"arn:aws[\w-]*:lambda:[\w-]+:\d{12}:function:[\w-]+(:[\w$-]+)?/invocations$"
)


def creates(type_token: str) -> Callable[[Creator], Creator]:
    def register(fn: Creator) -> Creator:
        CREATORS[type_token] = fn
        return fn

    return register


class Cloud:
    """boto3 clients for one endpoint, shared by the engine's registration threads."""

    def __init__(self, endpoint: str, region: str = "us-east-1") -> None:
        self.endpoint = endpoint.rstrip("/")
        self.region = region
        self._session = boto3.session.Session(
            aws_access_key_id="test", aws_secret_access_key="test", region_name=region
        )
        self._config = Config(retries={"max_attempts": 2, "mode": "standard"}, connect_timeout=5)
        self._clients: dict[str, Any] = {}
        self._lock = threading.Lock()
        self._account: str | None = None

    def client(self, service: str) -> Any:
        with self._lock:
            if service not in self._clients:
                self._clients[service] = self._session.client(
                    service, endpoint_url=self.endpoint, config=self._config
                )
            return self._clients[service]

    @property
    def account(self) -> str:
        if self._account is None:
            self._account = self.client("sts").get_caller_identity()["Account"]
        return self._account

    @staticmethod
    def autoname(name: str, max_len: int = 64, suffix: str = "") -> str:
        """Logical name + '-' + 7 random hex characters, like the provider's autonaming."""
        random_part = "-" + secrets.token_hex(4)[:7]
        return name[: max_len - len(random_part) - len(suffix)] + random_part + suffix

    def execute_api_url(self, api_id: str, stage: str) -> str:
        return f"{self.endpoint}/_aws/execute-api/{api_id}/{stage}"


def _tags(inputs: dict) -> dict[str, str]:
    return dict(inputs.get("tags") or {})


# --------------------------------------------------------------------------- DynamoDB


@creates("aws:dynamodb/table:Table")
def dynamodb_table(cloud: Cloud, name: str, inputs: dict) -> tuple[str, dict]:
    table_name = inputs.get("name") or cloud.autoname(name, 255)
    billing = inputs.get("billingMode", "PROVISIONED")
    key_schema = [{"AttributeName": inputs["hashKey"], "KeyType": "HASH"}]
    if inputs.get("rangeKey"):
        key_schema.append({"AttributeName": inputs["rangeKey"], "KeyType": "RANGE"})
    request: dict[str, Any] = {
        "TableName": table_name,
        "AttributeDefinitions": [
            {"AttributeName": a["name"], "AttributeType": a["type"]} for a in inputs.get("attributes", [])
        ],
        "KeySchema": key_schema,
        "BillingMode": billing,
    }
    throughput = {
        "ReadCapacityUnits": inputs.get("readCapacity") or 5,
        "WriteCapacityUnits": inputs.get("writeCapacity") or 5,
    }
    if billing == "PROVISIONED":
        request["ProvisionedThroughput"] = throughput
    gsis = []
    for gsi in inputs.get("globalSecondaryIndexes") or []:
        schema = [{"AttributeName": gsi["hashKey"], "KeyType": "HASH"}]
        if gsi.get("rangeKey"):
            schema.append({"AttributeName": gsi["rangeKey"], "KeyType": "RANGE"})
        projection: dict[str, Any] = {"ProjectionType": gsi["projectionType"]}
        if gsi.get("nonKeyAttributes"):
            projection["NonKeyAttributes"] = gsi["nonKeyAttributes"]
        index = {"IndexName": gsi["name"], "KeySchema": schema, "Projection": projection}
        if billing == "PROVISIONED":
            index["ProvisionedThroughput"] = throughput
        gsis.append(index)
    if gsis:
        request["GlobalSecondaryIndexes"] = gsis
    if inputs.get("streamEnabled"):
        request["StreamSpecification"] = {
            "StreamEnabled": True,
            "StreamViewType": inputs.get("streamViewType", "NEW_AND_OLD_IMAGES"),
        }
    if _tags(inputs):
        request["Tags"] = [{"Key": k, "Value": v} for k, v in _tags(inputs).items()]
    ddb = cloud.client("dynamodb")
    table = ddb.create_table(**request)["TableDescription"]
    ttl = inputs.get("ttl") or {}
    if ttl.get("enabled") and ttl.get("attributeName"):
        ddb.update_time_to_live(
            TableName=table_name,
            TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl["attributeName"]},
        )
    outputs = {**inputs, "name": table_name, "arn": table["TableArn"]}
    if table.get("LatestStreamArn"):
        outputs["streamArn"] = table["LatestStreamArn"]
        outputs["streamLabel"] = table.get("LatestStreamLabel", "")
    return table_name, outputs


# --------------------------------------------------------------------------- IAM


@creates("aws:iam/role:Role")
def iam_role(cloud: Cloud, name: str, inputs: dict) -> tuple[str, dict]:
    role_name = inputs.get("name") or cloud.autoname(name, 64)
    request: dict[str, Any] = {
        "RoleName": role_name,
        "AssumeRolePolicyDocument": _policy_json(inputs["assumeRolePolicy"]),
        "Path": inputs.get("path", "/"),
    }
    if inputs.get("description"):
        request["Description"] = inputs["description"]
    role = cloud.client("iam").create_role(**request)["Role"]
    return role_name, {**inputs, "name": role_name, "arn": role["Arn"], "uniqueId": role["RoleId"]}


@creates("aws:iam/rolePolicy:RolePolicy")
def iam_role_policy(cloud: Cloud, name: str, inputs: dict) -> tuple[str, dict]:
    policy_name = inputs.get("name") or cloud.autoname(name, 128)
    role = inputs["role"]
    cloud.client("iam").put_role_policy(
        RoleName=role, PolicyName=policy_name, PolicyDocument=_policy_json(inputs["policy"])
    )
    return f"{role}:{policy_name}", {**inputs, "name": policy_name}


def _policy_json(policy: Any) -> str:
    document = json.loads(policy) if isinstance(policy, str) else policy
    if not isinstance(document, dict) or "Statement" not in document:
        raise ValueError("an IAM policy document needs a Statement list")
    return json.dumps(document)


# --------------------------------------------------------------------------- Lambda


@creates("aws:lambda/layerVersion:LayerVersion")
def lambda_layer_version(cloud: Cloud, name: str, inputs: dict) -> tuple[str, dict]:
    layer_name = inputs["layerName"]
    request: dict[str, Any] = {"LayerName": layer_name, "Content": {"ZipFile": archive_zip_bytes(inputs["code"])}}
    if inputs.get("compatibleRuntimes"):
        request["CompatibleRuntimes"] = inputs["compatibleRuntimes"]
    if inputs.get("description"):
        request["Description"] = inputs["description"]
    layer = cloud.client("lambda").publish_layer_version(**request)
    outputs = {
        **inputs,
        "arn": layer["LayerVersionArn"],
        "layerArn": layer["LayerArn"],
        "version": str(layer["Version"]),
    }
    return layer["LayerVersionArn"], outputs


@creates("aws:lambda/function:Function")
def lambda_function(cloud: Cloud, name: str, inputs: dict) -> tuple[str, dict]:
    function_name = inputs.get("name") or cloud.autoname(name, 64)
    request: dict[str, Any] = {
        "FunctionName": function_name,
        "Role": inputs["role"],
        "Runtime": inputs.get("runtime", "python3.12"),
        "Handler": inputs["handler"],
        "Code": {"ZipFile": archive_zip_bytes(inputs["code"])},
        "Timeout": inputs.get("timeout", 3),
        "MemorySize": inputs.get("memorySize", 128),
        "Publish": bool(inputs.get("publish", False)),
    }
    if inputs.get("layers"):
        request["Layers"] = inputs["layers"]
    if inputs.get("environment", {}).get("variables"):
        request["Environment"] = {"Variables": {k: str(v) for k, v in inputs["environment"]["variables"].items()}}
    if inputs.get("deadLetterConfig", {}).get("targetArn"):
        request["DeadLetterConfig"] = {"TargetArn": inputs["deadLetterConfig"]["targetArn"]}
    if inputs.get("description"):
        request["Description"] = inputs["description"]
    if _tags(inputs):
        request["Tags"] = _tags(inputs)
    client = cloud.client("lambda")
    fn = _retry_iam_propagation(lambda: client.create_function(**request))
    if inputs.get("reservedConcurrentExecutions", -1) >= 0:
        client.put_function_concurrency(
            FunctionName=function_name,
            ReservedConcurrentExecutions=inputs["reservedConcurrentExecutions"],
        )
    arn = fn["FunctionArn"]
    outputs = {
        **inputs,
        "name": function_name,
        "arn": arn,
        "qualifiedArn": f"{arn}:{fn.get('Version', '$LATEST')}",
        "version": fn.get("Version", "$LATEST"),
        "invokeArn": lambda_invoke_arn(cloud.region, arn),
    }
    return function_name, outputs


def lambda_invoke_arn(region: str, function_arn: str) -> str:
    """The ARN API Gateway calls to invoke a function (computed by the provider on AWS)."""
    partition = function_arn.split(":")[1]
    return f"arn:{partition}:apigateway:{region}:lambda:path/2015-03-31/functions/{function_arn}/invocations"


def _retry_iam_propagation(call: Callable[[], dict], attempts: int = 10) -> dict:
    """A just-created role may not be assumable yet on AWS; the provider retries, so do we."""
    for attempt in range(attempts):
        try:
            return call()
        except Exception as exc:  # botocore ClientError; narrowed by message
            if "cannot be assumed" not in str(exc) or attempt == attempts - 1:
                raise
            time.sleep(min(2**attempt * 0.2, 5))
    raise AssertionError("unreachable")


@creates("aws:lambda/permission:Permission")
def lambda_permission(cloud: Cloud, name: str, inputs: dict) -> tuple[str, dict]:
    statement_id = inputs.get("statementId") or cloud.autoname(name, 100)
    request = {
        "FunctionName": inputs["function"],
        "StatementId": statement_id,
        "Action": inputs["action"],
        "Principal": inputs["principal"],
    }
    if inputs.get("sourceArn"):
        request["SourceArn"] = inputs["sourceArn"]
    if inputs.get("sourceAccount"):
        request["SourceAccount"] = inputs["sourceAccount"]
    cloud.client("lambda").add_permission(**request)
    return statement_id, {**inputs, "statementId": statement_id}


# --------------------------------------------------------------------------- API Gateway (REST, v1)


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
    cloud.client("apigateway").put_method(**request)
    return f"agm-{inputs['restApi']}-{inputs['resourceId']}-{inputs['httpMethod']}", inputs


@creates("aws:apigateway/integration:Integration")
def rest_integration(cloud: Cloud, name: str, inputs: dict) -> tuple[str, dict]:
    kind = inputs["type"]
    if kind in ("AWS_PROXY", "AWS"):
        if inputs.get("integrationHttpMethod") != "POST":
            raise ValueError(
                f"integration {name!r}: type {kind} needs integrationHttpMethod 'POST' "
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
