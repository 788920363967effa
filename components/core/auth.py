"""Who may call a route: the authorization choices every ``RestApi`` route and every pattern takes.

Entry points are authenticated unless the user chooses otherwise, explicitly and with a reason:

- :class:`IamAuth` (the default): SigV4-signed requests from principals allowed ``execute-api:Invoke``;
  the natural choice between services of one account or organisation.
- :class:`ApiKeyAuth`: an ``x-api-key`` header, with a usage plan (rate, burst, quota) and named keys
  on the stage; the choice for third parties you hand a key to.
- :class:`LambdaAuthorizer`: your function decides (a token or the request), result caching optional.
- :class:`Public`: no authentication, with the reason it is safe (e.g. a webhook verified by its
  signature).
"""

from __future__ import annotations

from dataclasses import dataclass
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
class ApiKeyAuth:
    """An API key in ``x-api-key``; the API gets one usage plan and one key per name in ``keys``.

    rate_limit / burst_limit: steady requests per second and bucket size (``None``: the account's).
    quota_limit / quota_period: requests per period (``None``: no quota).
    """

    keys: tuple[str, ...] = ("default",)
    rate_limit: float | None = None
    burst_limit: int | None = None
    quota_limit: int | None = None
    quota_period: Literal["DAY", "WEEK", "MONTH"] = "DAY"
    method_authorization = "NONE"

    def __post_init__(self) -> None:
        validation.check(bool(self.keys) and not isinstance(self.keys, str), self, "keys",
                         "must name at least one key")
        validation.unique(self, "keys", list(self.keys))
        validation.number(self, "rate_limit", 0, optional=True)
        validation.integer(self, "burst_limit", 0, optional=True)
        validation.integer(self, "quota_limit", 1, optional=True)
        validation.one_of(self, "quota_period", ("DAY", "WEEK", "MONTH"))


@dataclass(frozen=True, kw_only=True)
class LambdaAuthorizer:
    """A Lambda authorizer: ``TOKEN`` (one header) or ``REQUEST`` (headers, query, context).

    identity_source: where the identity is (``method.request.header.Authorization``); for ``REQUEST``,
    a comma-separated list. result_ttl_seconds: how long API Gateway caches a decision (0: never).
    """

    function: LambdaTarget
    kind: Literal["TOKEN", "REQUEST"] = "TOKEN"
    identity_source: str = "method.request.header.Authorization"
    result_ttl_seconds: int = 0
    method_authorization = "CUSTOM"

    def __post_init__(self) -> None:
        validation.one_of(self, "kind", ("TOKEN", "REQUEST"))
        validation.integer(self, "result_ttl_seconds", 0, 3600)
        validation.check(self.identity_source.startswith("method.request."), self, "identity_source",
                         "must be a method.request.* expression")


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
