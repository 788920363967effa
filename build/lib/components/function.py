"""``PythonFunction``: a Lambda function from a ``functions/`` package, with its own role.

The role trusts Lambda and carries one inline policy with exactly the statements the pattern
passes (plus log writing), so each function gets least privilege. Third-party requirements listed in
the package's ``requirements.txt`` are packaged as a layer (see :mod:`components.packaging`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from components import iam, packaging


@dataclass
class PythonFunctionArgs:
    """How to build and run one handler.

    package: the handler package under ``functions/`` (e.g. ``"counter"``).
    handler: ``module.function`` inside that package.
    statements: IAM statements the handler needs (see :mod:`components.iam`); logs are added.
    environment: environment variables (values may be Outputs).
    timeout / memory_size: Lambda settings, seconds / MB.
    reserved_concurrency: reserved concurrent executions; ``None`` leaves it unreserved.
    layers: extra layer ARNs; the package's own requirements layer is added automatically.
    """

    package: str
    handler: str = "handler.handler"
    statements: Sequence[dict[str, Any]] = ()
    environment: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    timeout: int = 10
    memory_size: int = 256
    reserved_concurrency: int | None = None
    layers: Sequence[pulumi.Input[str]] = ()
    runtime: str = packaging.DEFAULT_RUNTIME


class PythonFunction(pulumi.ComponentResource):
    """A Lambda function, its role and inline policy, and its dependency layer."""

    function: aws.lambda_.Function
    role: aws.iam.Role
    arn: pulumi.Output[str]
    name: pulumi.Output[str]
    invoke_arn: pulumi.Output[str]

    def __init__(self, name: str, args: PythonFunctionArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("serverless-patterns:function:PythonFunction", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.role = aws.iam.Role(f"{name}-role", assume_role_policy=iam.LAMBDA_ASSUME_ROLE, opts=child)
        policy = aws.iam.RolePolicy(
            f"{name}-policy",
            role=self.role.name,
            policy=iam.policy_document([iam.logs_statement(), *args.statements]),
            opts=child,
        )
        layers = list(args.layers)
        requirements = packaging.requirements_of(args.package)
        if requirements:
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
            role=self.role.arn,
            runtime=args.runtime,
            handler=f"functions.{args.package}.{args.handler}",
            code=pulumi.FileArchive(str(packaging.function_archive(args.package))),
            timeout=args.timeout,
            memory_size=args.memory_size,
            layers=layers or None,
            reserved_concurrent_executions=args.reserved_concurrency,
            environment=aws.lambda_.FunctionEnvironmentArgs(variables=dict(args.environment))
            if args.environment
            else None,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[policy]),
        )
        self.arn = self.function.arn
        self.name = self.function.name
        self.invoke_arn = self.function.invoke_arn
        self.register_outputs({"arn": self.arn, "name": self.name, "invoke_arn": self.invoke_arn})
