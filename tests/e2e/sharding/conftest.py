"""Fixtures on the session's one deployment: the catalog's ShardedQueue (five shards deployed, four in
its first membership, jump hash)."""

from __future__ import annotations

from typing import Any

import pytest

from functions.sharding.client import ShardedQueueClient


@pytest.fixture(scope="module")
def sharding(catalog) -> dict[str, Any]:
    return catalog["sharding"]


@pytest.fixture(scope="module")
def base(sharding, api_url) -> str:
    return api_url(sharding["url"])


@pytest.fixture(scope="module")
def client(sharding) -> ShardedQueueClient:
    return ShardedQueueClient(sharding["client_config"])
