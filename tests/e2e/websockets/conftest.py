"""Fixtures on the session's one deployment: the catalog's WebSocketBroadcast (connect tokens, fan-out
in deliveries of 25 connections). Every test module here is marked
``requires("apigateway-websocket")``."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.websockets.support import connect_secret


@pytest.fixture(scope="module")
def broadcast(catalog) -> dict[str, Any]:
    return catalog["websockets"]


@pytest.fixture(scope="module")
def ws_url(broadcast, api_url) -> str:
    return api_url(broadcast["websocket_api_url"])


@pytest.fixture(scope="module")
def secret(broadcast) -> bytes:
    return connect_secret(broadcast["token_secret_arn"])


@pytest.fixture(scope="module")
def table(broadcast) -> str:
    return broadcast["connections_table_name"]
