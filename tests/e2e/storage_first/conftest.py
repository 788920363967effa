"""Fixtures of the storage-first e2e tests: the deployed API's outputs and a client for its routes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import requests

from tests.e2e.storage_first.support import Client


@pytest.fixture(scope="module")
def outputs(catalog: dict[str, Any]) -> dict[str, Any]:
    return catalog["storage_first"]


@pytest.fixture(scope="module")
def client(outputs: dict[str, Any], api_url: Callable[[str], str], http: requests.Session) -> Client:
    return Client(api_url(outputs["url"]), http, outputs)
