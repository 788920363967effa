"""WebSocket broadcast: connections and topic subscriptions in DynamoDB, publishes fanned out through
SQS to sender workers that push with PostToConnection."""
