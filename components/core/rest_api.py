"""``RestApi``: route wiring for API Gateway REST APIs (v1), written once.

Patterns declare routes (``Route("POST", "/counters/{name}", fn)``); this component builds the
resource tree, methods, Lambda proxy integrations, one invoke permission per route (scoped to that
method and path), a deployment that waits for every method and integration, and a stage. Every
route is authenticated as ``RestApiArgs.auth`` says (SigV4 by default) unless the route says
otherwise (:mod:`components.core.auth`).
A route may instead call an AWS service directly (``Route(..., integration=ServiceIntegration(...))``):
a non-proxy ``AWS`` integration with request templates, a role, and mapped responses.

REST v1 rather than HTTP APIs (v2): LocalStack's free image has no API Gateway v2.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import pulumi
import pulumi_aws as aws

from components.core import validation
from components.core.auth import (
    AUTHORIZATIONS,
    ApiKeyAuth,
    Authorization,
    GatewayAnswer,
    IamAuth,
    LambdaAuthorizer,
    check_auth,
)
from components.core.component import PatternComponent

# API Gateway's own refusals (no route, bad media type, throttled...) in the catalog's error body
# (docs/http-errors.md); ``code`` is API Gateway's response type there, e.g. MISSING_AUTHENTICATION_TOKEN.
GATEWAY_ERROR_TEMPLATE = '{"message":$context.error.messageString,"code":"$context.error.responseType"}'
GATEWAY_RESPONSES = {  # response type -> (status or None for the type's own, extra headers)
    "DEFAULT_4XX": (None, {}),
    "DEFAULT_5XX": (None, {}),
    "THROTTLED": ("429", {"Retry-After": "'1'"}),
    "QUOTA_EXCEEDED": ("429", {"Retry-After": "'60'"}),
}
_SEGMENT = re.compile(r"^(\{[A-Za-z_][A-Za-z0-9_]*\+?\}|[A-Za-z0-9._~-]+)$")
HTTP_METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "ANY"}


class LambdaTarget(Protocol):
    """Anything with a function ARN and invoke ARN (a ``PythonFunction`` or ``aws.lambda_.Function``)."""

    arn: pulumi.Output[str]
    invoke_arn: pulumi.Output[str]


@dataclass(frozen=True)
class ServiceResponse:
    """How one integration outcome maps to an HTTP response.

    selection_pattern: regex on the service's status/error (``None`` = the default response).
    templates: content type -> VTL template for the response body.
    headers: response header -> its value as an API Gateway mapping expression (``"'1'"`` for a literal).
    """

    status_code: str
    selection_pattern: str | None = None
    templates: Mapping[str, str] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ServiceIntegration:
    """API Gateway calls an AWS service itself (no Lambda).

    uri: e.g. ``arn:aws:apigateway:{region}:dynamodb:action/UpdateItem`` or
         ``arn:aws:apigateway:{region}:sqs:path/{account}/{queue}``.
    role_arn: a role API Gateway assumes (trusts ``apigateway.amazonaws.com``) to make the call.
    request_templates: content type -> VTL template turning the request into the service call.
    request_parameters: integration request parameters (e.g. a Content-Type header for SQS, or an S3
        object key from ``context.requestId``).
    responses: the mapped responses; the first without a selection pattern is the default.
    http_method: how API Gateway calls the service (``POST`` for actions; ``PUT`` for S3 ``PutObject``).
    """

    uri: pulumi.Input[str]
    role_arn: pulumi.Input[str]
    request_templates: Mapping[str, pulumi.Input[str]]
    request_parameters: Mapping[str, str] = field(default_factory=dict)
    responses: Sequence[ServiceResponse] = (ServiceResponse("200"),)
    http_method: str = "POST"


@dataclass(frozen=True)
class Route:
    """One HTTP method on one path, served by a Lambda function (proxy) or a service integration."""

    method: str
    path: str
    function: LambdaTarget | None = None
    integration: ServiceIntegration | None = None
    auth: Authorization | None = None  # None: the API's (RestApiArgs.auth)
    # A JSON schema (draft 4) the request body must satisfy: API Gateway validates it before the
    # integration runs (400 BAD_REQUEST_BODY, nothing called); a body that is not JSON is refused too.
    request_schema: Mapping[str, object] | None = None
    # Headers the request must carry (400 BAD_REQUEST_PARAMETERS from API Gateway when one is missing).
    required_headers: Sequence[str] = ()

    def __post_init__(self) -> None:
        if self.auth is not None and not isinstance(self.auth, AUTHORIZATIONS):
            raise ValueError(f"route {self.method} {self.path}: auth must be IamAuth, ApiKeyAuth, LambdaAuthorizer "
                             "or Public")
        if (self.function is None) == (self.integration is None):
            raise ValueError(f"route {self.method} {self.path}: give exactly one of function or integration")
        if self.method.upper() not in HTTP_METHODS:
            raise ValueError(f"route {self.path}: unknown HTTP method {self.method!r}")
        for segment in self.segments:
            if not _SEGMENT.match(segment):
                raise ValueError(f"route {self.path}: invalid path segment {segment!r}")

    @property
    def segments(self) -> list[str]:
        return [s for s in self.path.strip("/").split("/") if s]

    @property
    def source_arn_suffix(self) -> str:
        """``/*/METHOD/path`` with path parameters as wildcards, for the invoke permission."""
        method = "*" if self.method.upper() == "ANY" else self.method.upper()
        path = "/".join("*" if s.startswith("{") else s for s in self.segments)
        return f"/*/{method}/{path}"


