"""The baseline benchmarks/storage_first.py compares the storage-first route with: a Lambda-proxy route
doing the same write (the body sent to the same queue, 202 with the message id). Benchmark only."""

from __future__ import annotations

import json
import os

import boto3

sqs = boto3.client("sqs")
QUEUE_URL = os.environ["QUEUE_URL"]


def handler(event: dict, context: object) -> dict:
    body = event.get("body") or ""
    try:
        if not isinstance(json.loads(body), dict):
            raise ValueError
    except ValueError:
        return {"statusCode": 400, "body": json.dumps({"message": "the body must be a JSON object",
                                                       "code": "invalid_input"})}
    message = sqs.send_message(QueueUrl=QUEUE_URL, MessageBody=body)
    return {"statusCode": 202, "headers": {"Content-Type": "application/json"},
            "body": json.dumps({"id": message["MessageId"], "status": "accepted"})}
