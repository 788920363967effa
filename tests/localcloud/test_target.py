from pathlib import Path

import pytest
import yaml

from localcloud.target import AWS_SERVICES, TargetError, provider_config, reachable_url, resolve_target

ROOT = Path(__file__).resolve().parents[2]


def test_embedded_by_default():
    assert resolve_target({}).kind == "embedded"


def test_endpoint_from_aws_endpoint_url():
    target = resolve_target({"AWS_ENDPOINT_URL": "http://localhost:4566/", "AWS_REGION": "eu-west-1"})
    assert (target.kind, target.endpoint, target.region) == ("endpoint", "http://localhost:4566", "eu-west-1")


def test_real_aws_only_when_asked_explicitly():
    assert resolve_target({"SERVERLESS_PATTERNS_TARGET": "aws"}).kind == "aws"
    assert resolve_target({"SERVERLESS_PATTERNS_TARGET": "aws"}).endpoint is None
    with pytest.raises(TargetError, match="conflicts"):
        resolve_target({"SERVERLESS_PATTERNS_TARGET": "aws", "AWS_ENDPOINT_URL": "http://localhost:4566"})
    with pytest.raises(TargetError, match="must be"):
        resolve_target({"SERVERLESS_PATTERNS_TARGET": "prod"})


def test_embedded_can_be_forced_even_with_an_endpoint_set():
    forced = resolve_target({"SERVERLESS_PATTERNS_TARGET": "embedded", "AWS_ENDPOINT_URL": "http://x:1"})
    assert forced.kind == "embedded"


def test_provider_config_points_every_service_at_the_endpoint():
    config = provider_config("http://127.0.0.1:4566")
    assert config["aws:skipCredentialsValidation"] == "true"
    assert config["aws:s3UsePathStyle"] == "true"
    assert {k.split(".", 1)[1] for k in config if k.startswith("aws:endpoints[0].")} == set(AWS_SERVICES)
    assert set(v for k, v in config.items() if k.startswith("aws:endpoints")) == {"http://127.0.0.1:4566"}


def test_localstack_stack_config_matches_the_provider_config():
    config = yaml.safe_load((ROOT / "Pulumi.localstack.yaml").read_text())["config"]
    expected = provider_config("http://localhost:4566")
    for key, value in expected.items():
        if key.startswith("aws:endpoints"):
            continue
        assert str(config[key]).lower() == value.lower(), key
    assert config["aws:endpoints"] == [{service: "http://localhost:4566" for service in AWS_SERVICES}]


def test_reachable_url_rewrites_aws_invoke_urls_only_on_emulators():
    aws_url = "https://abc123.execute-api.us-east-1.amazonaws.com/api"
    assert reachable_url(aws_url, None) == aws_url
    assert reachable_url(aws_url, "http://localhost:4566/") == "http://localhost:4566/_aws/execute-api/abc123/api"
    assert reachable_url(aws_url + "/x", "http://e:1") == "http://e:1/_aws/execute-api/abc123/api/x"
    socket = "wss://abc123.execute-api.us-east-1.amazonaws.com/ws"
    assert reachable_url(socket, None) == socket
    assert reachable_url(socket, "http://e:1") == "ws://e:1/_aws/execute-api/abc123/ws"
    assert reachable_url(socket, "https://e:1") == "wss://e:1/_aws/execute-api/abc123/ws"
    local = "http://127.0.0.1:5000/_aws/execute-api/abc/api"
    assert reachable_url(local, "http://127.0.0.1:5000") == local
