"""Fixtures on the session's one deployment: the rate-limit section of the catalog."""

from __future__ import annotations

import secrets
import uuid
from typing import Any

import boto3
import pytest

from functions.rate_limit.identity import key_hash


@pytest.fixture(scope="module")
def rate_limit(catalog) -> dict[str, Any]:
    return catalog["rate_limit"]


@pytest.fixture(scope="module")
def register_key(rate_limit):
    """``register_key()`` -> a fresh API key, registered in the authorizer's clients table."""
    table = boto3.client("dynamodb")

    def register(client: str | None = None) -> str:
        api_key = secrets.token_urlsafe(24)
        table.put_item(TableName=rate_limit["limiter"]["clients_table_name"], Item={
            "key_hash": {"S": key_hash(api_key)}, "client": {"S": client or f"client-{uuid.uuid4().hex[:8]}"}})
        return api_key

    return register
