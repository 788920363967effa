"""What each target cannot do, so an e2e test that needs it is skipped there with the reason
named (never silently), and runs on the others: ``@pytest.mark.requires("<capability>")`` (the
pytest plugin, :mod:`localcloud.pytest_plugin`). Measured on MiniStack 1.5.33 (see docs)."""

from __future__ import annotations

from localcloud.emulator import is_healthy as is_ministack
from localcloud.target import Target

MINISTACK_GAPS = {
    "apigateway-v1-service-integrations": "REST v1 integrations with DynamoDB, EventBridge or S3 return 504",
    "apigateway-v2-integration-subtypes": "HTTP API EventBridge-PutEvents / SQS-SendMessage subtypes",
    "eventbridge-target-retry-dlq": "EventBridge target RetryPolicy / DeadLetterConfig",
    "sqs-batching-window": "SQS MaximumBatchingWindowInSeconds",
    "sfn-machine-timeout": "Step Functions machine-level TimeoutSeconds",
    "lambda-permission-enforcement": "lambda.Permission is recorded but not enforced",
    "dynamodb-38-digit-arithmetic": "UpdateItem ADD / SET arithmetic rounds numbers to 28 significant digits "
                                    "(DynamoDB keeps 38)",
}


def missing_capabilities(target: Target) -> dict[str, str]:
    """The capabilities ``target`` lacks, each with the reason; detected from its health API, never guessed."""
    if target.kind == "aws" or not target.endpoint:
        return {}
    if target.kind == "embedded" or is_ministack(target.endpoint):
        return {name: f"MiniStack: {why}" for name, why in MINISTACK_GAPS.items()}
    return {}
