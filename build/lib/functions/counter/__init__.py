"""Atomic counter handler: one DynamoDB UpdateItem ADD per request."""
