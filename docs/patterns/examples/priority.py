"""Urgent jobs that skip a backlog, in your own stack: SQS levels, or one strictly ordered DynamoDB queue."""

import pulumi
import pulumi_aws as aws

from components.priority import (
    DynamoPriorityQueue,
    DynamoPriorityQueueArgs,
    JobCode,
    PriorityLevel,
    PriorityQueues,
    PriorityQueuesArgs,
)

jobs_layer = aws.lambda_.LayerVersion(  # your job code: python/my_jobs.py with handle(job) -> result
    "jobs", layer_name="my-jobs", compatible_runtimes=["python3.12"],
    code=pulumi.AssetArchive({"python/my_jobs.py": pulumi.StringAsset(
        "def handle(job):\n    return {'done': job.payload}\n")}))

queues = PriorityQueues("orders", PriorityQueuesArgs(
    levels=[PriorityLevel("urgent", 8), PriorityLevel("normal", 4), PriorityLevel("bulk", 2)],
    max_receive_count=5,
    job=JobCode(handler="my_jobs.handle", layers=[jobs_layer.arn],
                statements=[{"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": ["arn:aws:s3:::my-bucket/*"]}]),
))
pulumi.export("orders", queues.outputs)  # url, level_queue_urls, level_dlq_urls, jobs_table_name, ...

ordered = DynamoPriorityQueue("claims", DynamoPriorityQueueArgs(
    levels=["p0", "p1", "p2"], lease_seconds=120, max_attempts=5, worker_timeout=600, max_workers=10,
    job=JobCode(handler="my_jobs.handle", layers=[jobs_layer.arn]),
))
pulumi.export("claims", ordered.outputs)
