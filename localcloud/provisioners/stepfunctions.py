"""Step Functions state machines."""

from __future__ import annotations

import json
from typing import Any

from localcloud.provisioners.base import Cloud, creates, tags
from localcloud.provisioners.lambda_ import _retry_iam_propagation


@creates("aws:sfn/stateMachine:StateMachine")
def sfn_state_machine(cloud: Cloud, name: str, inputs: dict) -> tuple[str, dict]:
    machine_name = inputs.get("name") or cloud.autoname(name, 80)
    definition = inputs["definition"]
    json.loads(definition)  # a malformed definition fails here, naming the resource
    request: dict[str, Any] = {
        "name": machine_name,
        "definition": definition,
        "roleArn": inputs["roleArn"],
        "type": inputs.get("type") or "STANDARD",
    }
    logging = inputs.get("loggingConfiguration") or {}
    if logging.get("logDestination"):
        request["loggingConfiguration"] = {
            "level": logging.get("level", "OFF"),
            "includeExecutionData": bool(logging.get("includeExecutionData", False)),
            "destinations": [{"cloudWatchLogsLogGroup": {"logGroupArn": logging["logDestination"]}}],
        }
    if (inputs.get("tracingConfiguration") or {}).get("enabled"):
        request["tracingConfiguration"] = {"enabled": True}
    if tags(inputs):
        request["tags"] = [{"key": k, "value": v} for k, v in tags(inputs).items()]
    client = cloud.client("stepfunctions")
    # On AWS a just-created role may not be assumable by Step Functions yet; the provider retries.
    created = _retry_iam_propagation(lambda: client.create_state_machine(**request), marker="not authorized to assume")
    arn = created["stateMachineArn"]
    return arn, {
        **inputs,
        "name": machine_name,
        "arn": arn,
        "type": request["type"],
        "status": "ACTIVE",
        "creationDate": str(created.get("creationDate", "")),
        "stateMachineVersionArn": created.get("stateMachineVersionArn", ""),
    }

