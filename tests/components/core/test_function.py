import json

from components.core import iam
from components.core.function import PythonFunction, PythonFunctionArgs, function_name


def test_function_role_trusts_lambda_and_policy_holds_exactly_the_given_statements(build):
    statement = iam.allow(["sqs:SendMessage"], ["arn:aws:sqs:us-east-1:123456789012:q"])
    mocks = build(lambda: PythonFunction("fn", PythonFunctionArgs(
        package="counter", statements=[statement], environment={"A": "1"}, timeout=30, memory_size=512,
        reserved_concurrency=3)))

    name = function_name("fn")  # under the mocks' project and stack
    role = mocks.one("aws:iam/role:Role")
    trust = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
    assert trust == [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]
    statements = mocks.policy_statements()
    assert statements[1:] == [statement]
    assert statements[0] == {"Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                             "Resource": [f"arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/{name}:*"]}
    log_group = mocks.one("aws:cloudwatch/logGroup:LogGroup")
    assert (log_group.inputs["name"], log_group.inputs["retentionInDays"]) == (f"/aws/lambda/{name}", 14)
    fn = mocks.one("aws:lambda/function:Function")
    assert fn.inputs["name"] == name  # fixed per project/stack, so the log group is named before it exists
    assert (fn.inputs["timeout"], fn.inputs["memorySize"], fn.inputs["reservedConcurrentExecutions"]) == (30, 512, 3)
    assert fn.inputs["runtime"] == "python3.12"
    # Dependencies are bundled, so the function runs on every target (LocalStack's free image ignores layers).
    assert not mocks.of_type("aws:lambda/layerVersion:LayerVersion")
    assert "layers" not in fn.inputs
    assert "-deps-" in fn.inputs["code"].path


def test_dependencies_may_go_into_a_layer_instead(build):
    mocks = build(lambda: PythonFunction("layered", PythonFunctionArgs(package="counter", dependencies="layer")))
    fn = mocks.one("aws:lambda/function:Function")
    layer = mocks.one("aws:lambda/layerVersion:LayerVersion")
    assert layer.inputs["compatibleRuntimes"] == ["python3.12"]
    assert fn.inputs["layers"] == [f"arn:aws:lambda:us-east-1:123456789012:layer:{layer.inputs['layerName']}:1"]
    assert "-deps-" not in fn.inputs["code"].path


def test_least_privilege_helpers_refuse_empty_statements():
    import pytest

    with pytest.raises(ValueError, match="names its actions and its resources"):
        iam.allow([], ["*"])
    with pytest.raises(ValueError):
        iam.allow(["s3:GetObject"], [])


def test_least_privilege_helpers_refuse_wildcards():
    import pytest

    for actions, resources in ((["*"], ["arn:aws:s3:::b"]), (["dynamodb:*"], ["arn:aws:dynamodb:::table/t"]),
                               (["s3:GetObject"], ["*"])):
        with pytest.raises(ValueError, match="least privilege: name each"):
            iam.allow(actions, resources)
    assert iam.allow(["dynamodb:Query"], ["arn:aws:dynamodb:r:1:table/t/index/*"])["Resource"]  # one table's indexes
