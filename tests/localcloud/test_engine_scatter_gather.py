"""The engine's Step Functions state machines and DynamoDB table items: created as declared, with the
provider's ids and outputs; a malformed definition or an item without its key fails naming the resource."""

from __future__ import annotations

import json
import time

import boto3
import pytest

from localcloud.deploy import DeployFailed, deploy
from tests.localcloud.conftest import write_program


@pytest.fixture(scope="module")
def out(deploy_program):
    return deploy_program("scatter_gather_types")


def test_table_item_is_written_with_its_id(out):
    table = boto3.resource("dynamodb").Table(out["registry"]["name"])
    item = table.get_item(Key={"providerId": "bank-a"}, ConsistentRead=True)["Item"]
    assert item == {"providerId": "bank-a", "maxAmount": 5000, "tags": ["retail"]}
    assert out["registry"]["item_id"] == f"{out['registry']['name']}|providerId|bank-a"
    assert out["registry"]["hash_key_value"] == "bank-a"


def test_state_machine_is_created_with_its_definition_role_and_tags(out):
    sfn = boto3.client("stepfunctions")
    machine = sfn.describe_state_machine(stateMachineArn=out["machine"]["arn"])
    assert out["machine"]["id"] == out["machine"]["arn"]
    assert machine["name"] == out["machine"]["name"] and out["machine"]["name"].startswith("machine-")
    assert machine["roleArn"] == out["machine"]["role_arn"]
    assert machine["type"] == "STANDARD" and out["machine"]["status"] == "ACTIVE"
    assert json.loads(machine["definition"])["StartAt"] == "Wait"
    tags = sfn.list_tags_for_resource(resourceArn=out["machine"]["arn"])["tags"]
    assert tags == [{"key": "pattern", "value": "scatter-gather"}]
    assert sfn.describe_state_machine(stateMachineArn=out["express"]["arn"])["type"] == "EXPRESS"


def test_state_machine_runs(out):
    sfn = boto3.client("stepfunctions")
    arn = sfn.start_execution(stateMachineArn=out["machine"]["arn"], input=json.dumps({"name": "world"}))[
        "executionArn"]
    deadline = time.monotonic() + 30
    while (execution := sfn.describe_execution(executionArn=arn))["status"] == "RUNNING":
        assert time.monotonic() < deadline, "execution did not finish"
        time.sleep(0.2)
    assert execution["status"] == "SUCCEEDED"
    assert json.loads(execution["output"]) == {"greeting": "hello world"}


def test_malformed_definition_fails_naming_the_resource(tmp_path, cloud_target):
    program = write_program(tmp_path, (
        'role = aws.iam.Role("r", assume_role_policy=\'{"Version": "2012-10-17", "Statement": []}\')\n'
        'aws.sfn.StateMachine("broken", role_arn=role.arn, definition="{not json")\n'
    ))
    with pytest.raises(DeployFailed, match=r"aws:sfn/stateMachine:StateMachine 'broken' failed: invalid input"):
        deploy(program, cloud_target, driver="engine")


def test_table_item_without_its_key_fails_naming_the_resource(tmp_path, cloud_target):
    program = write_program(tmp_path, (
        't = aws.dynamodb.Table("t", hash_key="id", billing_mode="PAY_PER_REQUEST",\n'
        '                       attributes=[aws.dynamodb.TableAttributeArgs(name="id", type="S")])\n'
        'aws.dynamodb.TableItem("orphan", table_name=t.name, hash_key="id", item=\'{"other": {"S": "x"}}\')\n'
    ))
    with pytest.raises(DeployFailed, match=r"TableItem 'orphan' failed: invalid input: .*lacks its key"):
        deploy(program, cloud_target, driver="engine")
