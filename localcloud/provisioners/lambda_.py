"""Lambda functions, layers and permissions."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from localcloud.inputs import archive_zip_bytes
from localcloud.provisioners.base import Cloud, creates, tags


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
    if tags(inputs):
        request["Tags"] = tags(inputs)
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


def _retry_iam_propagation(call: Callable[[], dict], attempts: int = 10, marker: str = "cannot be assumed") -> dict:
    """A just-created role may not be assumable yet on AWS; the provider retries, so do we.

    ``marker``: the text of the service's "role not assumable yet" error.
    """
    for attempt in range(attempts):
        try:
            return call()
        except Exception as exc:  # botocore ClientError; narrowed by message
            if marker not in str(exc) or attempt == attempts - 1:
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


@creates("aws:lambda/eventSourceMapping:EventSourceMapping")
def lambda_event_source_mapping(cloud: Cloud, name: str, inputs: dict) -> tuple[str, dict]:
    request: dict[str, Any] = {
        "FunctionName": inputs["functionName"],
        "EventSourceArn": inputs["eventSourceArn"],
        "Enabled": bool(inputs.get("enabled", True)),
    }
    simple = {
        "batchSize": "BatchSize",
        "functionResponseTypes": "FunctionResponseTypes",
        "startingPosition": "StartingPosition",
        "maximumBatchingWindowInSeconds": "MaximumBatchingWindowInSeconds",
        "maximumRetryAttempts": "MaximumRetryAttempts",
        "maximumRecordAgeInSeconds": "MaximumRecordAgeInSeconds",
        "bisectBatchOnFunctionError": "BisectBatchOnFunctionError",
        "parallelizationFactor": "ParallelizationFactor",
    }
    for source, target in simple.items():
        if inputs.get(source) not in (None, [], ""):
            request[target] = inputs[source]
    if inputs.get("filterCriteria", {}).get("filters"):
        filters = inputs["filterCriteria"]["filters"]
        request["FilterCriteria"] = {"Filters": [{"Pattern": f["pattern"]} for f in filters]}
    if inputs.get("scalingConfig", {}).get("maximumConcurrency"):
        request["ScalingConfig"] = {"MaximumConcurrency": inputs["scalingConfig"]["maximumConcurrency"]}
    on_failure = inputs.get("destinationConfig", {}).get("onFailure", {}).get("destinationArn")
    if on_failure:
        request["DestinationConfig"] = {"OnFailure": {"Destination": on_failure}}
    mapping = cloud.client("lambda").create_event_source_mapping(**request)
    return mapping["UUID"], {**inputs, "uuid": mapping["UUID"], "functionArn": mapping.get("FunctionArn", "")}
