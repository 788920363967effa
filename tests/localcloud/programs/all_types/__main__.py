"""One resource of every type the local engine supports, with distinctive settings to check."""

import json
import uuid

import pulumi
import pulumi_aws as aws

from components.core import iam

table = aws.dynamodb.Table(
    "items",
    attributes=[
        aws.dynamodb.TableAttributeArgs(name="pk", type="S"),
        aws.dynamodb.TableAttributeArgs(name="sk", type="N"),
        aws.dynamodb.TableAttributeArgs(name="status", type="S"),
    ],
    hash_key="pk",
    range_key="sk",
    billing_mode="PAY_PER_REQUEST",
    global_secondary_indexes=[
        aws.dynamodb.TableGlobalSecondaryIndexArgs(
            name="by-status",
            key_schemas=[
                aws.dynamodb.TableGlobalSecondaryIndexKeySchemaArgs(attribute_name="status", key_type="HASH"),
                aws.dynamodb.TableGlobalSecondaryIndexKeySchemaArgs(attribute_name="sk", key_type="RANGE"),
            ],
            projection_type="ALL",
        )
    ],
    stream_enabled=True,
    stream_view_type="NEW_IMAGE",
    ttl=aws.dynamodb.TableTtlArgs(attribute_name="expires_at", enabled=True),
)
role = aws.iam.Role("fn-role", assume_role_policy=iam.LAMBDA_ASSUME_ROLE)
policy = aws.iam.RolePolicy("fn-policy", role=role.name,
                            policy=iam.policy_document([iam.dynamodb_statement(table.arn, ["GetItem"])]))
layer = aws.lambda_.LayerVersion(
    "deps", layer_name="engine-test-deps", compatible_runtimes=["python3.12"],
    code=pulumi.AssetArchive({"python/engine_test_dep.py": pulumi.StringAsset("VALUE = 'from the layer'\n")}),
)
fn = aws.lambda_.Function(
    "echo",
    role=role.arn,
    runtime="python3.12",
    handler="functions.engine_echo.handler",
    timeout=7,
    memory_size=192,
    layers=[layer.arn],
    environment=aws.lambda_.FunctionEnvironmentArgs(variables={"GREETING": "hello", "NUMBER": "42"}),
    code=pulumi.AssetArchive({
        "functions/__init__.py": pulumi.StringAsset(""),
        "functions/engine_echo.py": pulumi.StringAsset(
            "import json, os\n"
            "from engine_test_dep import VALUE\n"
            "def handler(event, context):\n"
            "    return {'statusCode': 200, 'body': json.dumps({'greeting': os.environ['GREETING'],"
            " 'layer': VALUE, 'path': event.get('path')})}\n"
        ),
    }),
    opts=pulumi.ResourceOptions(depends_on=[policy]),
)
dlq = aws.sqs.Queue("dead-letters", message_retention_seconds=1209600)
queue = aws.sqs.Queue(
    "work",
    visibility_timeout_seconds=45,
    redrive_policy=dlq.arn.apply(lambda arn: json.dumps({"deadLetterTargetArn": arn, "maxReceiveCount": 3})),
)
fifo = aws.sqs.Queue("ordered", fifo_queue=True, content_based_deduplication=True)
aws.sqs.QueuePolicy("work-policy", queue_url=queue.url, policy=queue.arn.apply(lambda arn: json.dumps({
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com"},
                   "Action": "sqs:SendMessage", "Resource": arn}],
})))
mapping = aws.lambda_.EventSourceMapping(
    "work-to-echo", function_name=fn.name, event_source_arn=queue.arn, batch_size=7,
    function_response_types=["ReportBatchItemFailures"],
)
topic = aws.sns.Topic("news", display_name="News")
subscription = aws.sns.TopicSubscription(
    "news-to-work", topic=topic.arn, protocol="sqs", endpoint=queue.arn, raw_message_delivery=True,
    filter_policy=json.dumps({"kind": ["important"]}),
)
bus = aws.cloudwatch.EventBus("bus", name=f"engine-test-bus-{uuid.uuid4().hex[:8]}")  # buses are not autonamed
rule = aws.cloudwatch.EventRule("orders", event_bus_name=bus.name,
                                event_pattern=json.dumps({"source": ["engine.test"]}))
target = aws.cloudwatch.EventTarget("orders-to-work", rule=rule.name, event_bus_name=bus.name, arn=queue.arn)

api = aws.apigateway.RestApi("api", description="engine test api")
resource = aws.apigateway.Resource("echo-res", rest_api=api.id, parent_id=api.root_resource_id, path_part="echo")
method = aws.apigateway.Method("echo-get", rest_api=api.id, resource_id=resource.id, http_method="GET",
                               authorization="NONE")
integration = aws.apigateway.Integration("echo-int", rest_api=api.id, resource_id=resource.id,
                                         http_method=method.http_method, type="AWS_PROXY",
                                         integration_http_method="POST", uri=fn.invoke_arn)
permission = aws.lambda_.Permission("echo-perm", action="lambda:InvokeFunction", function=fn.name,
                                    principal="apigateway.amazonaws.com",
                                    source_arn=api.execution_arn.apply(lambda a: f"{a}/*/GET/echo"))
gw_role = aws.iam.Role("gw-role", assume_role_policy=iam.APIGATEWAY_ASSUME_ROLE)
send = aws.apigateway.Resource("send-res", rest_api=api.id, parent_id=api.root_resource_id, path_part="send")
send_model = aws.apigateway.Model("send-model", rest_api=api.id, name="SendBody", content_type="application/json",
                                  schema=json.dumps({"type": "object", "required": ["n"]}))
