"""Priority queues: producer API, SQS worker, DynamoDB-backed strict-order queue, and their clients."""
