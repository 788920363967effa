"""SSM parameters (String, StringList, SecureString)."""

from __future__ import annotations

from typing import Any

from localcloud.provisioners.base import Cloud, creates, tags


@creates("aws:ssm/parameter:Parameter")
def parameter(cloud: Cloud, name: str, inputs: dict) -> tuple[str, dict]:
    parameter_name = inputs.get("name") or cloud.autoname(name, 1011)
    value = inputs.get("value") if inputs.get("value") is not None else inputs.get("insecureValue")
    if value is None:
        raise ValueError(f"parameter {name!r} needs a value")
    request: dict[str, Any] = {"Name": parameter_name, "Value": value, "Type": inputs["type"]}
    for source, target in (("description", "Description"), ("keyId", "KeyId"), ("tier", "Tier"),
                           ("allowedPattern", "AllowedPattern"), ("dataType", "DataType")):
        if inputs.get(source):
            request[target] = inputs[source]
    if tags(inputs):
        request["Tags"] = [{"Key": k, "Value": v} for k, v in tags(inputs).items()]
    client = cloud.client("ssm")
    version = client.put_parameter(**request)["Version"]
    arn = client.get_parameter(Name=parameter_name)["Parameter"]["ARN"]
    return parameter_name, {**inputs, "name": parameter_name, "arn": arn, "version": version}
