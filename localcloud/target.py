"""Target selection, in one place.

- ``AWS_ENDPOINT_URL`` set: deploy to and test against that endpoint (LocalStack, another MiniStack).
- unset: start the embedded emulator (MiniStack) on a free loopback port.
- real AWS only when asked explicitly with ``SERVERLESS_PATTERNS_TARGET=aws``, never by accident.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from localcloud.errors import LocalCloudError

TARGET_VARIABLE = "SERVERLESS_PATTERNS_TARGET"

# Services the catalog's resources and handlers call; each gets the endpoint in provider config.
AWS_SERVICES = (
    "apigateway", "apigatewayv2", "cloudwatch", "dynamodb", "events", "iam", "lambda", "logs", "s3",
    "scheduler", "secretsmanager", "sfn", "sns", "sqs", "ssm", "sts",
)

_AWS_INVOKE_URL = re.compile(r"^(?P<scheme>https|wss)://(?P<api>[a-z0-9]+)\.execute-api\.[a-z0-9-]+\.amazonaws\.com/(?P<stage>[^/]+)")


class TargetError(LocalCloudError, ValueError):
    """The environment asks for a target that cannot be used as configured."""


@dataclass(frozen=True)
class Target:
    """Where to deploy. ``instance``: for the embedded emulator, which of its lives (see
    :class:`localcloud.emulator.EmulatorProcess`), so deployment state follows the emulator."""

    kind: Literal["embedded", "endpoint", "aws"]
    endpoint: str | None = None
    region: str = "us-east-1"
    instance: str = ""

    @property
    def is_emulated(self) -> bool:
        return self.kind != "aws"


def resolve_target(env: Mapping[str, str] | None = None) -> Target:
    env = os.environ if env is None else env
    region = env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "us-east-1"
    requested = env.get(TARGET_VARIABLE, "").strip().lower()
    endpoint = env.get("AWS_ENDPOINT_URL", "").strip()
    if requested == "aws":
        if endpoint:
            raise TargetError(f"{TARGET_VARIABLE}=aws conflicts with AWS_ENDPOINT_URL={endpoint}; unset one")
        return Target("aws", None, region)
    if requested not in ("", "embedded", "endpoint"):
        raise TargetError(f"{TARGET_VARIABLE} must be 'aws', 'endpoint' or 'embedded', got {requested!r}")
    if endpoint and requested != "embedded":
        return Target("endpoint", endpoint.rstrip("/"), region)
    if requested == "endpoint":
        raise TargetError(f"{TARGET_VARIABLE}=endpoint needs AWS_ENDPOINT_URL")
    return Target("embedded", None, region)


def provider_config(endpoint: str, region: str = "us-east-1") -> dict[str, str]:
    """aws provider settings (Pulumi config path keys) that point every service at ``endpoint``."""
    config = {
        "aws:region": region,
        "aws:accessKey": "test",
        "aws:secretKey": "test",
        "aws:skipCredentialsValidation": "true",
        "aws:skipRequestingAccountId": "true",
        "aws:skipMetadataApiCheck": "true",
        "aws:s3UsePathStyle": "true",
    }
    for service in AWS_SERVICES:
        config[f"aws:endpoints[0].{service}"] = endpoint
    return config


def reachable_url(url: str, endpoint: str | None) -> str:
    """An API URL the caller can reach: on an emulator, AWS-style invoke URLs become path-style
    (``wss://`` WebSocket URLs keep a WebSocket scheme: ``ws://`` on an ``http://`` endpoint)."""
    if not endpoint:
        return url
    match = _AWS_INVOKE_URL.match(url)
    if not match:
        return url
    rest = url[match.end():]
    base = endpoint.rstrip("/")
    if match["scheme"] == "wss":
        base = re.sub(r"^http", "ws", base)
    return f"{base}/_aws/execute-api/{match['api']}/{match['stage']}{rest}"
