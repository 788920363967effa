"""Run a Pulumi program under the SDK's mocks and return what it registered (type, name, inputs),
with provider-computed outputs (ARNs, URLs, names) filled in plausibly."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pulumi

ACCOUNT = "123456789012"


@dataclass
class Registered:
    type: str
    name: str
    inputs: dict[str, Any]


class RecordingMocks(pulumi.runtime.Mocks):
    def __init__(self) -> None:
        self.resources: list[Registered] = []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        self.resources.append(Registered(args.typ, args.name, dict(args.inputs)))
        service = args.typ.split(":")[1].split("/")[0]
        outputs = {"arn": f"arn:aws:{service}:us-east-1:{ACCOUNT}:{args.name}", "name": args.name,
                   **args.inputs}
        if args.typ == "aws:sqs/queue:Queue":
            outputs["url"] = f"https://sqs.us-east-1.amazonaws.com/{ACCOUNT}/{args.name}"
        if args.typ == "aws:dynamodb/table:Table":
            outputs["arn"] = f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/{args.name}"
        if args.typ == "aws:lambda/function:Function":
            outputs["arn"] = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:{args.name}"
            outputs["invokeArn"] = f"arn:aws:apigateway:us-east-1:lambda:path/functions/{outputs['arn']}/invocations"
        if args.typ == "aws:apigateway/restApi:RestApi":
            outputs.update(rootResourceId="root", executionArn=f"arn:aws:execute-api:us-east-1:{ACCOUNT}:{args.name}")
        if args.typ == "aws:apigateway/stage:Stage":
            outputs["invokeUrl"] = f"https://{args.name}.execute-api.us-east-1.amazonaws.com/api"
        return f"{args.name}-id", outputs

    def call(self, args: pulumi.runtime.MockCallArgs) -> dict[str, Any]:
        return {}

    def of_type(self, token: str) -> list[Registered]:
        return [r for r in self.resources if r.type == token]

    def named(self, name: str) -> Registered:
        """The AWS resource (not a component) called ``name``."""
        return next(r for r in self.resources if r.name == name and r.type.startswith("aws:"))


def register(program: Callable[[], Any]) -> RecordingMocks:
    """Run ``program`` (which creates resources and may return an Output) to completion under mocks."""
    mocks = RecordingMocks()
    pulumi.runtime.set_mocks(mocks, preview=False)
    pulumi.runtime.test(program)()
    return mocks
