"""The baseline of benchmarks/storage_first.py: a Lambda-proxy route doing the storage-first route's
write itself (``POST /<target>``: the body to the target's queue, 202 with the message id), to measure
what the function in the request path costs. Not used by ``StorageFirstApi``."""

from __future__ import annotations

import json
from typing import Any

import boto3

from functions.common.errors import error_body
from functions.storage_first.config import StorageFirstConfig

config = StorageFirstConfig.from_environment()
sqs = boto3.client("sqs")
_urls: dict[str, str] = {}


def _queue_url(arn: str) -> str:
    if arn not in _urls:
        _, _, _, _, account, name = arn.split(":", 5)
        _urls[arn] = sqs.get_queue_url(QueueName=name, QueueOwnerAWSAccountId=account)["QueueUrl"]
    return _urls[arn]


def handler(event: dict[str, Any], context: object) -> dict[str, Any]:
    target = config.targets.get((event.get("path") or "").strip("/").split("/")[-1])
    body = event.get("body") or ""
    try:
        valid = isinstance(json.loads(body), dict)
    except ValueError:
        valid = False
    if target is None or target.kind != "sqs" or not valid:
        return {"statusCode": 400, "body": json.dumps(error_body("a JSON object to an sqs target", "invalid_input"))}
    message = sqs.send_message(QueueUrl=_queue_url(target.source), MessageBody=body)
    return {"statusCode": 202, "headers": {"Content-Type": "application/json"},
            "body": json.dumps({"id": message["MessageId"], "status": "accepted"})}
