"""The resource types the scatter-gather pattern added to the local engine, with settings to check."""

import json

import pulumi
import pulumi_aws as aws

from components.core.iam import STATES_ASSUME_ROLE

registry = aws.dynamodb.Table(
    "registry",
    attributes=[aws.dynamodb.TableAttributeArgs(name="providerId", type="S")],
    hash_key="providerId",
    billing_mode="PAY_PER_REQUEST",
)
entry = aws.dynamodb.TableItem(
    "bank-entry",
    table_name=registry.name,
    hash_key=registry.hash_key,
    item=json.dumps({"providerId": {"S": "bank-a"}, "maxAmount": {"N": "5000"}, "tags": {"L": [{"S": "retail"}]}}),
)
role = aws.iam.Role("machine-role", assume_role_policy=STATES_ASSUME_ROLE)
machine = aws.sfn.StateMachine(
    "machine",
    role_arn=role.arn,
    type="STANDARD",
    tags={"pattern": "scatter-gather"},
    definition=json.dumps({
        "StartAt": "Wait",
        "States": {
            "Wait": {"Type": "Wait", "Seconds": 1, "Next": "Greet"},
            "Greet": {"Type": "Pass", "Parameters": {"greeting.$": "States.Format('hello {}', $.name)"}, "End": True},
        },
    }),
)
express = aws.sfn.StateMachine(
    "express",
    role_arn=role.arn,
    type="EXPRESS",
    definition=json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}}),
)

pulumi.export("registry", {"name": registry.name, "item_id": entry.id, "hash_key_value": entry.hash_key_value})
pulumi.export("machine", {"arn": machine.arn, "name": machine.name, "id": machine.id, "role_arn": role.arn,
                          "status": machine.status})
pulumi.export("express", {"arn": express.arn, "type": express.type})
