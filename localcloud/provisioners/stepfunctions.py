"""Step Functions state machines."""

from __future__ import annotations

import json
import time
from typing import Any

from localcloud.provisioners.base import Cloud, creates, tags


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
    created = _retry_role_propagation(lambda: client.create_state_machine(**request))
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


def _retry_role_propagation(call, attempts: int = 10) -> dict:
    """On AWS a just-created role may not be assumable by Step Functions yet; the provider retries."""
    for attempt in range(attempts):
        try:
            return call()
        except Exception as exc:  # botocore ClientError; narrowed by message
            if "is not authorized to assume" not in str(exc) or attempt == attempts - 1:
                raise
            time.sleep(min(2**attempt * 0.2, 5))
    raise AssertionError("unreachable")
