"""Ticket, invoice and order numbers in your own stack, and a function of yours that takes ids in-process."""

import pulumi
import pulumi_aws as aws

from components.core import iam
from components.sequence import ItemsTable, SequenceGenerator, SequenceGeneratorArgs, SequenceSpec

invoices = aws.dynamodb.Table(  # your table: the gap-free ids are inserted here, with the item
    "invoices", hash_key="tenant", range_key="ref", billing_mode="PAY_PER_REQUEST",
    attributes=[aws.dynamodb.TableAttributeArgs(name="tenant", type="S"),
                aws.dynamodb.TableAttributeArgs(name="ref", type="S")])

numbers = SequenceGenerator("numbers", SequenceGeneratorArgs(
    sequences=[
        SequenceSpec("ticket", start=1000, direct_route=True),
        SequenceSpec("invoice-*", mode="gap-free",            # one gap-free sequence per tenant
                     items=ItemsTable(name=invoices.name, arn=invoices.arn, key_attributes=("tenant", "ref"),
                                      id_attribute="invoice_no")),
        SequenceSpec("order-*", mode="block", block_size=100),
    ],
    max_count=1000,
))
pulumi.export("numbers", numbers.outputs)  # url, counters/keys table names, client_config

# A function of yours that takes ids in-process: give it the configuration and exactly the rights.
role = aws.iam.Role("worker-role", assume_role_policy=iam.LAMBDA_ASSUME_ROLE)
aws.iam.RolePolicy("worker-sequences", role=role.id, policy=iam.policy_document(numbers.client_statements()))
worker = aws.lambda_.Function(
    "worker", role=role.arn, runtime="python3.12", handler="app.handler",
    code=pulumi.AssetArchive({"app.py": pulumi.StringAsset(
        "from functions.sequence.client import SequenceClient\n"
        "client = SequenceClient.from_environment()\n"
        "def handler(event, context):\n"
        "    return {'ticket': client.next('ticket').first}\n")}),  # bundle functions/ beside it too
    environment=aws.lambda_.FunctionEnvironmentArgs(variables={"SEQUENCE_CONFIG": numbers.client_config}),
)
