"""Secrets Manager secrets and secret versions."""

from __future__ import annotations

from typing import Any

from localcloud.provisioners.base import Cloud, creates, tags


@creates("aws:secretsmanager/secret:Secret")
def secret(cloud: Cloud, name: str, inputs: dict) -> tuple[str, dict]:
    secret_name = inputs.get("name") or cloud.autoname(inputs.get("namePrefix") or name, 512)
    request: dict[str, Any] = {"Name": secret_name}
    for source, target in (("description", "Description"), ("kmsKeyId", "KmsKeyId")):
        if inputs.get(source):
            request[target] = inputs[source]
    if tags(inputs):
        request["Tags"] = [{"Key": k, "Value": v} for k, v in tags(inputs).items()]
    client = cloud.client("secretsmanager")
    arn = client.create_secret(**request)["ARN"]
    if inputs.get("policy"):
        client.put_resource_policy(SecretId=arn, ResourcePolicy=inputs["policy"])
    return arn, {**inputs, "name": secret_name, "arn": arn}


@creates("aws:secretsmanager/secretVersion:SecretVersion")
def secret_version(cloud: Cloud, name: str, inputs: dict) -> tuple[str, dict]:
    request: dict[str, Any] = {"SecretId": inputs["secretId"]}
    if inputs.get("secretString") is not None:
        request["SecretString"] = inputs["secretString"]
    elif inputs.get("secretBinary") is not None:
        request["SecretBinary"] = inputs["secretBinary"]
    else:
        raise ValueError(f"secret version {name!r} needs secretString or secretBinary")
    if inputs.get("versionStages"):
        request["VersionStages"] = inputs["versionStages"]
    version = cloud.client("secretsmanager").put_secret_value(**request)
    outputs = {**inputs, "arn": version["ARN"], "versionId": version["VersionId"],
               "versionStages": version.get("VersionStages", ["AWSCURRENT"])}
    return f"{version['ARN']}|{version['VersionId']}", outputs
