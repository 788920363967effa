"""SNS topics and subscriptions."""

from __future__ import annotations

from typing import Any

from localcloud.provisioners.base import Cloud, creates, tags

_TOPIC_ATTRIBUTES = {
    "displayName": "DisplayName",
    "policy": "Policy",
    "deliveryPolicy": "DeliveryPolicy",
    "contentBasedDeduplication": "ContentBasedDeduplication",
}
_SUBSCRIPTION_ATTRIBUTES = {
    "filterPolicy": "FilterPolicy",
    "filterPolicyScope": "FilterPolicyScope",
    "rawMessageDelivery": "RawMessageDelivery",
    "redrivePolicy": "RedrivePolicy",
    "deliveryPolicy": "DeliveryPolicy",
}


def _text(value: Any) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


@creates("aws:sns/topic:Topic")
def sns_topic(cloud: Cloud, name: str, inputs: dict) -> tuple[str, dict]:
    fifo = bool(inputs.get("fifoTopic"))
    topic_name = inputs.get("name") or cloud.autoname(name, 256, ".fifo" if fifo else "")
    attributes = {t: _text(inputs[s]) for s, t in _TOPIC_ATTRIBUTES.items() if inputs.get(s) not in (None, "")}
    if fifo:
        attributes["FifoTopic"] = "true"
    request: dict[str, Any] = {"Name": topic_name, "Attributes": attributes}
    if tags(inputs):
        request["Tags"] = [{"Key": k, "Value": v} for k, v in tags(inputs).items()]
    arn = cloud.client("sns").create_topic(**request)["TopicArn"]
    return arn, {**inputs, "name": topic_name, "arn": arn}


@creates("aws:sns/topicSubscription:TopicSubscription")
def sns_subscription(cloud: Cloud, name: str, inputs: dict) -> tuple[str, dict]:
    attributes = {
        t: _text(inputs[s]) for s, t in _SUBSCRIPTION_ATTRIBUTES.items() if inputs.get(s) not in (None, "", False)
    }
    response = cloud.client("sns").subscribe(
        TopicArn=inputs["topic"],
        Protocol=inputs["protocol"],
        Endpoint=inputs["endpoint"],
        Attributes=attributes,
        ReturnSubscriptionArn=True,
    )
    arn = response["SubscriptionArn"]
    return arn, {**inputs, "arn": arn}
