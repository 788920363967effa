"""A limiter with a limit no benchmark reaches (latency through its authorizer), and an inbound buffer
whose downstream records its calls and its peak concurrency (N = 2)."""

from pathlib import Path

import pulumi
import pulumi_aws as aws

from components.core import PythonFunction, PythonFunctionArgs, RestApi, RestApiArgs, Route, iam
from components.rate_limit import Downstream, Limit, RateLimiter, RateLimiterArgs, RequestBuffer, RequestBufferArgs

DOWNSTREAM = Path(__file__).resolve().parents[3] / "tests" / "e2e" / "rate_limit" / "catalog_downstream.py"

limiter = RateLimiter("bench", RateLimiterArgs(limits=[Limit("per_minute", 100000, 60)]))
backend = PythonFunction("bench-backend", PythonFunctionArgs(package="rate_limit", handler="demo.handler",
                         statements=limiter.statements(), environment=limiter.environment()))
api = RestApi("bench-api", RestApiArgs(routes=[Route("GET", "/limited/hello", backend)], auth=limiter.authorizer))
observations = aws.dynamodb.Table("bench-observations", hash_key="id", billing_mode="PAY_PER_REQUEST",
                                  attributes=[aws.dynamodb.TableAttributeArgs(name="id", type="S")])
buffer = RequestBuffer("bench-buffer", RequestBufferArgs(max_concurrency=2, worker_timeout=10, downstream=Downstream(
    handler="catalog_downstream.call", files={"catalog_downstream.py": str(DOWNSTREAM)},
    statements=[iam.dynamodb_statement(observations.arn, ["UpdateItem"])],
    settings={"observations_table": observations.name})))
pulumi.export("limiter", limiter.outputs)
pulumi.export("api", api.outputs)
pulumi.export("buffer", buffer.outputs)
pulumi.export("observations", observations.name)
