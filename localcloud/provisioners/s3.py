"""S3 buckets and their event notifications."""

from __future__ import annotations

from typing import Any

from localcloud.provisioners.base import Cloud, creates, tags


@creates("aws:s3/bucket:Bucket")
def s3_bucket(cloud: Cloud, name: str, inputs: dict) -> tuple[str, dict]:
    bucket = inputs.get("bucket") or cloud.autoname(name.lower(), 63)
    client = cloud.client("s3")
    request: dict[str, Any] = {"Bucket": bucket}
    if cloud.region != "us-east-1":
        request["CreateBucketConfiguration"] = {"LocationConstraint": cloud.region}
    client.create_bucket(**request)
    if tags(inputs):
        client.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": [{"Key": k, "Value": v}
                                                                     for k, v in tags(inputs).items()]})
    return bucket, {**inputs, "bucket": bucket, "arn": f"arn:aws:s3:::{bucket}",
                    "bucketDomainName": f"{bucket}.s3.amazonaws.com", "region": cloud.region}


@creates("aws:s3/bucketNotification:BucketNotification")
def s3_bucket_notification(cloud: Cloud, name: str, inputs: dict) -> tuple[str, dict]:
    """Queue notifications (the only kind the catalog uses); an unsupported kind fails naming it."""
    unsupported = [kind for kind in ("topics", "lambdaFunctions") if inputs.get(kind)]
    if unsupported or inputs.get("eventbridge"):
        raise ValueError(f"bucket notification {name!r}: only queue notifications are supported, got {unsupported}")
    queues = []
    for queue in inputs.get("queues") or []:
        config: dict[str, Any] = {"QueueArn": queue["queueArn"], "Events": list(queue["events"])}
        if queue.get("id"):
            config["Id"] = queue["id"]
        rules = [{"Name": rule, "Value": queue[key]} for rule, key in (("prefix", "filterPrefix"),
                                                                       ("suffix", "filterSuffix")) if queue.get(key)]
        if rules:
            config["Filter"] = {"Key": {"FilterRules": rules}}
        queues.append(config)
    cloud.client("s3").put_bucket_notification_configuration(
        Bucket=inputs["bucket"], NotificationConfiguration={"QueueConfigurations": queues})
    return inputs["bucket"], inputs
