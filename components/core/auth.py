"""Who may call a route: the authorization choices every ``RestApi`` route and every pattern takes.

Entry points are authenticated unless the user chooses otherwise, explicitly and with a reason:

- :class:`IamAuth` (the default): SigV4-signed requests from principals allowed ``execute-api:Invoke``;
  the natural choice between services of one account or organisation.
- :class:`ApiKeyAuth`: an ``x-api-key`` header, with a usage plan (rate, burst, quota) and named keys
  on the stage; the choice for third parties you hand a key to.
- :class:`LambdaAuthorizer`: your function decides (a token or the request), result caching optional;
  it may say how API Gateway answers its refusals on the API (``gateway_responses``: e.g. a ``Deny``
  as 429, which is how a rate-limiting authorizer answers).
- :class:`Public`: no authentication, with the reason it is safe (e.g. a webhook verified by its
  signature).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal, Protocol

import pulumi

from components.core import validation


class LambdaTarget(Protocol):
    """Anything with a function ARN and invoke ARN (a ``PythonFunction`` or ``aws.lambda_.Function``)."""

    arn: pulumi.Output[str]
    invoke_arn: pulumi.Output[str]


@dataclass(frozen=True)
class IamAuth:
    """SigV4-signed requests (``authorization = AWS_IAM``)."""

    method_authorization = "AWS_IAM"


@dataclass(frozen=True, kw_only=True)
class UsageTier:
    """One usage plan: its named keys and their limits (rate/burst per second, quota per period).

    rate_limit / burst_limit: steady requests per second and bucket size (``None``: the account's).
    quota_limit / quota_period: requests per period (``None``: no quota).
    """

    name: str
    keys: tuple[str, ...]
    rate_limit: float | None = None
    burst_limit: int | None = None
    quota_limit: int | None = None
    quota_period: Literal["DAY", "WEEK", "MONTH"] = "DAY"

    def __post_init__(self) -> None:
        _check_keys_and_limits(self)


@dataclass(frozen=True, kw_only=True)
class ApiKeyAuth:
    """An API key in ``x-api-key``; the API gets one usage plan and one key per name in ``keys``, or,
    with ``tiers``, one usage plan per tier (free, pro...) with that tier's keys and limits.

    rate_limit / burst_limit: steady requests per second and bucket size (``None``: the account's).
    quota_limit / quota_period: requests per period (``None``: no quota). With ``tiers``, leave these
    and ``keys`` at their defaults: each tier carries its own.
    """

    keys: tuple[str, ...] = ("default",)
    rate_limit: float | None = None
    burst_limit: int | None = None
    quota_limit: int | None = None
    quota_period: Literal["DAY", "WEEK", "MONTH"] = "DAY"
    tiers: tuple[UsageTier, ...] = ()
    method_authorization = "NONE"

    def __post_init__(self) -> None:
        _check_keys_and_limits(self)
        if self.tiers:
            validation.check(all(isinstance(t, UsageTier) for t in self.tiers), self, "tiers",
                             "must hold UsageTier(...) values")
            validation.check(self.keys == ("default",) and self.rate_limit is None and self.burst_limit is None
                             and self.quota_limit is None, self, "tiers",
                             "carry the keys and limits: leave keys, rate_limit, burst_limit and quota_limit unset")
            validation.unique(self, "tiers", [t.name for t in self.tiers])
            validation.unique(self, "tiers", [key for t in self.tiers for key in t.keys])

    @property
    def plans(self) -> tuple[UsageTier, ...]:
        """The usage plans this choice makes: its tiers, or one plan of its own keys and limits."""
        return self.tiers or (UsageTier(name="default", keys=self.keys, rate_limit=self.rate_limit,
                                        burst_limit=self.burst_limit, quota_limit=self.quota_limit,
                                        quota_period=self.quota_period),)


def _check_keys_and_limits(args: UsageTier | ApiKeyAuth) -> None:
    """The usage-plan fields a tier and a single-plan ``ApiKeyAuth`` share."""
    validation.check(bool(args.keys) and not isinstance(args.keys, str), args, "keys",
                     "must name at least one key")
    validation.unique(args, "keys", list(args.keys))
    validation.number(args, "rate_limit", 0, optional=True)
    validation.integer(args, "burst_limit", 0, optional=True)
    validation.integer(args, "quota_limit", 1, optional=True)
    validation.one_of(args, "quota_period", ("DAY", "WEEK", "MONTH"))


@dataclass(frozen=True)
class GatewayAnswer:
    """How API Gateway answers one of its own refusals on an API (a gateway response).

    status: the HTTP status. headers: header -> a mapping expression (``"'60'"`` for a literal).
    template: the JSON body template (``None``: the catalog's ``{"message", "code"}`` body).
    """

    status: str
    headers: Mapping[str, str] = field(default_factory=dict, hash=False)
    template: str | None = None


@dataclass(frozen=True, kw_only=True)
class LambdaAuthorizer:
    """A Lambda authorizer: ``TOKEN`` (one header) or ``REQUEST`` (headers, query, context).

    identity_source: where the identity is (``method.request.header.Authorization``); for ``REQUEST``,
    a comma-separated list. result_ttl_seconds: how long API Gateway caches a decision (0: never).
    gateway_responses: response type (``ACCESS_DENIED``, ``AUTHORIZER_FAILURE``...) -> how the API
    answers it, on every API this authorizer guards: a ``Deny`` answered as 429, say. Such an API must not
    also have ``IamAuth`` routes, whose refusals would be answered the same way.
    """

    function: LambdaTarget
    kind: Literal["TOKEN", "REQUEST"] = "TOKEN"
    identity_source: str = "method.request.header.Authorization"
    result_ttl_seconds: int = 0
    gateway_responses: Mapping[str, GatewayAnswer] = field(default_factory=dict, hash=False)
    method_authorization = "CUSTOM"

    def __post_init__(self) -> None:
        validation.one_of(self, "kind", ("TOKEN", "REQUEST"))
        validation.integer(self, "result_ttl_seconds", 0, 3600)
        validation.check(self.identity_source.startswith("method.request."), self, "identity_source",
                         "must be a method.request.* expression")
        validation.check(all(isinstance(a, GatewayAnswer) and t.isupper() for t, a in self.gateway_responses.items()),
                         self, "gateway_responses", "must map response types (ACCESS_DENIED...) to GatewayAnswer(...)")


@dataclass(frozen=True)
class Public:
    """No authentication. ``reason`` says why that is safe; it is required so the choice is explicit."""

    reason: str
    method_authorization = "NONE"

    def __post_init__(self) -> None:
        validation.check(isinstance(self.reason, str) and len(self.reason.strip()) >= 10, self, "reason",
                         "must say why the route may be public (10 characters or more)")


Authorization = IamAuth | ApiKeyAuth | LambdaAuthorizer | Public
AUTHORIZATIONS = (IamAuth, ApiKeyAuth, LambdaAuthorizer, Public)


def check_auth(owner: object, field: str = "auth") -> None:
    """``owner.field`` is one of the four authorization choices."""
    validation.check(isinstance(getattr(owner, field), AUTHORIZATIONS), owner, field,
                     "must be IamAuth(), ApiKeyAuth(...), LambdaAuthorizer(...) or Public(reason)")
