"""IAM policy helpers: least-privilege statements, written once.

Each helper returns one policy statement (a dict) whose ``Resource`` may hold Pulumi Outputs;
:func:`policy_document` resolves them into the JSON an inline ``RolePolicy`` takes.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import pulumi
import pulumi_aws as aws


def assume_role_policy(service: str) -> str:
    """The trust policy of a role that ``service`` (e.g. ``lambda.amazonaws.com``) assumes."""
    return json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}],
    })


LAMBDA_ASSUME_ROLE = assume_role_policy("lambda.amazonaws.com")
APIGATEWAY_ASSUME_ROLE = assume_role_policy("apigateway.amazonaws.com")
STATES_ASSUME_ROLE = assume_role_policy("states.amazonaws.com")


def allow(actions: Sequence[str], resources: Sequence[pulumi.Input[str]]) -> dict[str, Any]:
    """One ``Allow`` statement for exactly these actions on exactly these resources.

    Wildcards that grant more than a pattern needs are refused: an action ``*`` or ``service:*``, a
    resource ``*``. (A resource ending in ``/*`` or ``:*``, such as a table's indexes or a log
    group's streams, names the children of one resource and is allowed.)
    """
    if not actions or not resources:
        raise ValueError("a least-privilege statement names its actions and its resources")
    broad = [a for a in actions if a == "*" or a.endswith(":*")]
    if broad:
        raise ValueError(f"least privilege: name each action, not {broad}")
    if any(isinstance(r, str) and r.strip() == "*" for r in resources):
        raise ValueError("least privilege: name each resource, not '*'")
    return {"Effect": "Allow", "Action": sorted(set(actions)), "Resource": list(resources)}


def logs_statement(log_group_arn: pulumi.Input[str]) -> dict[str, Any]:
    """What a function needs to write its own logs: streams in its own log group (which the
    component creates, with a retention), nothing else."""
    return allow(["logs:CreateLogStream", "logs:PutLogEvents"], [pulumi.Output.concat(log_group_arn, ":*")])


def dynamodb_statement(table_arn: pulumi.Input[str], actions: Sequence[str], indexes: bool = False) -> dict:
    """Access to one table (and its indexes when ``indexes``) for the given ``dynamodb:`` actions."""
    resources: list[pulumi.Input[str]] = [table_arn]
    if indexes:
        resources.append(pulumi.Output.concat(table_arn, "/index/*"))
    return allow([f"dynamodb:{a}" for a in actions], resources)


def sqs_consumer_statement(queue_arns: Sequence[pulumi.Input[str]], change_visibility: bool = False) -> dict:
    """What an SQS event source mapping needs from its function's role (and shortening a retry delay)."""
    actions = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"]
    return allow(actions + (["sqs:ChangeMessageVisibility"] if change_visibility else []), queue_arns)


def policy_document(statements: Sequence[dict[str, Any]]) -> pulumi.Output[str]:
    """The JSON policy document for these statements, once every ARN in them is known."""
    return pulumi.Output.from_input(list(statements)).apply(
        lambda resolved: json.dumps({"Version": "2012-10-17", "Statement": resolved})
    )


def service_role(
    name: str, trust_policy: str, statements: Sequence[dict[str, Any]], parent: pulumi.Resource
) -> pulumi.Output[str]:
    """A role for a service to assume (e.g. API Gateway calling DynamoDB), with exactly ``statements``.

    Returns the role ARN once its policy is attached, so users of the ARN wait for the permissions.
    """
    role = aws.iam.Role(f"{name}-role", assume_role_policy=trust_policy, opts=pulumi.ResourceOptions(parent=parent))
    policy = aws.iam.RolePolicy(
        f"{name}-policy", role=role.name, policy=policy_document(statements), opts=pulumi.ResourceOptions(parent=parent)
    )
    return pulumi.Output.all(role.arn, policy.id).apply(lambda values: values[0])
