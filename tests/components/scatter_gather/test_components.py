"""Scatter-gather components under Pulumi mocks: the resources each variant creates, their wiring,
the state machines' timeouts and catches, and least-privilege policies."""

from __future__ import annotations

import json
from typing import Any

import pytest

from components.core.function import function_name
from components.scatter_gather.recipient_list import broker_definition


def _named(mocks, name: str) -> dict[str, Any]:
    """The inputs of the one resource declared with exactly this name."""
    found = [d for d in mocks.declared if d.name == name]
    assert len(found) == 1, f"expected one resource named {name}, found {len(found)}"
    return found[0].inputs


def _actions_on(statements: list[dict[str, Any]]) -> dict[str, list[str]]:
    granted: dict[str, list[str]] = {}
    for statement in statements:
        for action in statement["Action"]:
            granted.setdefault(action, []).extend(statement["Resource"])
    return granted


def _bank(name: str = "bank-a"):
    from components.core.function import PythonFunction, PythonFunctionArgs

    return PythonFunction(name, PythonFunctionArgs(package="scatter_gather", handler="bank.handler",
                                                   environment={"BANK_ID": name, "BASE_RATE": "4"}))


def test_pubsub_wiring_and_least_privilege(build):
    from components.scatter_gather import PubSubScatterGather, QuoteProvider, QuoteProviderArgs, ScatterGatherArgs

    def program():
        broker = PubSubScatterGather("ps", ScatterGatherArgs(deadline_seconds=5, aggregator_concurrency=2))
        QuoteProvider("ps-bank-a", QuoteProviderArgs(provider_id="bank-a", function=_bank(),
                                                     target=broker.provider_target, min_amount=1000, max_amount=5000,
                                                     max_concurrency=3))

    mocks = build(program)
    assert json.loads(_named(mocks, "ps-replies")["redrivePolicy"]) == {
        "deadLetterTargetArn": "arn:aws:sqs:us-east-1:123456789012:ps-replies-dlq", "maxReceiveCount": 5}
    mapping = _named(mocks, "ps-replies-to-aggregator")
    assert (mapping["batchSize"], mapping["functionResponseTypes"]) == (10, ["ReportBatchItemFailures"])
    assert mapping["scalingConfig"] == {"maximumConcurrency": 2}
    timer = json.loads(_named(mocks, "ps-machine")["definition"])
    assert timer["States"]["WaitForDeadline"] == {"Type": "Wait", "TimestampPath": "$.deadlineAt", "Next": "Close"}
    assert timer["States"]["Close"]["Parameters"]["FunctionName"].endswith(f":function:{function_name('ps-close')}")

    api = _actions_on(mocks.policy_statements("ps-api-policy"))
    assert api["sns:Publish"] == ["arn:aws:sns:us-east-1:123456789012:ps-requests"]
    assert api["states:StartExecution"] == ["arn:aws:states:us-east-1:123456789012:stateMachine:ps-machine"]
    assert api["dynamodb:Scan"] == ["arn:aws:dynamodb:us-east-1:123456789012:table/ps-registry"]
    # a request that could not be sent out is taken back: its execution stopped, its aggregate removed
    assert api["dynamodb:DeleteItem"] == ["arn:aws:dynamodb:us-east-1:123456789012:table/ps-aggregates"]
    assert api["states:StopExecution"] == ["arn:aws:states:us-east-1:123456789012:execution:ps-machine:*"]
    assert "dynamodb:Scan" in api and "dynamodb:DeleteTable" not in api
    aggregator = _actions_on(mocks.policy_statements("ps-aggregator-policy"))
    assert aggregator["sqs:SendMessage"] == ["arn:aws:sqs:us-east-1:123456789012:ps-replies-dlq"]
    assert aggregator["events:PutEvents"] == [
        "arn:aws:events:us-east-1:123456789012:event-bus/serverless-patterns-unit-ps"]
    assert set(aggregator) == {"dynamodb:GetItem", "dynamodb:UpdateItem", "events:PutEvents", "sqs:SendMessage",
                               "sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes",
                               "logs:CreateLogStream", "logs:PutLogEvents"}
    machine = _actions_on(mocks.policy_statements("ps-states-policy"))
    close_arn = f"arn:aws:lambda:us-east-1:123456789012:function:{function_name('ps-close')}"
    assert machine == {"lambda:InvokeFunction": [close_arn]}

    subscription = _named(mocks, "ps-bank-a-subscription")
    assert (subscription["protocol"], subscription["rawMessageDelivery"]) == ("sqs", True)
    assert json.loads(subscription["filterPolicy"]) == {"amount": [{"numeric": [">=", 1000, "<=", 5000]}]}
    assert _named(mocks, "ps-bank-a-requests-to-provider")["scalingConfig"] == {"maximumConcurrency": 3}
    consume = _actions_on(mocks.policy_statements("ps-bank-a-consume"))
    assert consume["sqs:SendMessage"] == ["arn:aws:sqs:us-east-1:123456789012:ps-replies"]
    assert consume["sqs:ReceiveMessage"] == ["arn:aws:sqs:us-east-1:123456789012:ps-bank-a-requests"]
    queue_policy = json.loads(_named(mocks, "ps-bank-a-requests-policy")["policy"])["Statement"][0]
    topic_arn = "arn:aws:sns:us-east-1:123456789012:ps-requests"
    assert queue_policy["Condition"] == {"ArnEquals": {"aws:SourceArn": topic_arn}}
    item = json.loads(_named(mocks, "ps-bank-a-registration")["item"])
    bank_arn = f"arn:aws:lambda:us-east-1:123456789012:function:{function_name('bank-a')}"
    assert item == {"providerId": {"S": "bank-a"}, "functionArn": {"S": bank_arn},
                    "minAmount": {"N": "1000"}, "maxAmount": {"N": "5000"}}


