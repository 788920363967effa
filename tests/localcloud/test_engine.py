"""The local engine: each supported type is really created with the given settings and returns real
ids, ARNs and URLs; failures name the resource and the cause."""

from __future__ import annotations

import json

import boto3
import pytest
import requests

from localcloud.deploy import DeployFailed, deploy
from localcloud.emulator import free_loopback_port
from localcloud.provisioners import CREATORS
from localcloud.target import Target
from tests.localcloud.conftest import PROGRAMS, write_program


@pytest.fixture(scope="module")
def out(deploy_program):
    return deploy_program("all_types")


def test_every_supported_type_is_exercised_by_a_testwrite_program():
    declared = "\n".join(p.read_text() for p in PROGRAMS.glob("*/__main__.py"))
    for token in CREATORS:
        module, name = token.split(":")[1].split("/")[0], token.rsplit(":", 1)[1]
        python_module = {"lambda": "lambda_", "cloudwatch": "cloudwatch"}.get(module, module)
        assert f"aws.{python_module}.{name}(" in declared, f"no test program declares {token}"


def test_table_has_keys_index_stream_and_ttl(out):
    ddb = boto3.client("dynamodb")
    table = ddb.describe_table(TableName=out["table"]["name"])["Table"]
    assert table["TableArn"] == out["table"]["arn"]
    assert {k["AttributeName"]: k["KeyType"] for k in table["KeySchema"]} == {"pk": "HASH", "sk": "RANGE"}
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    index = table["GlobalSecondaryIndexes"][0]
    assert index["IndexName"] == "by-status"
    assert [k["AttributeName"] for k in index["KeySchema"]] == ["status", "sk"]
    assert table["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"}
    assert out["table"]["stream_arn"] == table["LatestStreamArn"]
    ttl = ddb.describe_time_to_live(TableName=out["table"]["name"])["TimeToLiveDescription"]
    assert ttl["AttributeName"] == "expires_at"


def test_role_and_inline_policy(out):
    iam = boto3.client("iam")
    role = iam.get_role(RoleName=out["role"]["name"])["Role"]
    assert role["Arn"] == out["role"]["arn"]
    trust = role["AssumeRolePolicyDocument"]
    trust = json.loads(trust) if isinstance(trust, str) else trust
    assert trust["Statement"][0]["Principal"] == {"Service": "lambda.amazonaws.com"}
    role_name, policy_name = out["role"]["policy_id"].split(":")
    document = iam.get_role_policy(RoleName=role_name, PolicyName=policy_name)["PolicyDocument"]
    document = json.loads(document) if isinstance(document, str) else document
    assert document["Statement"][0]["Action"] == ["dynamodb:GetItem"]
    assert document["Statement"][0]["Resource"] == [out["table"]["arn"]]


def test_function_settings_layer_and_invocation(out):
    lam = boto3.client("lambda")
    config = lam.get_function_configuration(FunctionName=out["function"]["name"])
    assert config["FunctionArn"] == out["function"]["arn"]
    assert (config["Timeout"], config["MemorySize"], config["Runtime"]) == (7, 192, "python3.12")
    assert config["Environment"]["Variables"] == {"GREETING": "hello", "NUMBER": "42"}
    assert [layer["Arn"] for layer in config["Layers"]] == [out["layer"]["arn"]]
    assert out["layer"]["arn"].startswith(out["layer"]["layer_arn"] + ":")
    assert out["function"]["invoke_arn"] == (
        f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{out['function']['arn']}/invocations"
    )
    result = lam.invoke(FunctionName=out["function"]["name"], Payload=b'{"path": "/direct"}')
    body = json.loads(json.loads(result["Payload"].read())["body"])
    assert body == {"greeting": "hello", "layer": "from the layer", "path": "/direct"}


def test_permission_is_recorded_with_its_source_arn(out):
    policy = json.loads(boto3.client("lambda").get_policy(FunctionName=out["function"]["name"])["Policy"])
    statement = next(s for s in policy["Statement"] if s["Sid"] == out["permission"]["id"])
    assert statement["Principal"] == {"Service": "apigateway.amazonaws.com"}
    assert statement["Condition"]["ArnLike"]["AWS:SourceArn"] == f"{out['api']['execution_arn']}/*/GET/echo"


