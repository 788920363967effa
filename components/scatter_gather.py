"""What the two scatter-gather variants share: the aggregates table and the aggregator's deadline
task, the provider registry, the completion-event bus, the ``/quotes`` API and the state-machine
plumbing. The variants are :class:`components.scatter_gather_pubsub.PubSubScatterGather` and
:class:`components.scatter_gather_recipient_list.RecipientListScatterGather`; providers plug into
either with :class:`components.quote_provider.QuoteProvider`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from components import iam
from components.function import PythonFunction, PythonFunctionArgs
from components.rest_api import RestApi, RestApiArgs, Route

PACKAGE = "scatter_gather"
STATES_ASSUME_ROLE = json.dumps({
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "states.amazonaws.com"}, "Action": "sts:AssumeRole"}],
})
# Transient Lambda errors a task retries, throttling included (the embedded emulator reports a throttled
# invocation as Lambda.Unknown); with backoff, about 50 seconds of patience.
LAMBDA_RETRY = {
    "ErrorEquals": ["Lambda.ServiceException", "Lambda.AWSLambdaException", "Lambda.SdkClientException",
                    "Lambda.TooManyRequestsException", "Lambda.Unknown"],
    "IntervalSeconds": 1, "MaxAttempts": 8, "BackoffRate": 1.5, "MaxDelaySeconds": 15, "JitterStrategy": "FULL",
}


@dataclass
class ScatterGatherArgs:
    """deadline_seconds: an aggregate completes when every provider asked has replied (or its strategy has
    enough) or this long after the request, whichever comes first; a request may ask for another
    deadline (``deadlineSeconds``) up to max_deadline_seconds. recipient_timeout_seconds: how long the
    recipient list waits for one recipient (default: deadline_seconds). aggregator_concurrency: the most
    reply batches aggregated at once (publish-subscribe; ``None``: Lambda's default scaling).
    stage_name: the API stage."""

    deadline_seconds: int = 10
    max_deadline_seconds: int = 60
    recipient_timeout_seconds: int | None = None
    aggregator_concurrency: int | None = None
    stage_name: str = "api"

    def __post_init__(self) -> None:
        if not 1 <= self.deadline_seconds <= self.max_deadline_seconds <= 3600:
            raise ValueError("need 1 <= deadline_seconds <= max_deadline_seconds <= 3600")
        if self.recipient_timeout_seconds is not None and self.recipient_timeout_seconds < 1:
            raise ValueError("recipient_timeout_seconds must be at least 1")


@dataclass(frozen=True)
class ProviderTarget:
    """Where a provider plugs in. Build it in another stack from a scatter-gather's exported outputs.

    registry_table_name / registry_table_arn: the provider registry (both variants).
    topic_arn / reply_queue_arn: the request topic and the reply queue (publish-subscribe).
    invoker_role_name: the role of the state machine that invokes recipients (recipient list).
    """

    registry_table_name: pulumi.Input[str]
    topic_arn: pulumi.Input[str] | None = None
    reply_queue_arn: pulumi.Input[str] | None = None
    invoker_role_name: pulumi.Input[str] | None = None


class ScatterGatherBase(pulumi.ComponentResource):
    """Shared construction; use one of the two variants."""

    url: pulumi.Output[str]
    aggregates_table_name: pulumi.Output[str]
    registry_table_name: pulumi.Output[str]
    event_bus_name: pulumi.Output[str]
    state_machine_arn: pulumi.Output[str]
    provider_target: ProviderTarget

    def __init__(self, type_token: str, name: str, args: ScatterGatherArgs, opts: pulumi.ResourceOptions | None):
        super().__init__(type_token, name, None, opts)
        self._name = name
        self._args = args
        child = pulumi.ResourceOptions(parent=self)
        self.aggregates = aws.dynamodb.Table(
            f"{name}-aggregates",
            attributes=[aws.dynamodb.TableAttributeArgs(name="correlationId", type="S")],
            hash_key="correlationId",
            billing_mode="PAY_PER_REQUEST",
            ttl=aws.dynamodb.TableTtlArgs(attribute_name="expiresAt", enabled=True),
            opts=child,
        )
        self.registry = aws.dynamodb.Table(
            f"{name}-registry",
            attributes=[aws.dynamodb.TableAttributeArgs(name="providerId", type="S")],
            hash_key="providerId",
            billing_mode="PAY_PER_REQUEST",
            opts=child,
        )
        self.bus = aws.cloudwatch.EventBus(
            f"{name}-events", name=f"{pulumi.get_project()}-{pulumi.get_stack()}-{name}", opts=child
        )
        self.aggregates_table_name = self.aggregates.name
        self.registry_table_name = self.registry.name
        self.event_bus_name = self.bus.name
        self.state_machine_role = aws.iam.Role(f"{name}-states-role", assume_role_policy=STATES_ASSUME_ROLE,
                                               opts=child)

    # -- building blocks for the variants -------------------------------------------------------------

    def _aggregate_environment(self) -> dict[str, pulumi.Input[str]]:
        return {"AGGREGATES_TABLE": self.aggregates.name, "EVENT_BUS": self.bus.name}

    def _aggregate_statements(self, actions: Sequence[str] = ("GetItem", "UpdateItem")) -> list[dict[str, Any]]:
        """Read and conditionally update aggregates, and publish their completion."""
        return [iam.dynamodb_statement(self.aggregates.arn, list(actions)),
                iam.allow(["events:PutEvents"], [self.bus.arn])]

    def _function(self, suffix: str, handler: str, statements: Sequence[dict[str, Any]],
                  environment: Mapping[str, pulumi.Input[str]], timeout: int = 15) -> PythonFunction:
        return PythonFunction(
            f"{self._name}-{suffix}",
            PythonFunctionArgs(package=PACKAGE, handler=handler, statements=list(statements),
                               environment={**self._aggregate_environment(), **environment}, timeout=timeout),
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _close_function(self) -> PythonFunction:
        """The deadline task: completes an aggregate with the replies it has."""
        return self._function("close", "broker_steps.close", self._aggregate_statements(), {})

    def _state_machine(self, definition: pulumi.Output[str], invoked: Sequence[PythonFunction]) -> aws.sfn.StateMachine:
        policy = aws.iam.RolePolicy(
            f"{self._name}-states-policy",
            role=self.state_machine_role.name,
            policy=iam.policy_document([iam.allow(["lambda:InvokeFunction"], [f.arn for f in invoked])]),
            opts=pulumi.ResourceOptions(parent=self),
        )
        machine = aws.sfn.StateMachine(
            f"{self._name}-machine",
            role_arn=self.state_machine_role.arn,
            definition=definition,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[policy]),
        )
        self.state_machine_arn = machine.arn
        return machine

    def _api(self, mode: str, machine: aws.sfn.StateMachine, statements: Sequence[dict[str, Any]],
             environment: Mapping[str, pulumi.Input[str]]) -> RestApi:
        handler = self._function(
            "api", "api.handler",
            [iam.allow(["states:StartExecution"], [machine.arn]), *statements],
            {"MODE": mode, "DEADLINE_SECONDS": str(self._args.deadline_seconds),
             "MAX_DEADLINE_SECONDS": str(self._args.max_deadline_seconds),
             "STATE_MACHINE_ARN": machine.arn, **environment},
            timeout=10,
        )
        api = RestApi(
            f"{self._name}-api",
            RestApiArgs(routes=[Route("POST", "/quotes", handler), Route("GET", "/quotes/{correlationId}", handler)],
                        stage_name=self._args.stage_name, description=f"Scatter-gather ({mode})"),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.url = api.url
        return api

    def _outputs(self, extra: Mapping[str, Any]) -> None:
        self.register_outputs({
            "url": self.url, "aggregates_table_name": self.aggregates_table_name,
            "registry_table_name": self.registry_table_name, "event_bus_name": self.event_bus_name,
            "state_machine_arn": self.state_machine_arn, **extra,
        })


def lambda_task(function_arn: pulumi.Input[str] | str, payload: Mapping[str, Any], **fields: Any) -> dict[str, Any]:
    """An ASL Task state invoking a Lambda function with the given payload, retrying transient errors."""
    return {
        "Type": "Task",
        "Resource": "arn:aws:states:::lambda:invoke",
        "Parameters": {"FunctionName": function_arn, "Payload": dict(payload)},
        "ResultSelector": {"result.$": "$.Payload"},
        "Retry": [LAMBDA_RETRY],
        **fields,
    }
