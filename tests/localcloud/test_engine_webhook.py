"""The local engine's creators for Secrets Manager secrets and versions, SSM parameters and
EventBridge archives: really created, with their settings, and with the provider's outputs."""

from __future__ import annotations

import json

import boto3
import pytest

from localcloud.deploy import DeployFailed, deploy
from tests.localcloud.conftest import write_program


@pytest.fixture(scope="module")
def out(deploy_program):
    return deploy_program("webhook_types")


def test_secret_and_its_first_version(out):
    client = boto3.client("secretsmanager")
    described = client.describe_secret(SecretId=out["secret"]["arn"])
    assert out["secret"]["id"] == out["secret"]["arn"] == described["ARN"]
    assert described["Name"] == out["secret"]["name"] and described["Name"].startswith("signing-")
    assert described["Description"] == "engine test secret"
    assert {t["Key"]: t["Value"] for t in described["Tags"]} == {"purpose": "engine-test"}
    value = client.get_secret_value(SecretId=out["secret"]["arn"])
    assert value["SecretString"] == "first-value"
    assert value["VersionId"] == out["secret"]["version_id"]
    assert value["VersionStages"] == ["AWSCURRENT"]
    assert out["secret"]["version_arn"] == out["secret"]["arn"]
    assert out["secret"]["named_name"] == "engine-test/named-secret"


def test_parameters_secure_and_plain(out):
    ssm = boto3.client("ssm")
    secure = ssm.get_parameter(Name=out["parameter"]["name"], WithDecryption=True)["Parameter"]
    assert (secure["Type"], secure["Value"], secure["ARN"]) == ("SecureString", "line-1\nline-2",
                                                               out["parameter"]["arn"])
    assert out["parameter"]["version"] == 1
    assert ssm.get_parameter(Name=out["parameter"]["arn"], WithDecryption=True)["Parameter"]["Value"] == (
        "line-1\nline-2")
    plain = ssm.get_parameter(Name="/engine-test/plain")["Parameter"]
    assert (plain["Type"], plain["Value"]) == ("String", "hello") and out["parameter"]["plain_name"] == plain["Name"]


def test_archive_on_the_bus_with_pattern_and_retention(out):
    archive = boto3.client("events").describe_archive(ArchiveName=out["archive"]["name"])
    assert archive["ArchiveArn"] == out["archive"]["arn"]
    assert archive["EventSourceArn"] == out["archive"]["bus_arn"]
    assert archive["RetentionDays"] == 3
    assert archive["Description"] == "engine test archive"
    assert json.loads(archive["EventPattern"]) == {"source": ["engine.test"]}


def test_secret_version_without_a_value_fails_naming_the_resource(tmp_path, cloud_target):
    program = write_program(tmp_path, (
        's = aws.secretsmanager.Secret("s")\n'
        'aws.secretsmanager.SecretVersion("empty", secret_id=s.id)\n'
    ))
    with pytest.raises(DeployFailed, match=r"SecretVersion 'empty' failed: invalid input: .*secretString"):
        deploy(program, cloud_target, driver="engine")


def test_archive_of_a_missing_bus_fails_naming_the_resource(tmp_path, cloud_target):
    program = write_program(tmp_path, (
        'aws.cloudwatch.EventArchive("orphan", event_source_arn='
        '"arn:aws:events:us-east-1:000000000000:event-bus/no-such-bus-anywhere")\n'
    ))
    with pytest.raises(DeployFailed, match=r"EventArchive 'orphan' failed"):
        deploy(program, cloud_target, driver="engine")
