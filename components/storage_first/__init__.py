"""Storage-first APIs: API Gateway stores each request in SQS, EventBridge or DynamoDB before any code runs."""

from components.storage_first.api import ProcessorCode, StorageFirstApi, StorageFirstApiArgs, StorageTarget

__all__ = ["ProcessorCode", "StorageFirstApi", "StorageFirstApiArgs", "StorageTarget"]
