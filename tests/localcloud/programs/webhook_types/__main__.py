"""The resource types the webhook ingress added to the local engine, with distinctive settings."""

import json

import pulumi
import pulumi_aws as aws

secret = aws.secretsmanager.Secret("signing", description="engine test secret", recovery_window_in_days=7,
                                   tags={"purpose": "engine-test"})
version = aws.secretsmanager.SecretVersion("signing-v1", secret_id=secret.id,
                                           secret_string=pulumi.Output.secret("first-value"))
named = aws.secretsmanager.Secret("named", name="engine-test/named-secret")
parameter = aws.ssm.Parameter("param", type="SecureString", value=pulumi.Output.secret("line-1\nline-2"),
                              description="engine test parameter")
plain = aws.ssm.Parameter("plain", name="/engine-test/plain", type="String", value="hello")
bus = aws.cloudwatch.EventBus("bus", name="engine-test-archive-bus")
archive = aws.cloudwatch.EventArchive(
    "archive", event_source_arn=bus.arn, retention_days=3, description="engine test archive",
    event_pattern=json.dumps({"source": ["engine.test"]}),
)

pulumi.export("secret", {"arn": secret.arn, "id": secret.id, "name": secret.name, "version_id": version.version_id,
                         "version_arn": version.arn, "named_name": named.name})
pulumi.export("parameter", {"name": parameter.name, "arn": parameter.arn, "version": parameter.version,
                            "plain_name": plain.name})
pulumi.export("archive", {"name": archive.name, "arn": archive.arn, "bus_arn": bus.arn})
