"""The one Pulumi-mock harness: run a program or a component under the SDK's mocks, record every
resource it declares, and answer with the outputs the provider would compute, in AWS's own ARN and
URL shapes (``arn:aws:dynamodb:...:table/<name>``, an SQS queue URL, a Lambda invoke ARN...).

Used by the component tests (``mocks`` / ``build`` fixtures in ``conftest.py``) and by the test
that runs every documentation example.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pulumi

ACCOUNT, REGION = "123456789012", "us-east-1"


@dataclass
class Declared:
    """One resource as the program declared it: type token, logical name, inputs."""

    typ: str
    name: str
    inputs: dict[str, Any]


def _arn(service: str, resource: str, region: str = REGION, account: str = ACCOUNT) -> str:
    return f"arn:aws:{service}:{region}:{account}:{resource}"


def provider_outputs(typ: str, name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    """The computed outputs of one resource, as the aws provider would return them."""
    physical = inputs.get("name") or name
    outputs: dict[str, Any] = {"name": physical}
    match typ:
        case "aws:dynamodb/table:Table":
            outputs["arn"] = _arn("dynamodb", f"table/{physical}")
            if inputs.get("streamEnabled"):
                outputs["streamArn"] = _arn("dynamodb", f"table/{physical}/stream/2026-01-01T00:00:00.000")
        case "aws:s3/bucket:Bucket":
            physical = inputs.get("bucket") or name
            outputs.update(bucket=physical, arn=f"arn:aws:s3:::{physical}")
        case "aws:sqs/queue:Queue":
            outputs.update(arn=_arn("sqs", physical), url=f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/{physical}")
        case "aws:sns/topic:Topic":
            outputs["arn"] = _arn("sns", physical)
        case "aws:lambda/function:Function":
            arn = _arn("lambda", f"function:{physical}")
            outputs.update(arn=arn, invokeArn=f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/{arn}"
                                              "/invocations")
        case "aws:lambda/layerVersion:LayerVersion":
            outputs["arn"] = _arn("lambda", f"layer:{inputs['layerName']}:1")
        case "aws:iam/role:Role":
            outputs["arn"] = f"arn:aws:iam::{ACCOUNT}:role/{physical}"
        case "aws:cloudwatch/eventBus:EventBus":
            outputs["arn"] = _arn("events", f"event-bus/{physical}")
        case "aws:cloudwatch/eventRule:EventRule":
            outputs["arn"] = _arn("events", f"rule/{physical}")
        case "aws:cloudwatch/eventArchive:EventArchive":
            outputs["arn"] = _arn("events", f"archive/{physical}")
        case "aws:sfn/stateMachine:StateMachine":
            outputs["arn"] = _arn("states", f"stateMachine:{physical}")
        case "aws:secretsmanager/secret:Secret":
            outputs["arn"] = _arn("secretsmanager", f"secret:{physical}-AbCdEf")
        case "aws:cloudwatch/logGroup:LogGroup":  # the provider drops the API's ":*" suffix
            outputs["arn"] = _arn("logs", f"log-group:{physical}")
        case "aws:ssm/parameter:Parameter":
            outputs["arn"] = _arn("ssm", f"parameter/{physical}")
        case "aws:apigateway/restApi:RestApi":
            outputs.update(rootResourceId="root-id", executionArn=_arn("execute-api", f"{name}-id"))
        case "aws:apigatewayv2/api:Api":
            outputs.update(apiEndpoint=f"wss://{name}-id.execute-api.{REGION}.amazonaws.com",
                           executionArn=_arn("execute-api", f"{name}-id"))
        case "aws:apigatewayv2/stage:Stage":
            outputs.update(invokeUrl=f"wss://api-id.execute-api.{REGION}.amazonaws.com/{inputs['name']}",
                           executionArn=_arn("execute-api", f"api-id/{inputs['name']}"))
        case "aws:apigateway/stage:Stage":
            outputs["invokeUrl"] = f"https://{name}-id.execute-api.{REGION}.amazonaws.com/{inputs['stageName']}"
        case _:
            outputs["arn"] = _arn(typ.split(":")[1].split("/")[0], physical)
    return outputs


class RecordingMocks(pulumi.runtime.Mocks):
    """Records every resource and answers with the computed outputs the provider would give."""

    def __init__(self) -> None:
        self.declared: list[Declared] = []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        inputs = dict(args.inputs)
        self.declared.append(Declared(args.typ, args.name, inputs))
        return f"{args.name}-id", {**inputs, **provider_outputs(args.typ, args.name, inputs)}

    def call(self, args: pulumi.runtime.MockCallArgs) -> dict[str, Any]:
        return {}  # the components read no data source

    def of_type(self, typ: str) -> list[Declared]:
        return [d for d in self.declared if d.typ == typ]

    def one(self, typ: str, name_suffix: str = "") -> Declared:
        found = [d for d in self.of_type(typ) if d.name.endswith(name_suffix)]
        assert len(found) == 1, f"expected one {typ} named *{name_suffix}, found {[d.name for d in found]}"
        return found[0]

    def named(self, name: str) -> Declared:
        """The AWS resource (not a component) called ``name``."""
        return next(d for d in self.declared if d.name == name and d.typ.startswith("aws:"))

    def policy_statements(self, name_suffix: str = "") -> list[dict[str, Any]]:
        return json.loads(self.one("aws:iam/rolePolicy:RolePolicy", name_suffix).inputs["policy"])["Statement"]


def run_under_mocks(program: Callable[[], Any], stack: str = "unit") -> RecordingMocks:
    """Run ``program`` (which declares resources) to completion under fresh mocks."""
    mocks = RecordingMocks()
    pulumi.runtime.set_mocks(mocks, project="serverless-patterns", stack=stack, preview=False)
    pulumi.runtime.test(program)()
    return mocks


def handoff_of(mocks: RecordingMocks, function_name: str, config_type: Any) -> Any:
    """The typed configuration a function was deployed with (its ``config_type.VARIABLE``)."""
    variables = mocks.named(function_name).inputs["environment"]["variables"]
    return config_type.from_json(variables[config_type.VARIABLE])
