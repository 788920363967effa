"""CloudWatch Logs log groups (each function's, created with its retention before the function)."""

from __future__ import annotations

from localcloud.provisioners.base import Cloud, creates, tags


@creates("aws:cloudwatch/logGroup:LogGroup")
def log_group(cloud: Cloud, name: str, inputs: dict) -> tuple[str, dict]:
    group_name = inputs.get("name") or cloud.autoname(name, 512)
    client = cloud.client("logs")
    request: dict[str, object] = {"logGroupName": group_name}
    if tags(inputs):
        request["tags"] = tags(inputs)
    client.create_log_group(**request)
    if inputs.get("retentionInDays"):
        client.put_retention_policy(logGroupName=group_name, retentionInDays=int(inputs["retentionInDays"]))
    arn = f"arn:aws:logs:{cloud.region}:{cloud.account}:log-group:{group_name}"
    return group_name, {**inputs, "name": group_name, "arn": arn}
