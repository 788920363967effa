"""Storage-first APIs: API Gateway stores each request in SQS, EventBridge or DynamoDB itself (no Lambda
in the request path); the consumers here process what was stored, and a status route reports it."""
