"""``RestApi``: route -> Lambda wiring for API Gateway REST APIs (v1), written once.

Patterns declare routes (``Route("POST", "/counters/{name}", fn)``); this component builds the
resource tree, methods, Lambda proxy integrations, one invoke permission per route (scoped to that
method and path), a deployment that waits for every method and integration, and a stage.

REST v1 rather than HTTP APIs (v2): LocalStack's free image has no API Gateway v2.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import pulumi
import pulumi_aws as aws

_SEGMENT = re.compile(r"^(\{[A-Za-z_][A-Za-z0-9_]*\+?\}|[A-Za-z0-9._~-]+)$")
HTTP_METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "ANY"}


class LambdaTarget(Protocol):
    """Anything with a function ARN and invoke ARN (a ``PythonFunction`` or ``aws.lambda_.Function``)."""

    arn: pulumi.Output[str]
    invoke_arn: pulumi.Output[str]


@dataclass(frozen=True)
class Route:
    """One HTTP method on one path, served by a Lambda function through a proxy integration."""

    method: str
    path: str
    function: LambdaTarget

    def __post_init__(self) -> None:
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


@dataclass
class RestApiArgs:
    """routes: the routes to serve. stage_name: the one stage deployed. description: on the API."""

    routes: Sequence[Route]
    stage_name: str = "api"
    description: str = ""


class RestApi(pulumi.ComponentResource):
    """A REST API serving the given routes; ``url`` is the stage's invoke URL."""

    api: aws.apigateway.RestApi
    stage: aws.apigateway.Stage
    url: pulumi.Output[str]
    api_id: pulumi.Output[str]
    execution_arn: pulumi.Output[str]

    def __init__(self, name: str, args: RestApiArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("serverless-patterns:rest_api:RestApi", name, None, opts)
        if not args.routes:
            raise ValueError("a RestApi needs at least one route")
        seen = set()
        for route in args.routes:
            key = (route.method.upper(), "/" + "/".join(route.segments))
            if key in seen:
                raise ValueError(f"duplicate route {key[0]} {key[1]}")
            seen.add(key)
        child = pulumi.ResourceOptions(parent=self)
        self.api = aws.apigateway.RestApi(name, description=args.description or None, opts=child)
        resources: dict[str, pulumi.Output[str]] = {"": self.api.root_resource_id}
        wiring: list[pulumi.Resource] = []
        for index, route in enumerate(args.routes):
            resource_id = self._resource_for(name, route.segments, resources)
            method_name = route.method.upper()
            slug = f"{name}-{method_name.lower()}-{index}"
            method = aws.apigateway.Method(
                f"{slug}-method",
                rest_api=self.api.id,
                resource_id=resource_id,
                http_method=method_name,
                authorization="NONE",
                opts=child,
            )
            integration = aws.apigateway.Integration(
                f"{slug}-integration",
                rest_api=self.api.id,
                resource_id=resource_id,
                http_method=method.http_method,
                type="AWS_PROXY",
                integration_http_method="POST",
                uri=route.function.invoke_arn,
                opts=child,
            )
            aws.lambda_.Permission(
                f"{slug}-permission",
                action="lambda:InvokeFunction",
                function=route.function.arn,
                principal="apigateway.amazonaws.com",
                source_arn=self.api.execution_arn.apply(lambda arn, r=route: arn + r.source_arn_suffix),
                opts=child,
            )
            wiring += [method, integration]
        routes_digest = hashlib.sha256(
            json.dumps(sorted(f"{r.method.upper()} {r.path}" for r in args.routes)).encode()
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
        self.register_outputs({"url": self.url, "api_id": self.api_id, "execution_arn": self.execution_arn})

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
