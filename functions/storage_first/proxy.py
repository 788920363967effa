"""The baseline of benchmarks/storage_first.py: a Lambda-proxy route doing the storage-first route's
write itself (``POST /<target>``: the body to the target's queue, 202 with the message id), to measure
what the function in the request path costs. Not used by ``StorageFirstApi``."""

from __future__ import annotations

import json
from typing import Any

import boto3

from functions.common.errors import status_response
from functions.common.queues import queue_url
from functions.storage_first.config import StorageFirstConfig

config = StorageFirstConfig.from_environment()
sqs = boto3.client("sqs")


def handler(event: dict[str, Any], context: object) -> dict[str, Any]:
    target = config.targets.get((event.get("path") or "").strip("/").split("/")[-1])
    body = event.get("body") or ""
    try:
        valid = isinstance(json.loads(body), dict)
    except ValueError:
        valid = False
    if target is None or target.kind != "sqs" or not valid:
        return status_response(400, "a JSON object to an sqs target", "invalid_input")
    message = sqs.send_message(QueueUrl=queue_url(sqs, target.source), MessageBody=body)
    return {"statusCode": 202, "headers": {"Content-Type": "application/json"},
            "body": json.dumps({"id": message["MessageId"], "status": "accepted"})}
