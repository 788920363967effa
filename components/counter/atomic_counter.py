"""``AtomicCounter``: named counters in DynamoDB behind ``POST /counters/{name}``.

Each request is one ``UpdateItem ADD``: DynamoDB serialises writes to an item, so concurrent
callers always get distinct, consecutive values. It is the thinnest pattern of the catalog and the
seed of the sequence generator.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi

from components.core import (
    Authorization,
    IamAuth,
    PatternComponent,
    PythonFunction,
    PythonFunctionArgs,
    RestApi,
    RestApiArgs,
    Route,
    handoff,
    iam,
    on_demand_table,
    validation,
)
from components.core.auth import check_auth
from functions.counter.config import CounterConfig

MAX_INCREMENT_LIMIT = 10**15


@dataclass(frozen=True, kw_only=True)
class AtomicCounterArgs:
    """max_increment: the largest ``increment`` one request may add. auth: who may call the routes
    (SigV4 by default; see :mod:`components.core.auth`). stage_name: the API stage."""

    max_increment: int = CounterConfig.max_increment
    auth: Authorization = field(default_factory=IamAuth)
    stage_name: str = "api"

    def __post_init__(self) -> None:
        validation.integer(self, "max_increment", 1, MAX_INCREMENT_LIMIT)
        check_auth(self)
        validation.stage_name(self)


class AtomicCounter(PatternComponent):
    """A counters table, its handler and its REST routes.

    Outputs: ``url`` (API base), ``counters_table_name``.
    """

    TYPE = "serverless-patterns:counter:AtomicCounter"

    def __init__(self, name: str, args: AtomicCounterArgs | None = None, opts: pulumi.ResourceOptions | None = None):
        args = args or AtomicCounterArgs()
        super().__init__(name, opts)
        self.table = on_demand_table(f"{name}-table", "name", self)
        handler = PythonFunction(
            f"{name}-fn",
            PythonFunctionArgs(
                package="counter",
                statements=[iam.dynamodb_statement(self.table.arn, ["UpdateItem", "GetItem"])],
                environment=handoff(CounterConfig, table_name=self.table.name, max_increment=args.max_increment),
            ),
            opts=self.child,
        )
        api = RestApi(
            f"{name}-api",
            RestApiArgs(
                routes=[
                    Route("POST", "/counters/{name}", handler),
                    Route("GET", "/counters/{name}", handler),
                ],
                auth=args.auth,
                stage_name=args.stage_name,
                description="Atomic counters (serverless-patterns)",
            ),
            opts=self.child,
        )
        self.url = api.url
        self._publish({"url": api.url, "counters_table_name": self.table.name, **api.auth_outputs})