send_validator = aws.apigateway.RequestValidator("send-validator", rest_api=api.id, name="body",
                                                 validate_request_body=True)
send_method = aws.apigateway.Method("send-post", rest_api=api.id, resource_id=send.id, http_method="POST",
                                    authorization="NONE", request_models={"application/json": send_model.name},
                                    request_validator_id=send_validator.id)
send_integration = aws.apigateway.Integration(
    "send-int", rest_api=api.id, resource_id=send.id, http_method=send_method.http_method, type="AWS",
    integration_http_method="POST", credentials=gw_role.arn, passthrough_behavior="NEVER",
    uri=pulumi.Output.all(queue.name).apply(lambda v: f"arn:aws:apigateway:us-east-1:sqs:path/000000000000/{v[0]}"),
    request_parameters={"integration.request.header.Content-Type": "'application/x-www-form-urlencoded'"},
    request_templates={"application/json": "Action=SendMessage&MessageBody=$util.urlEncode($input.body)"},
)
send_response = aws.apigateway.MethodResponse("send-200", rest_api=api.id, resource_id=send.id,
                                              http_method=send_method.http_method, status_code="200")
send_integration_response = aws.apigateway.IntegrationResponse(
    "send-int-200", rest_api=api.id, resource_id=send.id, http_method=send_method.http_method, status_code="200",
    response_templates={"application/json": '{"queued": true}'},
    opts=pulumi.ResourceOptions(depends_on=[send_integration, send_response]),
)
missing = aws.apigateway.Response(
    "missing-route", rest_api_id=api.id, response_type="MISSING_AUTHENTICATION_TOKEN", status_code="404",
    response_templates={"application/json": '{"message":$context.error.messageString,"code":"no_route"}'},
    response_parameters={"gatewayresponse.header.X-Engine": "'yes'"})
deployment = aws.apigateway.Deployment("deployment", rest_api=api.id, opts=pulumi.ResourceOptions(
    depends_on=[method, integration, send_method, send_integration, send_response, send_integration_response,
                missing]))
stage = aws.apigateway.Stage("stage", rest_api=api.id, deployment=deployment.id, stage_name="v1")
gate = aws.apigateway.Authorizer("gate", rest_api=api.id, type="REQUEST", authorizer_uri=fn.invoke_arn,
                                 identity_source="method.request.header.X-Tenant", authorizer_result_ttl_in_seconds=0)
plan = aws.apigateway.UsagePlan(
    "plan", api_stages=[aws.apigateway.UsagePlanApiStageArgs(api_id=api.id, stage=stage.stage_name)],
    throttle_settings=aws.apigateway.UsagePlanThrottleSettingsArgs(rate_limit=5, burst_limit=10),
    quota_settings=aws.apigateway.UsagePlanQuotaSettingsArgs(limit=100, period="DAY"))
key = aws.apigateway.ApiKey("partner")
plan_key = aws.apigateway.UsagePlanKey("partner-plan", key_id=key.id, key_type="API_KEY", usage_plan_id=plan.id)
logs = aws.cloudwatch.LogGroup("echo-logs", name=f"/aws/lambda/engine-test-{uuid.uuid4().hex[:8]}",
                               retention_in_days=7)
uploads = aws.sqs.Queue("uploads")
bucket = aws.s3.Bucket("Uploads")  # upper case in the logical name: a bucket name is lower case
uploads_policy = aws.sqs.QueuePolicy("uploads-policy", queue_url=uploads.url, policy=pulumi.Output.all(
    uploads.arn, bucket.arn).apply(lambda v: json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "s3.amazonaws.com"}, "Action": "sqs:SendMessage",
        "Resource": v[0], "Condition": {"ArnEquals": {"aws:SourceArn": v[1]}}}]})))
notification = aws.s3.BucketNotification("uploads-notification", bucket=bucket.bucket, queues=[
    aws.s3.BucketNotificationQueueArgs(queue_arn=uploads.arn, events=["s3:ObjectCreated:*"])],
    opts=pulumi.ResourceOptions(depends_on=[uploads_policy]))
where = {"region": aws.get_region_output().region, "partition": aws.get_partition_output().partition,
         "account": aws.get_caller_identity_output().account_id}

pulumi.export("table", {"name": table.name, "arn": table.arn, "stream_arn": table.stream_arn})
pulumi.export("role", {"name": role.name, "arn": role.arn, "policy_id": policy.id})
pulumi.export("layer", {"arn": layer.arn, "layer_arn": layer.layer_arn})
pulumi.export("function", {"name": fn.name, "arn": fn.arn, "invoke_arn": fn.invoke_arn})
pulumi.export("permission", {"id": permission.id})
pulumi.export("queues", {"work_url": queue.url, "work_arn": queue.arn, "dlq_arn": dlq.arn, "fifo_name": fifo.name})
pulumi.export("mapping", {"uuid": mapping.uuid})
pulumi.export("sns", {"topic_arn": topic.arn, "subscription_arn": subscription.arn})
pulumi.export("events", {"bus_name": bus.name, "bus_arn": bus.arn, "rule_arn": rule.arn, "rule_name": rule.name,
                         "target_id": target.target_id})
pulumi.export("api", {"id": api.id, "execution_arn": api.execution_arn, "url": stage.invoke_url,
                      "stage_execution_arn": stage.execution_arn})
pulumi.export("auth", {"authorizer_id": gate.id, "plan_id": plan.id, "key_id": key.id, "plan_key_id": plan_key.id})
pulumi.export("logs", {"name": logs.name, "arn": logs.arn})
pulumi.export("where", where)
pulumi.export("s3", {"bucket": bucket.bucket, "arn": bucket.arn, "uploads_url": uploads.url})