def test_queues_redrive_fifo_and_policy(out):
    sqs = boto3.client("sqs")
    attributes = sqs.get_queue_attributes(QueueUrl=out["queues"]["work_url"], AttributeNames=["All"])["Attributes"]
    assert attributes["QueueArn"] == out["queues"]["work_arn"]
    assert attributes["VisibilityTimeout"] == "45"
    assert json.loads(attributes["RedrivePolicy"]) == {"deadLetterTargetArn": out["queues"]["dlq_arn"],
                                                       "maxReceiveCount": 3}
    assert json.loads(attributes["Policy"])["Statement"][0]["Action"] == "sqs:SendMessage"
    fifo_url = sqs.get_queue_url(QueueName=out["queues"]["fifo_name"])["QueueUrl"]
    fifo = sqs.get_queue_attributes(QueueUrl=fifo_url, AttributeNames=["All"])["Attributes"]
    assert out["queues"]["fifo_name"].endswith(".fifo")
    assert fifo["FifoQueue"] == "true" and fifo["ContentBasedDeduplication"] == "true"


def test_event_source_mapping(out):
    mapping = boto3.client("lambda").get_event_source_mapping(UUID=out["mapping"]["uuid"])
    assert mapping["EventSourceArn"] == out["queues"]["work_arn"]
    assert mapping["FunctionArn"] == out["function"]["arn"]
    assert mapping["BatchSize"] == 7
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]


def test_topic_and_filtered_raw_subscription(out):
    sns = boto3.client("sns")
    assert sns.get_topic_attributes(TopicArn=out["sns"]["topic_arn"])["Attributes"]["DisplayName"] == "News"
    attributes = sns.get_subscription_attributes(SubscriptionArn=out["sns"]["subscription_arn"])["Attributes"]
    assert attributes["Endpoint"] == out["queues"]["work_arn"]
    assert attributes["RawMessageDelivery"] == "true"
    assert json.loads(attributes["FilterPolicy"]) == {"kind": ["important"]}


def test_bus_rule_and_target(out):
    events = boto3.client("events")
    bus = out["events"]["bus_name"]
    assert events.describe_event_bus(Name=bus)["Arn"] == out["events"]["bus_arn"]
    rule = events.describe_rule(Name=out["events"]["rule_name"], EventBusName=bus)
    assert rule["Arn"] == out["events"]["rule_arn"]
    assert json.loads(rule["EventPattern"]) == {"source": ["engine.test"]}
    targets = events.list_targets_by_rule(Rule=out["events"]["rule_name"], EventBusName=bus)["Targets"]
    assert [(t["Id"], t["Arn"]) for t in targets] == [(out["events"]["target_id"], out["queues"]["work_arn"])]


def test_rest_api_stage_url_serves_lambda_and_service_routes(out):
    assert out["api"]["stage_execution_arn"] == out["api"]["execution_arn"] + "/v1"
    echo = requests.get(out["api"]["url"] + "/echo", timeout=30)
    assert echo.status_code == 200 and echo.json()["path"] == "/echo"
    sent = requests.post(out["api"]["url"] + "/send", json={"n": 1, "hello": "queue"}, timeout=30)
    assert sent.status_code == 200 and sent.json() == {"queued": True}
    refused = requests.post(out["api"]["url"] + "/send", json={"hello": "queue"}, timeout=30)  # the model's "n"
    assert refused.status_code == 400, refused.text
    api = boto3.client("apigateway")
    assert api.get_rest_api(restApiId=out["api"]["id"])["description"] == "engine test api"
    assert api.get_stage(restApiId=out["api"]["id"], stageName="v1")["stageName"] == "v1"


def test_bucket_notifies_its_queue_of_new_objects(out):
    assert out["s3"]["bucket"].startswith("uploads-") and out["s3"]["arn"] == f"arn:aws:s3:::{out['s3']['bucket']}"
    boto3.client("s3").put_object(Bucket=out["s3"]["bucket"], Key="k1", Body=b"hello")
    sqs = boto3.client("sqs")
    messages = sqs.receive_message(QueueUrl=out["s3"]["uploads_url"], WaitTimeSeconds=5,
                                   MaxNumberOfMessages=10).get("Messages", [])
    records = [r for m in messages for r in json.loads(m["Body"]).get("Records", [])]
    assert [r["s3"]["object"]["key"] for r in records] == ["k1"]