@dataclass(frozen=True, kw_only=True)
class RestApiArgs:
    """routes: the routes to serve. auth: who may call them (a route may override it; default: SigV4).
    stage_name: the one stage deployed. description: on the API."""

    routes: Sequence[Route]
    auth: Authorization = field(default_factory=IamAuth)
    stage_name: str = "api"
    description: str = ""

    def __post_init__(self) -> None:
        check_auth(self)
        validation.check(bool(self.routes), self, "routes", "must hold at least one route")
        validation.stage_name(self)
        keys = [f"{r.method.upper()} /{'/'.join(r.segments)}" for r in self.routes]
        validation.unique(self, "routes", keys)
        chosen = [r.auth or self.auth for r in self.routes]
        answers: dict[str, GatewayAnswer] = {}
        for auth in chosen:
            for response_type, answer in (auth.gateway_responses.items() if isinstance(auth, LambdaAuthorizer) else ()):
                validation.check(answers.setdefault(response_type, answer) == answer, self, "routes",
                                 f"must not hold authorizers answering {response_type} differently")
        validation.check(not ("ACCESS_DENIED" in answers and any(isinstance(a, IamAuth) for a in chosen)), self,
                         "routes", "must not mix IamAuth routes with an authorizer that answers ACCESS_DENIED its own "
                         "way (an IAM refusal would be answered the same way): give them separate APIs")

    @property
    def gateway_answers(self) -> dict[str, GatewayAnswer]:
        """The gateway responses the routes' authorizers ask for (checked consistent above)."""
        return {t: a for r in self.routes if isinstance(r.auth or self.auth, LambdaAuthorizer)
                for t, a in (r.auth or self.auth).gateway_responses.items()}  # type: ignore[union-attr]


