"""What the two scatter-gather variants share: the aggregates table and the aggregator's deadline
task, the provider registry, the completion-event bus, the ``/quotes`` API and the state-machine
plumbing. The variants are :class:`~components.scatter_gather.pubsub.PubSubScatterGather` and
:class:`~components.scatter_gather.recipient_list.RecipientListScatterGather`; providers plug into
either with :class:`~components.scatter_gather.quote_provider.QuoteProvider`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from components.core import (
    Authorization,
    IamAuth,
    PatternComponent,
    PythonFunction,
    PythonFunctionArgs,
    RestApi,
    RestApiArgs,
    Route,
    handoff,
    iam,
    on_demand_table,
    validation,
)
from components.core.auth import check_auth
from functions.scatter_gather.config import ScatterGatherConfig

PACKAGE = "scatter_gather"
# Transient Lambda errors a task retries, throttling included (the embedded emulator reports a throttled
# invocation as Lambda.Unknown); with backoff, about 50 seconds of patience.
LAMBDA_RETRY = {
    "ErrorEquals": ["Lambda.ServiceException", "Lambda.AWSLambdaException", "Lambda.SdkClientException",
                    "Lambda.TooManyRequestsException", "Lambda.Unknown"],
    "IntervalSeconds": 1, "MaxAttempts": 8, "BackoffRate": 1.5, "MaxDelaySeconds": 15, "JitterStrategy": "FULL",
}


@dataclass(frozen=True, kw_only=True)
class ScatterGatherArgs:
    """deadline_seconds: an aggregate completes when every provider asked has replied (or its strategy has
    enough) or this long after the request, whichever comes first; a request may ask for another
    deadline (``deadlineSeconds``) up to max_deadline_seconds. recipient_timeout_seconds: how long the
    recipient list waits for one recipient (default: deadline_seconds). aggregator_concurrency: the most
    reply batches aggregated at once (publish-subscribe; ``None``: Lambda's default scaling).
    auth: who may call ``/quotes`` (SigV4 by default; see :mod:`components.core.auth`). stage_name: the API stage."""

    deadline_seconds: int = ScatterGatherConfig.deadline_seconds
    max_deadline_seconds: int = ScatterGatherConfig.max_deadline_seconds
    recipient_timeout_seconds: int | None = None
    aggregator_concurrency: int | None = None
    auth: Authorization = field(default_factory=IamAuth)
    stage_name: str = "api"

    def __post_init__(self) -> None:
        validation.integer(self, "max_deadline_seconds", 1, 3600)
        validation.integer(self, "deadline_seconds", 1, self.max_deadline_seconds)
        validation.integer(self, "recipient_timeout_seconds", 1, 3600, optional=True)
        validation.integer(self, "aggregator_concurrency", 2, 1000, optional=True)
        validation.stage_name(self)
        check_auth(self)


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


class ScatterGatherBase(PatternComponent):
    """Shared construction; use one of the two variants."""

    MODE: str
    url: pulumi.Output[str]
    state_machine_arn: pulumi.Output[str]
    provider_target: ProviderTarget

    def __init__(self, name: str, args: ScatterGatherArgs, opts: pulumi.ResourceOptions | None):
        super().__init__(name, opts)
        self._name = name
        self._args = args
        child = self.child
        self.aggregates = on_demand_table(f"{name}-aggregates", "correlationId", self, ttl_attribute="expiresAt")
        self.registry = on_demand_table(f"{name}-registry", "providerId", self)
        self.bus = aws.cloudwatch.EventBus(
            f"{name}-events", name=f"{pulumi.get_project()}-{pulumi.get_stack()}-{name}", opts=child
        )
        self.state_machine_role = aws.iam.Role(f"{name}-states-role", assume_role_policy=iam.STATES_ASSUME_ROLE,
                                               opts=child)

    # -- building blocks for the variants -------------------------------------------------------------

    def _config(self, **fields: Any) -> dict[str, pulumi.Output[str]]:
        """The handlers' :class:`ScatterGatherConfig`: the shared fields plus ``fields``."""
        return handoff(ScatterGatherConfig, aggregates_table=self.aggregates.name, event_bus=self.bus.name,
                       mode=self.MODE, deadline_seconds=self._args.deadline_seconds,
                       max_deadline_seconds=self._args.max_deadline_seconds, **fields)

    def _aggregate_statements(self, actions: Sequence[str] = ("GetItem", "UpdateItem")) -> list[dict[str, Any]]:
        """Read and conditionally update aggregates, and publish their completion."""
        return [iam.dynamodb_statement(self.aggregates.arn, list(actions)),
                iam.allow(["events:PutEvents"], [self.bus.arn])]

    def _function(self, suffix: str, handler: str, statements: Sequence[dict[str, Any]],
                  config: Mapping[str, Any], timeout: int = 15) -> PythonFunction:
        return PythonFunction(
            f"{self._name}-{suffix}",
            PythonFunctionArgs(package=PACKAGE, handler=handler, statements=list(statements),
                               environment=self._config(**config), timeout=timeout),
            opts=self.child,
        )

    def _close_function(self) -> PythonFunction:
        """The deadline task: completes an aggregate with the replies it has."""
        return self._function("close", "broker_steps.close", self._aggregate_statements(), {})

    def _state_machine(self, definition: pulumi.Output[str], invoked: Sequence[PythonFunction]) -> aws.sfn.StateMachine:
        policy = aws.iam.RolePolicy(
            f"{self._name}-states-policy",
            role=self.state_machine_role.name,
            policy=iam.policy_document([iam.allow(["lambda:InvokeFunction"], [f.arn for f in invoked])]),
            opts=self.child,
        )
        machine = aws.sfn.StateMachine(
            f"{self._name}-machine",
            role_arn=self.state_machine_role.arn,
            definition=definition,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[policy]),
        )
        self.state_machine_arn = machine.arn
        return machine

    def _api(self, machine: aws.sfn.StateMachine, statements: Sequence[dict[str, Any]],
             config: Mapping[str, Any]) -> RestApi:
        handler = self._function(
            "api", "api.handler",
            [iam.allow(["states:StartExecution"], [machine.arn]),
             # take back a request that could not be sent out: stop its execution, remove its aggregate
             iam.allow(["states:StopExecution"], [machine.arn.apply(
                 lambda arn: arn.replace(":stateMachine:", ":execution:") + ":*")]),
             iam.dynamodb_statement(self.aggregates.arn, ["DeleteItem"]),
             *statements],
            {"state_machine_arn": machine.arn, **config},
            timeout=10,
        )
        api = RestApi(
            f"{self._name}-api",
            RestApiArgs(routes=[Route("POST", "/quotes", handler), Route("GET", "/quotes/{correlationId}", handler)],
                        auth=self._args.auth, stage_name=self._args.stage_name,
                        description=f"Scatter-gather ({self.MODE})"),
            opts=self.child,
        )
        self.url = api.url
        self._auth_outputs = api.auth_outputs
        return api

    def _publish_outputs(self, machine_role: str, extra: Mapping[str, Any]) -> None:
        self._publish({
            "url": self.url, "aggregates_table_name": self.aggregates.name,
            "registry_table_name": self.registry.name, "events_bus_name": self.bus.name,
            f"{machine_role}_state_machine_arn": self.state_machine_arn,
            "deadline_seconds": self._args.deadline_seconds, **self._auth_outputs, **extra,
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