def test_authorizer_usage_plan_and_its_key(out):
    api = boto3.client("apigateway")
    [authorizer] = api.get_authorizers(restApiId=out["api"]["id"])["items"]
    assert (authorizer["id"], authorizer["type"]) == (out["auth"]["authorizer_id"], "REQUEST")
    assert authorizer["identitySource"] == "method.request.header.X-Tenant"
    plan = api.get_usage_plan(usagePlanId=out["auth"]["plan_id"])
    assert plan["throttle"] == {"rateLimit": 5.0, "burstLimit": 10}
    assert (plan["quota"]["limit"], plan["quota"]["period"]) == (100, "DAY")
    assert plan["apiStages"] == [{"apiId": out["api"]["id"], "stage": "v1"}]
    keys = api.get_usage_plan_keys(usagePlanId=out["auth"]["plan_id"])["items"]
    assert [k["id"] for k in keys] == [out["auth"]["key_id"]]
    assert api.get_api_key(apiKey=out["auth"]["key_id"], includeValue=True)["value"]


def test_log_group_with_retention_and_data_sources(out):
    [group] = boto3.client("logs").describe_log_groups(logGroupNamePrefix=out["logs"]["name"])["logGroups"]
    assert (group["logGroupName"], group["retentionInDays"]) == (out["logs"]["name"], 7)
    assert out["where"]["partition"] == "aws" and out["where"]["region"] == "us-east-1"
    assert out["where"]["account"].isdigit() and len(out["where"]["account"]) == 12


def test_gateway_response_replaces_api_gateways_own_error(out):
    response = requests.get(out["api"]["url"] + "/no/such/route", timeout=30)
    assert response.status_code == 404 and response.headers["X-Engine"] == "yes"
    assert response.json()["code"] == "no_route"


def test_unsupported_type_fails_naming_the_type(tmp_path, cloud_target):
    program = write_program(tmp_path, 'aws.ec2.Vpc("net", cidr_block="10.0.0.0/16")\n')
    with pytest.raises(DeployFailed, match=r"cannot create aws:ec2/vpc:Vpc \(resource 'net'\)"):
        deploy(program, cloud_target, driver="engine")


def test_unreachable_endpoint_fails_with_a_clear_message(tmp_path):
    program = write_program(tmp_path, 'aws.sqs.Queue("q")\n')
    closed = Target("endpoint", f"http://127.0.0.1:{free_loopback_port()}")
    with pytest.raises(DeployFailed, match=r"cannot reach the cloud endpoint .* aws:sqs/queue:Queue 'q'"):
        deploy(program, closed, driver="engine")


def test_api_rejecting_an_input_fails_naming_the_resource(tmp_path, cloud_target):
    program = write_program(tmp_path, (
        'aws.dynamodb.Table("broken", hash_key="id", billing_mode="PAY_PER_REQUEST",\n'
        '                   attributes=[aws.dynamodb.TableAttributeArgs(name="other", type="S")])\n'
    ))
    with pytest.raises(DeployFailed, match=r"creating aws:dynamodb/table:Table 'broken' failed: .*Validation"):
        deploy(program, cloud_target, driver="engine")


def test_proxy_integration_without_post_is_rejected_as_aws_would(tmp_path, cloud_target):
    program = write_program(tmp_path, (
        'api = aws.apigateway.RestApi("api")\n'
        'm = aws.apigateway.Method("m", rest_api=api.id, resource_id=api.root_resource_id, http_method="GET",\n'
        '                          authorization="NONE")\n'
        'aws.apigateway.Integration("i", rest_api=api.id, resource_id=api.root_resource_id,\n'
        '    http_method=m.http_method,\n'
        '    type="AWS_PROXY", integration_http_method="GET",\n'
        '    uri="arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/'
        'arn:aws:lambda:us-east-1:000000000000:function:f/invocations")\n'
    ))
    with pytest.raises(DeployFailed, match=r"integrationHttpMethod 'POST'"):
        deploy(program, cloud_target, driver="engine")