class RestApi(PatternComponent):
    """A REST API serving the given routes; ``url`` is the stage's invoke URL.

    Outputs: ``url``, ``api_id``, ``api_execution_arn``; with API keys also ``api_key_ids`` (key
    name -> id; read a key's value with ``apigateway get-api-key --include-value``).
    """

    TYPE = "serverless-patterns:core:RestApi"
    LEGACY_TYPES = ("serverless-patterns:rest_api:RestApi",)

    api: aws.apigateway.RestApi
    stage: aws.apigateway.Stage
    url: pulumi.Output[str]
    api_id: pulumi.Output[str]
    execution_arn: pulumi.Output[str]

    def __init__(self, name: str, args: RestApiArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(name, opts)
        child = self.child
        self.api = aws.apigateway.RestApi(name, description=args.description or None, opts=child)
        self._validator: aws.apigateway.RequestValidator | None = None
        resources: dict[str, pulumi.Output[str]] = {"": self.api.root_resource_id}
        wiring: list[pulumi.Resource] = []
        authorizers: dict[LambdaAuthorizer, aws.apigateway.Authorizer] = {}
        for index, route in enumerate(args.routes):
            resource_id = self._resource_for(name, route.segments, resources)
            method_name = route.method.upper()
            slug = f"{name}-{method_name.lower()}-{index}"
            auth = route.auth or args.auth
            authorizer = None
            if isinstance(auth, LambdaAuthorizer):
                if auth not in authorizers:
                    authorizers[auth] = self._authorizer(f"{name}-authorizer-{len(authorizers)}", auth)
                authorizer = authorizers[auth]
            model: aws.apigateway.Model | None = None
            validator: aws.apigateway.RequestValidator | None = None
            if route.request_schema is not None or route.required_headers:
                validator = self._request_validator(name)
            if route.request_schema is not None:
                model = aws.apigateway.Model(
                    f"{slug}-model", rest_api=self.api.id, name=f"Body{index}", content_type="application/json",
                    schema=json.dumps(route.request_schema), opts=child)
            method = aws.apigateway.Method(
                f"{slug}-method",
                rest_api=self.api.id,
                resource_id=resource_id,
                http_method=method_name,
                authorization=auth.method_authorization,
                authorizer_id=authorizer.id if authorizer else None,
                api_key_required=isinstance(auth, ApiKeyAuth) or None,
                request_models={"application/json": model.name} if model else None,
                request_parameters={f"method.request.header.{h}": True for h in route.required_headers} or None,
                request_validator_id=validator.id if validator else None,
                opts=child,
            )
            if route.function is not None:
                wiring += self._lambda_route(slug, route, route.function, resource_id, method)
            else:
                assert route.integration is not None
                wiring += self._service_route(slug, route.integration, resource_id, method)
        wiring += self._gateway_responses(name, args.gateway_answers)
        routes_digest = hashlib.sha256(  # redeploy when the set of routes changes
            json.dumps(sorted(f"{r.method.upper()} {r.path}" + (f" {json.dumps(r.request_schema, sort_keys=True)}"
                                                          if r.request_schema is not None else "")
                          for r in args.routes)).encode()
        ).hexdigest()
        deployment = aws.apigateway.Deployment(
            f"{name}-deployment",
            rest_api=self.api.id,
            triggers={"routes": routes_digest},
            opts=pulumi.ResourceOptions(parent=self, depends_on=wiring),
        )
        self.stage = aws.apigateway.Stage(
            f"{name}-stage",
            rest_api=self.api.id,
            deployment=deployment.id,
            stage_name=args.stage_name,
            opts=child,
        )
        self.url = self.stage.invoke_url
        self.api_id = self.api.id
        self.execution_arn = self.api.execution_arn
        outputs: dict[str, object] = {"url": self.url, "api_id": self.api_id,
                                      "api_execution_arn": self.execution_arn}
        key_plans = list(dict.fromkeys(a for a in (r.auth or args.auth for r in args.routes)
                                       if isinstance(a, ApiKeyAuth)))
        self.api_key_ids: pulumi.Output[dict[str, str]] | None = None
        if key_plans:
            self.api_key_ids = self._usage_plans(name, key_plans)
            outputs["api_key_ids"] = self.api_key_ids
        self._publish(outputs)

    def _request_validator(self, name: str) -> aws.apigateway.RequestValidator:
        """The API's one request validator (a route's body schema and required headers), created for the
        first route that has either."""
        if self._validator is None:
            self._validator = aws.apigateway.RequestValidator(
                f"{name}-validator", rest_api=self.api.id, name="body-and-headers", validate_request_body=True,
                validate_request_parameters=True, opts=self.child)
        return self._validator

    @property
    def auth_outputs(self) -> dict[str, pulumi.Output]:
        """What a pattern re-exports about its API's authentication (its API key ids, if any)."""
        return {"api_key_ids": self.api_key_ids} if self.api_key_ids is not None else {}

    def _authorizer(self, name: str, auth: LambdaAuthorizer) -> aws.apigateway.Authorizer:
        """A Lambda authorizer, and the permission for this API (only) to invoke its function."""
        aws.lambda_.Permission(
            f"{name}-permission",
            action="lambda:InvokeFunction",
            function=auth.function.arn,
            principal="apigateway.amazonaws.com",
            source_arn=self.api.execution_arn.apply(lambda arn: f"{arn}/authorizers/*"),
            opts=self.child,
        )
        return aws.apigateway.Authorizer(
            name,
            rest_api=self.api.id,
            type=auth.kind,
            authorizer_uri=auth.function.invoke_arn,
            identity_source=auth.identity_source,
            authorizer_result_ttl_in_seconds=auth.result_ttl_seconds,
            opts=self.child,
        )

    def _usage_plans(self, name: str, auths: list[ApiKeyAuth]) -> pulumi.Output[dict[str, str]]:
        """One usage plan per ``ApiKeyAuth`` (per tier, with tiers) on this stage, and its named keys;
        returns name -> key id."""
        plans = [plan for auth in auths for plan in auth.plans]
        names = [key for plan in plans for key in plan.keys]
        if len(set(names)) != len(names):
            raise ValueError(f"RestApi {name}: API key names must be unique across its usage plans, got {names}")
        ids: dict[str, pulumi.Output[str]] = {}
        for index, plan in enumerate(plans):
            usage_plan = aws.apigateway.UsagePlan(
                f"{name}-plan-{index}",
                api_stages=[aws.apigateway.UsagePlanApiStageArgs(api_id=self.api.id, stage=self.stage.stage_name)],
                throttle_settings=aws.apigateway.UsagePlanThrottleSettingsArgs(
                    rate_limit=plan.rate_limit, burst_limit=plan.burst_limit)
                if plan.rate_limit is not None or plan.burst_limit is not None else None,
                quota_settings=aws.apigateway.UsagePlanQuotaSettingsArgs(limit=plan.quota_limit,
                                                                         period=plan.quota_period)
                if plan.quota_limit is not None else None,
                opts=self.child,
            )
            for key_name in plan.keys:
                key = aws.apigateway.ApiKey(f"{name}-key-{key_name}", opts=self.child)
                aws.apigateway.UsagePlanKey(f"{name}-key-{key_name}-plan", key_id=key.id, key_type="API_KEY",
                                            usage_plan_id=usage_plan.id, opts=self.child)
                ids[key_name] = key.id
        return pulumi.Output.all(**ids)

    def _gateway_responses(self, name: str, answers: Mapping[str, GatewayAnswer]) -> list[pulumi.Resource]:
        """API Gateway's own error responses in the catalog's body shape, with Retry-After on 429, and
        those the API's authorizers ask for (``LambdaAuthorizer.gateway_responses``)."""
        chosen: dict[str, tuple[str | None, Mapping[str, str], str]] = {
            t: (status, headers, GATEWAY_ERROR_TEMPLATE) for t, (status, headers) in GATEWAY_RESPONSES.items()}
        for response_type, answer in answers.items():
            chosen[response_type] = (answer.status, answer.headers, answer.template or GATEWAY_ERROR_TEMPLATE)
        return [
            aws.apigateway.Response(
                f"{name}-{response_type.lower().replace('_', '-')}",
                rest_api_id=self.api.id,
                response_type=response_type,
                status_code=status,
                response_templates={"application/json": template},
                response_parameters={f"gatewayresponse.header.{h}": v for h, v in headers.items()} or None,
                opts=pulumi.ResourceOptions(parent=self),
            )
            for response_type, (status, headers, template) in chosen.items()
        ]

    def _lambda_route(
        self, slug: str, route: Route, function: LambdaTarget, resource_id: pulumi.Output[str],
        method: aws.apigateway.Method,
    ) -> list[pulumi.Resource]:
        child = pulumi.ResourceOptions(parent=self)
        integration = aws.apigateway.Integration(
            f"{slug}-integration",
            rest_api=self.api.id,
            resource_id=resource_id,
            http_method=method.http_method,
            type="AWS_PROXY",
            integration_http_method="POST",
            uri=function.invoke_arn,
            opts=child,
        )
        aws.lambda_.Permission(
            f"{slug}-permission",
            action="lambda:InvokeFunction",
            function=function.arn,
            principal="apigateway.amazonaws.com",
            source_arn=self.api.execution_arn.apply(lambda arn: arn + route.source_arn_suffix),
            opts=child,
        )
        return [method, integration]

    def _service_route(
        self, slug: str, spec: ServiceIntegration, resource_id: pulumi.Output[str], method: aws.apigateway.Method
    ) -> list[pulumi.Resource]:
        child = pulumi.ResourceOptions(parent=self)
        integration = aws.apigateway.Integration(
            f"{slug}-integration",
            rest_api=self.api.id,
            resource_id=resource_id,
            http_method=method.http_method,
            type="AWS",
            integration_http_method=spec.http_method,
            uri=spec.uri,
            credentials=spec.role_arn,
            request_templates=dict(spec.request_templates),
            request_parameters=dict(spec.request_parameters) or None,
            passthrough_behavior="NEVER",
            opts=child,
        )
        wired: list[pulumi.Resource] = [method, integration]
        for response in spec.responses:
            method_response = aws.apigateway.MethodResponse(
                f"{slug}-response-{response.status_code}",
                rest_api=self.api.id,
                resource_id=resource_id,
                http_method=method.http_method,
                status_code=response.status_code,
                response_parameters={f"method.response.header.{h}": True for h in response.headers} or None,
                opts=child,
            )
            integration_response = aws.apigateway.IntegrationResponse(
                f"{slug}-integration-response-{response.status_code}",
                rest_api=self.api.id,
                resource_id=resource_id,
                http_method=method.http_method,
                status_code=response.status_code,
                selection_pattern=response.selection_pattern,
                response_templates=dict(response.templates) or None,
                response_parameters={f"method.response.header.{h}": v for h, v in response.headers.items()} or None,
                opts=pulumi.ResourceOptions(parent=self, depends_on=[integration, method_response]),
            )
            wired += [method_response, integration_response]
        return wired

    def _resource_for(
        self, name: str, segments: list[str], resources: dict[str, pulumi.Output[str]]
    ) -> pulumi.Output[str]:
        """The id of the API resource for this path, creating each missing segment once."""
        for depth in range(1, len(segments) + 1):
            path = "/".join(segments[:depth])
            if path not in resources:
                logical = re.sub(r"[^A-Za-z0-9_-]", "", path.replace("/", "-").replace("{", "_").replace("}", "_"))
                resource = aws.apigateway.Resource(
                    f"{name}-res-{logical}",
                    rest_api=self.api.id,
                    parent_id=resources["/".join(segments[: depth - 1])],
                    path_part=segments[depth - 1],
                    opts=pulumi.ResourceOptions(parent=self),
                )
                resources[path] = resource.id
        return resources["/".join(segments)]


def sqs_integration_uri(queue_arn: str) -> str:
    """``arn:aws:sqs:<region>:<account>:<queue>`` -> the API Gateway URI that sends to that queue."""
    _, partition, _, region, account, queue = queue_arn.split(":", 5)
    return f"arn:{partition}:apigateway:{region}:sqs:path/{account}/{queue}"


def service_path_uri(regional_arn: str, service: str, path: str) -> str:
    """The API Gateway URI calling ``service`` on ``path`` (``s3``, ``<bucket>/{key}``) in the region of
    ``regional_arn`` (any ARN of that region: an S3 bucket's ARN names none)."""
    _, partition, _, region, _ = regional_arn.split(":", 4)
    return f"arn:{partition}:apigateway:{region}:{service}:path/{path}"


def service_action_uri(resource_arn: str, service: str, action: str) -> str:
    """The API Gateway URI calling ``service``'s ``action`` (``dynamodb``, ``UpdateItem``) in the region of
    ``resource_arn``."""
    _, partition, _, region, _ = resource_arn.split(":", 4)
    return f"arn:{partition}:apigateway:{region}:{service}:action/{action}"
