"""``WebSocketApi``: an API Gateway v2 WebSocket API whose routes invoke Lambda functions, written once.

Patterns declare routes (``WebSocketRoute("$connect", fn)``, ``WebSocketRoute("subscribe", fn)``);
this component builds one Lambda proxy integration per function, the routes, a ``$default`` route
response on every message route (so what the function returns is sent back on the socket), one
invoke permission per route (scoped to this API, its stage and that route key), a deployment that
waits for every route, and the stage.

``$connect`` is authenticated unless the pattern says otherwise, with a reason: ``connect_auth`` is a
:class:`ConnectAuthorizer` (a REQUEST Lambda authorizer reading, by default, a ``token`` query
parameter, since browsers cannot set headers on a WebSocket) or :class:`~components.core.auth.Public`.

Functions that push to connections (``PostToConnection``) need :meth:`WebSocketApi.manage_connections`
and the management endpoint (:attr:`WebSocketApi.management_endpoint`, the AWS form
``https://<api>.execute-api.<region>.amazonaws.com/<stage>``; on an emulator the handler derives the
local one from ``AWS_ENDPOINT_URL``, :func:`functions.common.websocket.management_endpoint`).

LocalStack's free image has no API Gateway v2: a WebSocket API deploys to AWS and MiniStack.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.core import iam, validation
from components.core.auth import LambdaTarget, Public
from components.core.component import PatternComponent

ROUTE_KEY = re.compile(r"^(\$connect|\$disconnect|\$default|[A-Za-z0-9_.-]{1,64})$")
NO_REPLY = ("$connect", "$disconnect")  # API Gateway sends nothing back for these
IDENTITY_SOURCE = re.compile(r"^route\.request\.(header|querystring)\.[A-Za-z0-9_-]+$|^stageVariables\.[A-Za-z0-9_]+$")
MANAGE_METHODS = ("POST", "GET", "DELETE")


@dataclass(frozen=True, kw_only=True)
class ConnectAuthorizer:
    """A REQUEST Lambda authorizer on ``$connect``. ``identity_sources``: where the credential is
    (``route.request.querystring.<name>`` or ``route.request.header.<name>``); a connect request
    without all of them is refused (401) before the function runs."""

    function: LambdaTarget
    identity_sources: tuple[str, ...] = ("route.request.querystring.token",)

    def __post_init__(self) -> None:
        validation.check(bool(self.identity_sources) and not isinstance(self.identity_sources, str)
                         and all(isinstance(s, str) and IDENTITY_SOURCE.match(s) for s in self.identity_sources),
                         self, "identity_sources",
                         "must list route.request.querystring.<name> / route.request.header.<name> expressions")


@dataclass(frozen=True)
class WebSocketRoute:
    """One route key (``$connect``, ``$disconnect``, ``$default`` or an action name) and its function."""

    route_key: str
    function: LambdaTarget

    def __post_init__(self) -> None:
        if not isinstance(self.route_key, str) or not ROUTE_KEY.match(self.route_key):
            raise ValueError(f"route {self.route_key!r}: a route key is $connect, $disconnect, $default or 1-64 "
                             "letters, digits, '_', '.', '-'")


@dataclass(frozen=True, kw_only=True)
class WebSocketApiArgs:
    """routes: the routes. connect_auth: who may connect (a ``$connect`` route is required with a
    :class:`ConnectAuthorizer`). route_selection_expression: where a frame names its route.
    stage_name: the one stage. throttling_burst_limit / throttling_rate_limit: the stage's limits on
    messages (``None``: the account's)."""

    routes: Sequence[WebSocketRoute]
    connect_auth: ConnectAuthorizer | Public
    route_selection_expression: str = "$request.body.action"
    stage_name: str = "ws"
    description: str = ""
    throttling_burst_limit: int | None = None
    throttling_rate_limit: float | None = None

    def __post_init__(self) -> None:
        validation.check(bool(self.routes) and all(isinstance(r, WebSocketRoute) for r in self.routes), self,
                         "routes", "must hold at least one WebSocketRoute")
        validation.unique(self, "routes", [r.route_key for r in self.routes])
        validation.check(isinstance(self.connect_auth, ConnectAuthorizer | Public), self, "connect_auth",
                         "must be ConnectAuthorizer(...) or Public(reason)")
        validation.check(not isinstance(self.connect_auth, ConnectAuthorizer)
                         or any(r.route_key == "$connect" for r in self.routes), self, "connect_auth",
                         "needs a $connect route to guard")
        validation.check(self.route_selection_expression.startswith("$request.body."), self,
                         "route_selection_expression", "must be a $request.body.<field> expression")
        validation.stage_name(self)
        validation.integer(self, "throttling_burst_limit", 0, None, optional=True)
        validation.number(self, "throttling_rate_limit", 0, optional=True)


def management_endpoint_of(execution_arn: str, stage: str) -> str:
    """``arn:aws:execute-api:<region>:<account>:<api>`` -> the AWS @connections endpoint of ``stage``."""
    _, partition, _, region, _, api_id = execution_arn.split(":", 5)
    suffix = "amazonaws.com.cn" if partition == "aws-cn" else "amazonaws.com"
    return f"https://{api_id}.execute-api.{region}.{suffix}/{stage}"


class WebSocketApi(PatternComponent):
    """A WebSocket API serving the given routes; ``url`` is the stage's ``wss://`` URL.

    Outputs: ``url``, ``api_id``, ``api_execution_arn``.
    """

    TYPE = "serverless-patterns:core:WebSocketApi"

    def __init__(self, name: str, args: WebSocketApiArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(name, opts)
        child = self.child
        self.stage_name = args.stage_name
        self.api = aws.apigatewayv2.Api(
            name, protocol_type="WEBSOCKET", route_selection_expression=args.route_selection_expression,
            description=args.description or None, opts=child)
        authorizer = None
        if isinstance(args.connect_auth, ConnectAuthorizer):
            authorizer = self._authorizer(f"{name}-authorizer", args.connect_auth)
        integrations: dict[int, aws.apigatewayv2.Integration] = {}
        wiring: list[pulumi.Resource] = []
        for index, route in enumerate(args.routes):
            slug = f"{name}-{re.sub(r'[^A-Za-z0-9-]', '', route.route_key.replace('_', '-')) or 'route'}-{index}"
            key = id(route.function)
            if key not in integrations:
                integrations[key] = aws.apigatewayv2.Integration(
                    f"{name}-integration-{len(integrations)}", api_id=self.api.id, integration_type="AWS_PROXY",
                    integration_method="POST", integration_uri=route.function.invoke_arn, opts=child)
            guarded = route.route_key == "$connect" and authorizer is not None
            created = aws.apigatewayv2.Route(
                slug, api_id=self.api.id, route_key=route.route_key,
                target=integrations[key].id.apply(lambda i: f"integrations/{i}"),
                authorization_type="CUSTOM" if guarded else "NONE",
                authorizer_id=authorizer.id if guarded and authorizer is not None else None,
                route_response_selection_expression=None if route.route_key in NO_REPLY else "$default",
                opts=child)
            wiring.append(created)
            if route.route_key not in NO_REPLY:
                wiring.append(aws.apigatewayv2.RouteResponse(
                    f"{slug}-response", api_id=self.api.id, route_id=created.id, route_response_key="$default",
                    opts=child))
            aws.lambda_.Permission(
                f"{slug}-permission", action="lambda:InvokeFunction", function=route.function.arn,
                principal="apigateway.amazonaws.com",
                source_arn=pulumi.Output.concat(self.api.execution_arn, "/*/", route.route_key),
                opts=child)
        deployment = aws.apigatewayv2.Deployment(
            f"{name}-deployment", api_id=self.api.id,
            triggers={"routes": ",".join(sorted(r.route_key for r in args.routes))},
            opts=pulumi.ResourceOptions(parent=self, depends_on=wiring))
        throttled = args.throttling_burst_limit is not None or args.throttling_rate_limit is not None
        self.stage = aws.apigatewayv2.Stage(
            f"{name}-stage", api_id=self.api.id, name=args.stage_name, deployment_id=deployment.id,
            default_route_settings=aws.apigatewayv2.StageDefaultRouteSettingsArgs(
                throttling_burst_limit=args.throttling_burst_limit,
                throttling_rate_limit=args.throttling_rate_limit) if throttled else None,
            opts=child)
        self.url: pulumi.Output[str] = self.stage.invoke_url
        self.api_id: pulumi.Output[str] = self.api.id
        self.execution_arn: pulumi.Output[str] = self.api.execution_arn
        self.management_endpoint: pulumi.Output[str] = self.api.execution_arn.apply(
            lambda arn: management_endpoint_of(arn, args.stage_name))
        self._publish({"url": self.url, "api_id": self.api_id, "api_execution_arn": self.execution_arn})

    def _authorizer(self, name: str, auth: ConnectAuthorizer) -> aws.apigatewayv2.Authorizer:
        """The REQUEST authorizer, and the permission for this API (only) to invoke its function."""
        aws.lambda_.Permission(
            f"{name}-permission", action="lambda:InvokeFunction", function=auth.function.arn,
            principal="apigateway.amazonaws.com",
            source_arn=self.api.execution_arn.apply(lambda arn: f"{arn}/authorizers/*"), opts=self.child)
        return aws.apigatewayv2.Authorizer(
            name, api_id=self.api.id, authorizer_type="REQUEST", authorizer_uri=auth.function.invoke_arn,
            identity_sources=list(auth.identity_sources), opts=self.child)

    def manage_connections(self, methods: Sequence[str] = ("POST",)) -> dict:
        """The IAM statement for a function that calls the @connections API of this stage with these
        methods (``POST``: PostToConnection, ``DELETE``: DeleteConnection, ``GET``: GetConnection)."""
        wrong = sorted(set(methods) - set(MANAGE_METHODS))
        if not methods or wrong:
            raise ValueError(f"manage_connections: methods must be among {MANAGE_METHODS}, got {list(methods)}")
        return iam.allow(["execute-api:ManageConnections"], [
            pulumi.Output.concat(self.api.execution_arn, f"/{self.stage_name}/{method}/@connections/*")
            for method in sorted(set(methods))])


__all__ = ["ConnectAuthorizer", "WebSocketApi", "WebSocketApiArgs", "WebSocketRoute", "management_endpoint_of"]
