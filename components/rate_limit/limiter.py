"""``RateLimiter``: the limiter's state table, and a REST API request authorizer that enforces it.

Three ways another stack uses it:

- in front of any ``RestApi`` route: ``Route(..., auth=limiter.authorizer)``. The authorizer admits
  registered API keys (their SHA-256 in the clients table) and decides each request against the limits,
  per key, per tenant header or per source IP, with result caching off. Its ``Deny`` is answered 429
  with ``Retry-After`` and ``RateLimit-Policy`` (a gateway response on that API); no or an unknown key 401.
- inside any function: give it ``limiter.environment()`` and ``limiter.statements()``, then
  ``functions.rate_limit.decorator.rate_limited`` or ``RateLimiter.from_environment().hit(key)``.
- the ``limiter_config`` output: the same configuration, for code deployed elsewhere.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi

from components.core import (
    GatewayAnswer,
    LambdaAuthorizer,
    PatternComponent,
    PythonFunction,
    PythonFunctionArgs,
    handoff,
    iam,
    on_demand_table,
    validation,
)
from functions.common.errors import error_body
from functions.rate_limit.config import AuthorizerSettings, Limit, LimiterSettings, RateLimitConfig
from functions.rate_limit.headers import policy_header, soonest_retry_after
from functions.rate_limit.limiter import TTL_ATTRIBUTE


@dataclass(frozen=True, kw_only=True)
class RateLimiterArgs:
    """limits: what each key is held to, all decided at once (see ``functions.rate_limit.config.Limit``).
    namespace: prefixes the keys (several limiters may share code, never state). fail_mode: ``closed``
    (a store that throttles or is unreachable refuses: 503) or ``open`` (admits). shards: spread each key
    over this many items (a hot key); each holds an equal part of every limit.
    authorizer: also deploy the request authorizer. limit_by: what the authorizer counts per
    (``api_key``, ``header``: the value of ``tenant_header``, ``source_ip``). key_header: the API key's header.
    """

    limits: Sequence[Limit]
    namespace: str = "rl"
    fail_mode: str = "closed"
    shards: int = 1
    authorizer: bool = True
    limit_by: str = "api_key"
    key_header: str = "x-api-key"
    tenant_header: str = "x-tenant-id"

    def __post_init__(self) -> None:
        validation.check(bool(self.limits) and all(isinstance(limit, Limit) for limit in self.limits), self,
                         "limits", "must hold at least one Limit(...)")
        validation.unique(self, "limits", [limit.name for limit in self.limits])
        validation.one_of(self, "fail_mode", ("open", "closed"))
        validation.integer(self, "shards", 1, 64)
        validation.one_of(self, "limit_by", ("api_key", "header", "source_ip"))
        try:  # the runtime's own checks, so both sides refuse the same configuration
            self.settings("table")
            AuthorizerSettings(clients_table="clients", key_header=self.key_header, limit_by=self.limit_by,  # type: ignore[arg-type]
                               tenant_header=self.tenant_header)
        except ValueError as exc:
            raise ValueError(f"RateLimiterArgs: {exc}") from None

    def settings(self, table: str) -> LimiterSettings:
        return LimiterSettings(table=table, limits=tuple(self.limits), namespace=self.namespace,
                               fail_mode=self.fail_mode, shards=self.shards)  # type: ignore[arg-type]


def denied_answer(limits: Sequence[Limit]) -> GatewayAnswer:
    """The authorizer's ``Deny`` as 429, with ``Retry-After`` (the soonest a limit frees a unit) and the policy.

    Static values, because a gateway response cannot read a denying authorizer's context on every target
    (the embedded emulator drops it); on AWS a template may also use ``$context.authorizer.retryAfter``."""
    wait, tightest = soonest_retry_after(limits)
    return GatewayAnswer(
        status="429",
        headers={"Retry-After": f"'{wait}'", "RateLimit-Policy": f"'{policy_header(limits)}'",
                 "RateLimit": f"'\"{tightest.name}\";r=0;t={wait}'"},
        template=json.dumps(error_body(f"rate limit exceeded: retry after {wait} s", "too_many_requests")),
    )


UNAVAILABLE = GatewayAnswer(status="503", headers={"Retry-After": "'1'"}, template=json.dumps(error_body(
    "the rate limiter could not decide; retry later", "limiter_unavailable")))


class RateLimiter(PatternComponent):
    """The state table (TTL on ``ttl``) and, optionally, the clients table and the request authorizer.

    Outputs: ``state_table_name``, ``limiter_config`` (the JSON an in-process limiter takes), and with
    the authorizer ``clients_table_name``, ``authorizer_function_name``.
    """

    TYPE = "serverless-patterns:rate_limit:RateLimiter"

    def __init__(self, name: str, args: RateLimiterArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(name, opts)
        self._args = args
        self.table = on_demand_table(f"{name}-state", "pk", self, ttl_attribute=TTL_ATTRIBUTE)
        self.limiter_settings = self.table.name.apply(args.settings)
        self.limiter_config = self.limiter_settings.apply(lambda s: RateLimitConfig(limiter=s).to_json())
        outputs: dict[str, Any] = {"state_table_name": self.table.name, "limiter_config": self.limiter_config}
        self.authorizer: LambdaAuthorizer | None = None
        if args.authorizer:
            self.clients = on_demand_table(f"{name}-clients", "key_hash", self)
            who = self.clients.name.apply(lambda clients: AuthorizerSettings(
                clients_table=clients, key_header=args.key_header, limit_by=args.limit_by,  # type: ignore[arg-type]
                tenant_header=args.tenant_header))
            function = PythonFunction(
                f"{name}-authorizer",
                PythonFunctionArgs(
                    package="rate_limit", handler="authorizer.handler",
                    statements=[*self.statements(), iam.dynamodb_statement(self.clients.arn, ["GetItem"])],
                    environment=handoff(RateLimitConfig, limiter=self.limiter_settings, authorizer=who),
                ),
                opts=self.child,
            )
            self.authorizer = LambdaAuthorizer(
                function=function, kind="REQUEST", identity_source=f"method.request.header.{args.key_header}",
                result_ttl_seconds=0,
                gateway_responses={"ACCESS_DENIED": denied_answer(args.limits), "AUTHORIZER_FAILURE": UNAVAILABLE},
            )
            outputs.update(clients_table_name=self.clients.name, authorizer_function_name=function.name)
        self._publish(outputs)

    def statements(self) -> list[dict[str, Any]]:
        """What a function that decides in-process needs: read and conditionally update the state table."""
        return [iam.dynamodb_statement(self.table.arn, ["GetItem", "UpdateItem"])]

    def environment(self) -> dict[str, pulumi.Output[str]]:
        """The environment of a function that decides in-process (``RateLimiter.from_environment()``)."""
        return handoff(RateLimitConfig, limiter=self.limiter_settings)
