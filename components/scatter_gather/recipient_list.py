"""``RecipientListScatterGather``: a Step Functions state machine as the loan broker.

``POST /quotes`` opens the aggregate and starts an execution, which looks the recipients up in the
provider registry (by amount), calls them all at once in a Map state, each with its own timeout
(the deadline) and a Catch, and records each reply (or why there is none) through the same aggregator
as the publish-subscribe variant; a failing or slow recipient is reported missing and never fails the
request. A parallel branch waits for the request's deadline and closes the aggregate then; the Map's
branch closes it as soon as every recipient has answered or failed (each close is a no-op when the
aggregate is already complete).
"""

from __future__ import annotations

import json
from typing import Any

import pulumi

from components.core import iam
from components.scatter_gather.base import (
    LAMBDA_RETRY,
    ProviderTarget,
    ScatterGatherArgs,
    ScatterGatherBase,
    lambda_task,
)


def broker_definition(recipients_arn: str, record_arn: str, close_arn: str, timeout_seconds: int) -> dict[str, Any]:
    """Look up the recipients; then, in parallel, wait for the request's deadline and close, and call
    every recipient (each with a timeout and a catch), record, and close once all have answered or failed."""
    recipient = {"correlationId.$": "$.request.correlationId", "providerId.$": "$.recipient.providerId"}
    call_recipients = {
        "Type": "Map",
        "ItemsPath": "$.lookup.result.recipients",
        "ItemSelector": {
            "recipient.$": "$$.Map.Item.Value",
            "request": {"correlationId.$": "$.correlationId", "amount.$": "$.amount", "term.$": "$.term"},
        },
        "MaxConcurrency": 0,
        "ItemProcessor": {
            "ProcessorConfig": {"Mode": "INLINE"},
            "StartAt": "RequestQuote",
            "States": {
                "RequestQuote": {
                    "Type": "Task",
                    "Resource": "arn:aws:states:::lambda:invoke",
                    "Parameters": {"FunctionName.$": "$.recipient.functionArn", "Payload.$": "$.request"},
                    "TimeoutSeconds": timeout_seconds,
                    "ResultSelector": {"reply.$": "$.Payload"},
                    "ResultPath": "$.quote",
                    "Retry": [LAMBDA_RETRY],
                    "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "RecordFailure"}],
                    "Next": "RecordReply",
                },
                "RecordReply": lambda_task(record_arn, {**recipient, "reply.$": "$.quote.reply"}, End=True),
                "RecordFailure": lambda_task(record_arn, {**recipient, "error.$": "$.error"}, End=True),
            },
        },
        "ResultPath": None,
        "Next": "CloseWhenAllAnswered",
    }
    close = {"correlationId.$": "$.correlationId"}
    on_error = {"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "CloseAfterError"}
    return {
        "Comment": "Recipient-list loan broker",
        "StartAt": "LookUpRecipients",
        "States": {
            "LookUpRecipients": lambda_task(
                recipients_arn,
                {"correlationId.$": "$.correlationId", "amount.$": "$.amount", "term.$": "$.term"},
                ResultPath="$.lookup", Next="ScatterUntilDeadline", Catch=[on_error],
            ),
            "ScatterUntilDeadline": {
                "Type": "Parallel",
                "Branches": [
                    {"StartAt": "WaitForDeadline", "States": {
                        "WaitForDeadline": {"Type": "Wait", "TimestampPath": "$.deadlineAt", "Next": "CloseAtDeadline"},
                        "CloseAtDeadline": lambda_task(close_arn, close, End=True),
                    }},
                    {"StartAt": "CallRecipients", "States": {
                        "CallRecipients": call_recipients,
                        "CloseWhenAllAnswered": lambda_task(
                            close_arn, {**close, "completedBy": "all-answered"}, End=True),
                    }},
                ],
                "ResultPath": None,
                "Catch": [on_error],
                "End": True,
            },
            # Whatever failed, the requester still gets an answer: the aggregate completes with what it has.
            "CloseAfterError": lambda_task(close_arn, {**close, "completedBy": "broker-error"}, End=True),
        },
    }


class RecipientListScatterGather(ScatterGatherBase):
    """Recipient-list scatter-gather. ``provider_target`` is what providers need to plug in.

    Outputs: ``url``, ``aggregates_table_name``, ``registry_table_name``, ``events_bus_name``,
    ``broker_state_machine_arn``, ``broker_role_name`` (grant recipients to it), ``deadline_seconds``.
    """

    TYPE = "serverless-patterns:scatter_gather:RecipientListScatterGather"
    LEGACY_TYPES = ("serverless-patterns:scatter_gather_recipient_list:RecipientListScatterGather",)
    MODE = "recipient-list"

    def __init__(self, name: str, args: ScatterGatherArgs | None = None, opts: pulumi.ResourceOptions | None = None):
        args = args or ScatterGatherArgs()
        super().__init__(name, args, opts)
        recipients = self._function(
            "recipients", "broker_steps.recipients",
            [*self._aggregate_statements(), iam.dynamodb_statement(self.registry.arn, ["Scan"])],
            {"registry_table": self.registry.name},
        )
        record = self._function("record", "aggregator.record_step", self._aggregate_statements(), {})
        close = self._close_function()
        timeout = args.recipient_timeout_seconds or args.deadline_seconds
        definition = pulumi.Output.all(recipients.arn, record.arn, close.arn).apply(
            lambda arns: json.dumps(broker_definition(arns[0], arns[1], arns[2], timeout_seconds=timeout))
        )
        machine = self._state_machine(definition, [recipients, record, close])
        self._api(machine, [iam.dynamodb_statement(self.aggregates.arn, ["PutItem", "GetItem"])], {})
        self.provider_target = ProviderTarget(
            registry_table_name=self.registry.name, invoker_role_name=self.state_machine_role.name
        )
        self._publish_outputs("broker", {"broker_role_name": self.state_machine_role.name})
