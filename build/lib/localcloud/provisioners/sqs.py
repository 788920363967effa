"""SQS queues and queue policies."""

from __future__ import annotations

from typing import Any

from localcloud.provisioners.base import Cloud, creates, tags

# Pulumi input -> SQS attribute name (values are sent as strings).
_ATTRIBUTES = {
    "delaySeconds": "DelaySeconds",
    "maxMessageSize": "MaximumMessageSize",
    "messageRetentionSeconds": "MessageRetentionPeriod",
    "receiveWaitTimeSeconds": "ReceiveMessageWaitTimeSeconds",
    "visibilityTimeoutSeconds": "VisibilityTimeout",
    "redrivePolicy": "RedrivePolicy",
    "redriveAllowPolicy": "RedriveAllowPolicy",
    "policy": "Policy",
    "contentBasedDeduplication": "ContentBasedDeduplication",
    "deduplicationScope": "DeduplicationScope",
    "fifoThroughputLimit": "FifoThroughputLimit",
}


def _attribute_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


@creates("aws:sqs/queue:Queue")
def sqs_queue(cloud: Cloud, name: str, inputs: dict) -> tuple[str, dict]:
    fifo = bool(inputs.get("fifoQueue"))
    queue_name = inputs.get("name") or cloud.autoname(name, 80, ".fifo" if fifo else "")
    if fifo and not queue_name.endswith(".fifo"):
        raise ValueError(f"FIFO queue name {queue_name!r} must end with '.fifo'")
    attributes = {
        target: _attribute_value(inputs[source])
        for source, target in _ATTRIBUTES.items()
        if inputs.get(source) not in (None, "")
    }
    if fifo:  # FifoQueue=false is rejected by some implementations; only send it when true
        attributes["FifoQueue"] = "true"
    request: dict[str, Any] = {"QueueName": queue_name, "Attributes": attributes}
    if tags(inputs):
        request["tags"] = tags(inputs)
    client = cloud.client("sqs")
    url = client.create_queue(**request)["QueueUrl"]
    arn = client.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return url, {**inputs, "name": queue_name, "arn": arn, "url": url}


@creates("aws:sqs/queuePolicy:QueuePolicy")
def sqs_queue_policy(cloud: Cloud, name: str, inputs: dict) -> tuple[str, dict]:
    cloud.client("sqs").set_queue_attributes(QueueUrl=inputs["queueUrl"], Attributes={"Policy": inputs["policy"]})
    return inputs["queueUrl"], inputs
