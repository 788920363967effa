"""``AtomicCounter``: named counters in DynamoDB behind ``POST /counters/{name}``.

Each request is one ``UpdateItem ADD``: DynamoDB serialises writes to an item, so concurrent
callers always get distinct, consecutive values. It is the thinnest pattern of the catalog and the
seed of the sequence generator.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components import iam
from components.function import PythonFunction, PythonFunctionArgs
from components.rest_api import RestApi, RestApiArgs, Route


@dataclass
class AtomicCounterArgs:
    """max_increment: the largest ``increment`` one request may add. stage_name: the API stage."""

    max_increment: int = 1_000_000
    stage_name: str = "api"


class AtomicCounter(pulumi.ComponentResource):
    """A counters table, its handler and its REST routes. ``url`` is the API base URL."""

    table: aws.dynamodb.Table
    url: pulumi.Output[str]
    table_name: pulumi.Output[str]

    def __init__(self, name: str, args: AtomicCounterArgs | None = None, opts: pulumi.ResourceOptions | None = None):
        super().__init__("serverless-patterns:counter:AtomicCounter", name, None, opts)
        args = args or AtomicCounterArgs()
        child = pulumi.ResourceOptions(parent=self)
        self.table = aws.dynamodb.Table(
            f"{name}-table",
            attributes=[aws.dynamodb.TableAttributeArgs(name="name", type="S")],
            hash_key="name",
            billing_mode="PAY_PER_REQUEST",
            opts=child,
        )
        handler = PythonFunction(
            f"{name}-fn",
            PythonFunctionArgs(
                package="counter",
                statements=[iam.dynamodb_statement(self.table.arn, ["UpdateItem", "GetItem"])],
                environment={"TABLE_NAME": self.table.name, "MAX_INCREMENT": str(args.max_increment)},
            ),
            opts=child,
        )
        api = RestApi(
            f"{name}-api",
            RestApiArgs(
                routes=[
                    Route("POST", "/counters/{name}", handler),
                    Route("GET", "/counters/{name}", handler),
                ],
                stage_name=args.stage_name,
                description="Atomic counters (serverless-patterns)",
            ),
            opts=child,
        )
        self.url = api.url
        self.table_name = self.table.name
        self.register_outputs({"url": self.url, "table_name": self.table_name})
