"""``PythonFunction``: a Lambda function from a ``functions/`` package, with its own role.

The role trusts Lambda and carries one inline policy with exactly the statements the pattern
passes, plus writing to the function's own log group (created here, with a retention), so each
function gets least privilege. Third-party requirements listed in
the package's ``requirements.txt`` are bundled into the function's archive (every target runs them;
LocalStack's free image ignores layers), or put in a layer on request (see
:mod:`components.core.packaging`).
A pattern hands its configuration to the function with :func:`handoff`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import pulumi
import pulumi_aws as aws

from components.core import iam, packaging, validation
from components.core.component import PatternComponent
from functions.common.config import HandoffConfig, to_document


def handoff(config_type: type[HandoffConfig], **fields: Any) -> dict[str, pulumi.Output[str]]:
    """The environment carrying a pattern's configuration: ``{config_type.VARIABLE: <JSON>}``.

    ``fields`` are the dataclass's fields; values may be Outputs (table names, ARNs...). The
    document is built by the same dataclass the handler reads it with, so it is validated at deploy.
    """
    deferred = {k: v for k, v in fields.items() if isinstance(v, pulumi.Output)}
    plain = {k: to_document(v) for k, v in fields.items() if k not in deferred}

    def render(resolved: dict[str, Any]) -> str:
        return config_type.from_document({**plain, **to_document(resolved)}).to_json()

    document = pulumi.Output.all(**deferred).apply(render) if deferred else pulumi.Output.from_input(render({}))
    return {config_type.VARIABLE: document}


LOG_RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
                      3288, 3653)


def function_name(name: str) -> str:
    """The function's physical name: the logical name plus a suffix fixed by project and stack, so
    its log group (and the role's right to write there) can be named before the function exists."""
    digest = hashlib.sha256(f"{pulumi.get_project()}/{pulumi.get_stack()}/{name}".encode()).hexdigest()[:7]
    return f"{name[:56]}-{digest}"


@dataclass(frozen=True, kw_only=True)
class PythonFunctionArgs:
    """How to build and run one handler.

    package: the handler package under ``functions/`` (e.g. ``"counter"``).
    handler: ``module.function`` inside that package.
    statements: IAM statements the handler needs (see :mod:`components.core.iam`); logs are added.
    environment: environment variables (values may be Outputs); see :func:`handoff`.
    timeout / memory_size: Lambda settings, seconds / MB.
    reserved_concurrency: reserved concurrent executions; ``None`` leaves it unreserved.
    extra_files: more code in the archive: archive path (``my_jobs.py``, ``my_pkg/``) -> file or folder.
    shared_packages: other packages under ``functions/`` the handler imports (``functions/common`` is always in).
    dependencies: where the package's ``requirements.txt`` goes: ``bundle`` (in the archive, runs
        everywhere) or ``layer`` (a layer version; AWS only, LocalStack's free image ignores layers).
    layers: extra layer ARNs.
    log_retention_days: how long the function's log group keeps its logs (a CloudWatch Logs value).
    """

    package: str
    handler: str = "handler.handler"
    statements: Sequence[dict[str, Any]] = ()
    environment: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    timeout: int = 10
    memory_size: int = 256
    reserved_concurrency: int | None = None
    extra_files: Mapping[str, str] = field(default_factory=dict)
    shared_packages: Sequence[str] = ()
    dependencies: Literal["bundle", "layer"] = "bundle"
    log_retention_days: int = 14
    layers: Sequence[pulumi.Input[str]] = ()
    runtime: str = packaging.DEFAULT_RUNTIME

    def __post_init__(self) -> None:
        validation.check(isinstance(self.package, str) and self.package.isidentifier(), self, "package",
                         "must name a package under functions/")
        validation.check(isinstance(self.handler, str) and "." in self.handler, self, "handler",
                         "must be 'module.function'")
        validation.integer(self, "timeout", 1, 900)
        validation.integer(self, "memory_size", 128, 10240)
        validation.integer(self, "reserved_concurrency", 0, None, optional=True)
        validation.one_of(self, "dependencies", ("bundle", "layer"))
        validation.one_of(self, "log_retention_days", LOG_RETENTION_DAYS)


class PythonFunction(PatternComponent):
    """A Lambda function, its role and inline policy, and its dependency layer."""

    TYPE = "serverless-patterns:core:PythonFunction"
    LEGACY_TYPES = ("serverless-patterns:function:PythonFunction",)

    function: aws.lambda_.Function
    role: aws.iam.Role
    arn: pulumi.Output[str]
    name: pulumi.Output[str]
    invoke_arn: pulumi.Output[str]

    def __init__(self, name: str, args: PythonFunctionArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(name, opts)
        child = self.child
        physical_name = function_name(name)
        self.log_group = aws.cloudwatch.LogGroup(
            f"{name}-logs", name=f"/aws/lambda/{physical_name}", retention_in_days=args.log_retention_days, opts=child)
        self.role = aws.iam.Role(f"{name}-role", assume_role_policy=iam.LAMBDA_ASSUME_ROLE, opts=child)
        policy = aws.iam.RolePolicy(
            f"{name}-policy",
            role=self.role.name,
            policy=iam.policy_document([iam.logs_statement(self.log_group.arn), *args.statements]),
            opts=child,
        )
        layers = list(args.layers)
        requirements = packaging.requirements_of(args.package)
        if requirements and args.dependencies == "layer":
            layer = aws.lambda_.LayerVersion(
                f"{name}-deps",
                layer_name=f"{name}-deps-{packaging.requirements_hash(requirements, args.runtime)}",
                code=pulumi.FileArchive(str(packaging.layer_archive(requirements, args.runtime))),
                compatible_runtimes=[args.runtime],
                opts=child,
            )
            layers.insert(0, layer.arn)
        self.function = aws.lambda_.Function(
            name,
            name=physical_name,
            role=self.role.arn,
            runtime=args.runtime,
            handler=f"functions.{args.package}.{args.handler}",
            code=pulumi.FileArchive(str(packaging.function_archive(
                args.package, shared=(*packaging.DEFAULT_SHARED, *args.shared_packages), extra_files=args.extra_files,
                runtime=args.runtime,
                requirements=requirements if args.dependencies == "bundle" else None))),
            timeout=args.timeout,
            memory_size=args.memory_size,
            layers=layers or None,
            reserved_concurrent_executions=args.reserved_concurrency,
            environment=aws.lambda_.FunctionEnvironmentArgs(variables=dict(args.environment))
            if args.environment
            else None,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[policy, self.log_group],
                                        delete_before_replace=True),  # a fixed name cannot exist twice
        )
        self.arn = self.function.arn
        self.name = self.function.name
        self.invoke_arn = self.function.invoke_arn
        self._publish({"function_arn": self.arn, "function_name": self.name, "function_invoke_arn": self.invoke_arn})
