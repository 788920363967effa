"""EventBridge buses, rules and targets (``aws:cloudwatch/event*`` in pulumi-aws)."""

from __future__ import annotations

from typing import Any

from localcloud.provisioners.base import Cloud, creates, tags


@creates("aws:cloudwatch/eventBus:EventBus")
def event_bus(cloud: Cloud, name: str, inputs: dict) -> tuple[str, dict]:
    bus_name = inputs["name"]
    request: dict[str, Any] = {"Name": bus_name}
    if inputs.get("description"):
        request["Description"] = inputs["description"]
    if tags(inputs):
        request["Tags"] = [{"Key": k, "Value": v} for k, v in tags(inputs).items()]
    arn = cloud.client("events").create_event_bus(**request)["EventBusArn"]
    return bus_name, {**inputs, "arn": arn}


@creates("aws:cloudwatch/eventRule:EventRule")
def event_rule(cloud: Cloud, name: str, inputs: dict) -> tuple[str, dict]:
    rule_name = inputs.get("name") or cloud.autoname(name, 64)
    bus = inputs.get("eventBusName") or "default"
    if not inputs.get("eventPattern") and not inputs.get("scheduleExpression"):
        raise ValueError(f"rule {name!r} needs an eventPattern or a scheduleExpression")
    enabled = inputs.get("state", "ENABLED" if inputs.get("isEnabled", True) else "DISABLED")
    request: dict[str, Any] = {"Name": rule_name, "EventBusName": bus, "State": enabled}
    for source, target in (("eventPattern", "EventPattern"), ("scheduleExpression", "ScheduleExpression"),
                           ("description", "Description"), ("roleArn", "RoleArn")):
        if inputs.get(source):
            request[target] = inputs[source]
    arn = cloud.client("events").put_rule(**request)["RuleArn"]
    rule_id = rule_name if bus == "default" else f"{bus}/{rule_name}"
    return rule_id, {**inputs, "name": rule_name, "eventBusName": bus, "arn": arn}


@creates("aws:cloudwatch/eventTarget:EventTarget")
def event_target(cloud: Cloud, name: str, inputs: dict) -> tuple[str, dict]:
    target_id = inputs.get("targetId") or cloud.autoname(name, 64)
    bus = inputs.get("eventBusName") or "default"
    target: dict[str, Any] = {"Id": target_id, "Arn": inputs["arn"]}
    for source, key in (("input", "Input"), ("inputPath", "InputPath"), ("roleArn", "RoleArn")):
        if inputs.get(source):
            target[key] = inputs[source]
    if inputs.get("inputTransformer"):
        transformer = inputs["inputTransformer"]
        target["InputTransformer"] = {"InputTemplate": transformer["inputTemplate"]}
        if transformer.get("inputPaths"):
            target["InputTransformer"]["InputPathsMap"] = transformer["inputPaths"]
    if inputs.get("sqsTarget", {}).get("messageGroupId"):
        target["SqsParameters"] = {"MessageGroupId": inputs["sqsTarget"]["messageGroupId"]}
    if inputs.get("retryPolicy"):
        policy = inputs["retryPolicy"]
        target["RetryPolicy"] = {
            k: policy[s]
            for s, k in (("maximumEventAgeInSeconds", "MaximumEventAgeInSeconds"),
                         ("maximumRetryAttempts", "MaximumRetryAttempts"))
            if s in policy
        }
    if inputs.get("deadLetterConfig", {}).get("arn"):
        target["DeadLetterConfig"] = {"Arn": inputs["deadLetterConfig"]["arn"]}
    response = cloud.client("events").put_targets(Rule=inputs["rule"], EventBusName=bus, Targets=[target])
    if response.get("FailedEntryCount"):
        raise ValueError(f"target {name!r} rejected: {response['FailedEntries']}")
    return f"{bus}-{inputs['rule']}-{target_id}", {**inputs, "targetId": target_id, "eventBusName": bus}


@creates("aws:cloudwatch/eventArchive:EventArchive")
def event_archive(cloud: Cloud, name: str, inputs: dict) -> tuple[str, dict]:
    archive_name = inputs.get("name") or cloud.autoname(name, 48)
    client = cloud.client("events")
    client.describe_event_bus(Name=inputs["eventSourceArn"].rsplit("/", 1)[-1])  # AWS refuses a missing bus
    request: dict[str, Any] = {"ArchiveName": archive_name, "EventSourceArn": inputs["eventSourceArn"]}
    for source, target in (("description", "Description"), ("eventPattern", "EventPattern"),
                           ("retentionDays", "RetentionDays"), ("kmsKeyIdentifier", "KmsKeyIdentifier")):
        if inputs.get(source) not in (None, ""):
            request[target] = inputs[source]
    arn = client.create_archive(**request)["ArchiveArn"]
    return archive_name, {**inputs, "name": archive_name, "arn": arn}
