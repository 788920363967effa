"""IAM roles and inline role policies."""

from __future__ import annotations

import json
from typing import Any

from localcloud.provisioners.base import Cloud, creates


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
