"""What benchmarks/storage_first.py measures: a storage-first route (API Gateway -> SQS, no Lambda) and,
on the same queue, a Lambda-proxy route doing the same write (``functions/storage_first/proxy.py``).
Both public, so neither pays for signing; the queue's consumer is the component's own (it acknowledges)."""

import pulumi

from components.core import Public, PythonFunction, PythonFunctionArgs, RestApi, RestApiArgs, Route, iam
from components.storage_first import StorageFirstApi, StorageFirstApiArgs, StorageTarget

OPEN = Public("a benchmark: both routes are called the same way, unsigned")
direct = StorageFirstApi("bench", StorageFirstApiArgs(targets=[StorageTarget("orders", "sqs")], auth=OPEN))
queue = direct.queues["orders"]
ingest = PythonFunction("lambda-ingest", PythonFunctionArgs(
    package="storage_first", handler="proxy.handler", environment=direct.environment,
    statements=[iam.allow(["sqs:SendMessage", "sqs:GetQueueUrl"], [queue.arn])]))
proxy = RestApi("proxy-api", RestApiArgs(routes=[Route("POST", "/orders", ingest)], auth=OPEN))
pulumi.export("direct_url", direct.url)
pulumi.export("proxy_url", proxy.url)
