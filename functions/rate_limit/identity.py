"""Who a request to the authorizer comes from, pure: the API key, and the rate limit key it is counted
under (per key, per tenant header, per source IP). Also the IAM policy the authorizer answers with."""

from __future__ import annotations

import hashlib
from typing import Any

from functions.rate_limit.config import AuthorizerSettings


class Unauthenticated(Exception):
    """No usable credentials: the authorizer raises ``Exception("Unauthorized")`` (API Gateway's 401)."""


def header(event: dict[str, Any], name: str) -> str:
    """A request header, case-insensitively ('' when absent)."""
    wanted = name.lower()
    for key, value in (event.get("headers") or {}).items():
        if key.lower() == wanted and isinstance(value, str):
            return value.strip()
    return ""


def key_hash(api_key: str) -> str:
    """How a key is stored and looked up: its SHA-256 (the key itself is never stored)."""
    return hashlib.sha256(api_key.encode("utf-8")).hexdigest()


def api_key_of(event: dict[str, Any], settings: AuthorizerSettings) -> str:
    api_key = header(event, settings.key_header)
    if not api_key or len(api_key) > 256:
        raise Unauthenticated("missing or oversized API key")
    return api_key


def limit_key(event: dict[str, Any], settings: AuthorizerSettings, hashed_key: str) -> str:
    """The key the limits are counted under."""
    if settings.limit_by == "api_key":
        return f"key:{hashed_key[:32]}"
    if settings.limit_by == "header":
        tenant = header(event, settings.tenant_header)
        if not tenant or len(tenant) > 128:
            raise Unauthenticated(f"missing {settings.tenant_header} header")
        return f"tenant:{tenant}"
    source = ((event.get("requestContext") or {}).get("identity") or {}).get("sourceIp") or ""
    if not source:
        raise Unauthenticated("no source IP")
    return f"ip:{source}"


def policy(principal: str, effect: str, method_arn: str, context: dict[str, Any]) -> dict[str, Any]:
    """An authorizer answer for exactly this method (result caching is off: one decision per request)."""
    return {
        "principalId": principal,
        "policyDocument": {"Version": "2012-10-17", "Statement": [
            {"Action": "execute-api:Invoke", "Effect": effect, "Resource": method_arn}]},
        "context": context,
    }
