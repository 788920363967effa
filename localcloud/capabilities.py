"""What each target cannot do, so an e2e test that needs it is skipped there with the reason named
(never silently), and runs on the others: ``@pytest.mark.requires("<capability>")`` (the pytest
plugin, :mod:`localcloud.pytest_plugin`).

The target is recognised from its own health API, never guessed: MiniStack answers
``/_ministack/health`` (and says whether it enforces IAM); LocalStack answers ``/_localstack/health``
with its edition and version (MiniStack answers that path too, so it is asked first).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

from localcloud.target import Target

MINISTACK_GAPS = {
    "apigateway-v1-service-integrations": "REST v1 integrations with DynamoDB, EventBridge, S3 or Step Functions "
                                          "return 504 (every AWS integration but SQS is taken for a Lambda)",
    "apigateway-v2-integration-subtypes": "HTTP API EventBridge-PutEvents / SQS-SendMessage subtypes",
    "eventbridge-target-retry-dlq": "EventBridge target RetryPolicy / DeadLetterConfig",
    "sqs-batching-window": "SQS MaximumBatchingWindowInSeconds",
    "sfn-machine-timeout": "Step Functions machine-level TimeoutSeconds",
    "lambda-permission-enforcement": "lambda.Permission is recorded but not enforced",
    "dynamodb-38-digit-arithmetic": "UpdateItem ADD / SET arithmetic rounds numbers to 28 significant digits "
                                    "(DynamoDB keeps 38)",
}
MINISTACK_WITHOUT_AUTH = {
    "iam-enforcement": "started without IAM enforcement (SERVERLESS_PATTERNS_IAM=off): every call is allowed",
}
# LocalStack's free (community) image, 4.14; measured against this suite and read in its source.
LOCALSTACK_COMMUNITY_GAPS = {
    "iam-enforcement": "IAM policies are not enforced in the community image (ENFORCE_IAM is a paid feature)",
    "apigateway-v2": "no API Gateway v2 (HTTP or WebSocket APIs) in the community image",
    "apigateway-v2-integration-subtypes": "no API Gateway v2 in the community image",
    "apigateway-websocket": "no API Gateway WebSocket APIs (v2) in the community image",
    "eventbridge-archive-replay": "StartReplay answers 500 once the archive holds an event",
    "sqs-esm-maximum-concurrency": "the SQS event source mapping ignores ScalingConfig.MaximumConcurrency "
                                   "(one batch at a time per mapping)",
    "eventbridge-putevents-failure": "PutEvents to an unknown or cross-account bus reports success, so a "
                                     "publish outage cannot be simulated that way",
    "apigateway-sqs-raw-utf8-body": "a non-ASCII body passed through an API Gateway -> SQS mapping template "
                                    "arrives escaped (\\u00e7), so a signature over the raw bytes fails",
    "lambda-permission-enforcement": "lambda.Permission is recorded but not enforced",
}


def _health(endpoint: str, path: str) -> dict[str, Any] | None:
    try:
        with urllib.request.urlopen(endpoint.rstrip("/") + path, timeout=5) as response:
            return json.loads(response.read() or b"{}") if response.status == 200 else None
    except (urllib.error.URLError, OSError, ValueError):
        return None


def identify(endpoint: str) -> tuple[str, dict[str, Any]]:
    """``("ministack" | "localstack" | "unknown", health document)`` for an emulator endpoint."""
    ministack = _health(endpoint, "/_ministack/health")
    if ministack is not None:
        return "ministack", ministack
    localstack = _health(endpoint, "/_localstack/health")
    if localstack is not None and "services" in localstack:
        return "localstack", localstack
    return "unknown", {}


def missing_capabilities(target: Target) -> dict[str, str]:
    if target.kind == "aws" or not target.endpoint:
        return {}
    kind, health = identify(target.endpoint)
    if kind == "ministack":
        gaps = dict(MINISTACK_GAPS)
        if health.get("auth") != "enabled":
            gaps.update(MINISTACK_WITHOUT_AUTH)
        return {name: f"MiniStack: {why}" for name, why in gaps.items()}
    if kind == "localstack":
        edition = health.get("edition", "unknown")
        label = f"LocalStack {health.get('version', '?')} ({edition})"
        gaps = LOCALSTACK_COMMUNITY_GAPS if edition in ("community", "unknown") else {}
        return {name: f"{label}: {why}" for name, why in gaps.items()}
    return {"iam-enforcement": "an emulator that does not say whether it enforces IAM"}
