"""Rate limiting on DynamoDB: the limiter library, its authorizer and decorator, and the inbound buffer's worker."""