def test_recipient_list_wiring_and_least_privilege(build):
    from components.scatter_gather import (
        QuoteProvider,
        QuoteProviderArgs,
        RecipientListScatterGather,
        ScatterGatherArgs,
    )

    def program():
        broker = RecipientListScatterGather("rl", ScatterGatherArgs(deadline_seconds=5, recipient_timeout_seconds=7))
        QuoteProvider("rl-bank-b", QuoteProviderArgs(provider_id="bank-b", function=_bank("bank-b"),
                                                     target=broker.provider_target))

    mocks = build(program)
    definition = json.loads(_named(mocks, "rl-machine")["definition"])
    call = definition["States"]["ScatterUntilDeadline"]["Branches"][1]["States"]["CallRecipients"]
    assert call["ItemProcessor"]["States"]["RequestQuote"]["TimeoutSeconds"] == 7
    machine = _actions_on(mocks.policy_statements("rl-states-policy"))
    assert sorted(machine["lambda:InvokeFunction"]) == [
        f"arn:aws:lambda:us-east-1:123456789012:function:{function_name(f'rl-{n}')}"
        for n in ("close", "recipients", "record")]
    invoke_bank = _named(mocks, "rl-bank-b-invoke")
    assert invoke_bank["role"] == "rl-states-role"
    assert _actions_on(json.loads(invoke_bank["policy"])["Statement"]) == {
        "lambda:InvokeFunction": [f"arn:aws:lambda:us-east-1:123456789012:function:{function_name('bank-b')}"]}
    assert not [d for d in mocks.of_type("aws:sqs/queue:Queue") if d.name.startswith("rl-bank-b-")]
    api = _actions_on(mocks.policy_statements("rl-api-policy"))
    assert set(api) - {"logs:CreateLogStream", "logs:PutLogEvents"} == {
        "states:StartExecution", "states:StopExecution", "dynamodb:PutItem", "dynamodb:GetItem",
        "dynamodb:DeleteItem"}
    assert "minAmount" not in json.loads(_named(mocks, "rl-bank-b-registration")["item"])


def test_broker_definition_never_fails_the_request():
    definition = broker_definition("recipients", "record", "close", timeout_seconds=9)
    states = definition["States"]
    assert states["LookUpRecipients"]["Catch"][0]["Next"] == "CloseAfterError"
    scatter = states["ScatterUntilDeadline"]
    assert scatter["Type"] == "Parallel" and scatter["Catch"][0]["ErrorEquals"] == ["States.ALL"]
    wait_branch, call_branch = scatter["Branches"]
    assert wait_branch["States"]["WaitForDeadline"]["TimestampPath"] == "$.deadlineAt"
    quote = call_branch["States"]["CallRecipients"]["ItemProcessor"]["States"]["RequestQuote"]
    assert quote["Parameters"]["FunctionName.$"] == "$.recipient.functionArn"
    assert quote["Catch"] == [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "RecordFailure"}]
    assert "States.Timeout" not in quote["Retry"][0]["ErrorEquals"]
    assert states["CloseAfterError"]["Parameters"]["Payload"]["completedBy"] == "broker-error"


def test_argument_validation():
    from components.scatter_gather import ProviderTarget, ScatterGatherArgs
    from components.scatter_gather.quote_provider import QuoteProviderArgs, amount_filter_policy

    with pytest.raises(ValueError, match=r"ScatterGatherArgs\.deadline_seconds must be an integer in 1\.\.60"):
        ScatterGatherArgs(deadline_seconds=90, max_deadline_seconds=60)
    with pytest.raises(ValueError, match=r"ScatterGatherArgs\.recipient_timeout_seconds"):
        ScatterGatherArgs(recipient_timeout_seconds=0)
    with pytest.raises(ValueError, match=r"QuoteProviderArgs\.max_amount must not be below min_amount"):
        QuoteProviderArgs(provider_id="x", function=None, target=ProviderTarget(registry_table_name="t", topic_arn="a"),  # type: ignore[arg-type]
                          min_amount=5, max_amount=1)
    with pytest.raises(ValueError, match="needs a topic"):
        QuoteProviderArgs(provider_id="x", function=None, target=ProviderTarget(registry_table_name="t"))  # type: ignore[arg-type]
    assert amount_filter_policy(None, None) is None
    assert amount_filter_policy(10, None) == {"amount": [{"numeric": [">=", 10]}]}
