"""Pulumi-mock harness: build components without any cloud and inspect what they declare."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pulumi
import pytest

ACCOUNT, REGION = "123456789012", "us-east-1"


@dataclass
class Declared:
    typ: str
    name: str
    inputs: dict[str, Any]


class RecordingMocks(pulumi.runtime.Mocks):
    """Records every resource and answers with the computed outputs the provider would give."""

    def __init__(self) -> None:
        self.declared: list[Declared] = []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs):
        self.declared.append(Declared(args.typ, args.name, dict(args.inputs)))
        outputs = dict(args.inputs)
        physical = f"{args.name}-id"
        if args.typ == "aws:lambda/function:Function":
            arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{args.name}"
            outputs.update(arn=arn, name=args.name,
                           invokeArn=f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/{arn}/invocations")
        elif args.typ == "aws:apigateway/restApi:RestApi":
            outputs.update(rootResourceId="root-id", executionArn=f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{physical}")
        elif args.typ == "aws:apigateway/stage:Stage":
            outputs["invokeUrl"] = f"https://api-id.execute-api.{REGION}.amazonaws.com/{args.inputs['stageName']}"
        elif args.typ == "aws:iam/role:Role":
            outputs.update(arn=f"arn:aws:iam::{ACCOUNT}:role/{args.name}", name=args.name)
        elif args.typ == "aws:lambda/layerVersion:LayerVersion":
            outputs["arn"] = f"arn:aws:lambda:{REGION}:{ACCOUNT}:layer:{args.inputs['layerName']}:1"
        elif "arn" not in outputs:
            service = args.typ.split(":")[1].split("/")[0]
            outputs.update(arn=f"arn:aws:{service}:{REGION}:{ACCOUNT}:{args.name}", name=outputs.get("name", args.name))
        return physical, outputs

    def call(self, args: pulumi.runtime.MockCallArgs):
        return {}

    def of_type(self, typ: str) -> list[Declared]:
        return [d for d in self.declared if d.typ == typ]

    def one(self, typ: str, name_suffix: str = "") -> Declared:
        found = [d for d in self.of_type(typ) if d.name.endswith(name_suffix)]
        assert len(found) == 1, f"expected one {typ} named *{name_suffix}, found {[d.name for d in found]}"
        return found[0]

    def policy_statements(self, name_suffix: str = "") -> list[dict[str, Any]]:
        return json.loads(self.one("aws:iam/rolePolicy:RolePolicy", name_suffix).inputs["policy"])["Statement"]


@pytest.fixture(scope="session")
def build_dir(tmp_path_factory) -> str:
    """One build folder for the session, so each dependency layer is built with pip once."""
    return str(tmp_path_factory.mktemp("build"))


@pytest.fixture
def mocks(build_dir, monkeypatch) -> RecordingMocks:
    monkeypatch.setenv("SERVERLESS_PATTERNS_BUILD_DIR", build_dir)
    recorder = RecordingMocks()
    pulumi.runtime.set_mocks(recorder, project="serverless-patterns", stack="unit", preview=False)
    return recorder


@pytest.fixture
def build(mocks) -> Callable[[Callable[[], Any]], RecordingMocks]:
    """``build(lambda: Component(...))`` runs the constructor and waits until every child is registered."""

    def run(constructor: Callable[[], Any]) -> RecordingMocks:
        @pulumi.runtime.test
        def program():
            constructor()

        program()
        return mocks

    return run
