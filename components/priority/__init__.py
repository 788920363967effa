"""Priority queues: SQS level queues with per-level concurrency shares, or one strictly ordered
DynamoDB queue with leased claims."""

from components.priority.dynamo_priority_queue import DynamoPriorityQueue, DynamoPriorityQueueArgs
from components.priority.jobs import JobCode
from components.priority.priority_queues import PriorityLevel, PriorityQueues, PriorityQueuesArgs

__all__ = [
    "DynamoPriorityQueue",
    "DynamoPriorityQueueArgs",
    "JobCode",
    "PriorityLevel",
    "PriorityQueues",
    "PriorityQueuesArgs",
]
