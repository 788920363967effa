"""The ``$connect`` authorizer: a connection is accepted only with a valid connect token (a ``token``
query parameter, or ``Authorization: Bearer <token>``), checked against the broadcast's secret in
Secrets Manager (:mod:`functions.websockets.tokens`). The token's subject reaches the connect
handler as the authorizer context; a refused connect runs no other code and stores nothing."""

from __future__ import annotations

import time
from typing import Any

import boto3
from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.websockets.config import WebSocketsConfig
from functions.websockets.exceptions import InvalidToken
from functions.websockets.tokens import verify

config = WebSocketsConfig.from_environment()
logger = Logger(service="websockets-authorizer")
secretsmanager = boto3.client("secretsmanager")
SECRET_CACHE_SECONDS = 300
_secret: tuple[float, bytes] | None = None


def secret() -> bytes:
    global _secret
    if _secret is None or time.monotonic() - _secret[0] > SECRET_CACHE_SECONDS:
        value = secretsmanager.get_secret_value(SecretId=config.token_secret_arn)["SecretString"]
        _secret = (time.monotonic(), value.encode())
    return _secret[1]


def token_of(event: dict[str, Any]) -> str | None:
    query = event.get("queryStringParameters") or {}
    if query.get("token"):
        return str(query["token"])
    headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
    bearer = str(headers.get("authorization") or "")
    return bearer[7:] if bearer.lower().startswith("bearer ") else None


def policy(effect: str, resource: str, principal: str, context: dict[str, str] | None = None) -> dict[str, Any]:
    return {"principalId": principal, "context": context or {},
            "policyDocument": {"Version": "2012-10-17", "Statement": [
                {"Action": "execute-api:Invoke", "Effect": effect, "Resource": resource}]}}


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    resource = str(event.get("methodArn", ""))
    try:
        subject = verify(secret(), token_of(event))
    except InvalidToken as error:
        logger.info("connect refused", extra={"reason": error.message})
        return policy("Deny", resource, "anonymous")
    return policy("Allow", resource, subject, {"subject": subject})
