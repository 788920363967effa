"""An intake API in your own stack: API Gateway stores each request before any code runs, one target per route."""

import pulumi

from components.storage_first import ProcessorCode, StorageFirstApi, StorageFirstApiArgs, StorageTarget

intake = StorageFirstApi("intake", StorageFirstApiArgs(
    targets=[
        StorageTarget("orders", "sqs", schema={   # API Gateway refuses other bodies with 400: nothing stored
            "type": "object", "required": ["sku", "quantity"],
            "properties": {"sku": {"type": "string"}, "quantity": {"type": "integer", "minimum": 1}}}),
        StorageTarget("ledger", "sqs-fifo"),       # ordered; Idempotency-Key required, the deduplication id
        StorageTarget("signups", "eventbridge"),   # a bus of its own: add your rules for fan-out
        StorageTarget("payments", "dynamodb"),     # Idempotency-Key is the item key; another body with it: 409
        StorageTarget("refunds", "stepfunctions"),  # a workflow per request, named by its Idempotency-Key
        StorageTarget("documents", "s3"),          # large bodies (up to 10 MB): one object per request
    ],
    processor=ProcessorCode(handler="functions.storage_first.processing.acknowledge"),  # your module.function
    max_attempts=5,
))
pulumi.export("intake", intake.outputs)  # url, target_queue_urls, target_dlq_urls, status_table_name, ...
