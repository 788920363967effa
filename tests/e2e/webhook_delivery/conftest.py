"""Fixtures of the outbound-webhook e2e tests: the deployed dispatcher, its API, a local receiver, and
endpoints registered for one test and deleted after it (the catalog's event types are shared)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests

from localcloud.receiver import Receiver


@pytest.fixture(scope="module")
def outputs(catalog: dict[str, Any]) -> dict[str, Any]:
    return catalog["webhook_delivery"]


@pytest.fixture(scope="module")
def base(outputs: dict[str, Any], api_url: Callable[[str], str]) -> str:
    return api_url(outputs["url"])


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.stop()


@pytest.fixture
def register(base: str, http: requests.Session, receiver: Receiver) -> Iterator[Callable[..., dict[str, Any]]]:
    """Register an endpoint (at a fresh receiver path unless ``url`` is given): the API's answer, plus ``path``."""
    created: list[str] = []

    def endpoint(event_types: list[str] | None = None, url: str | None = None, **fields: Any) -> dict[str, Any]:
        path = f"/hooks/{uuid.uuid4().hex}"
        response = http.post(f"{base}/endpoints", json={
            "url": url or receiver.url(path), "event_types": event_types or ["invoice.paid"], **fields})
        assert response.status_code == 201, response.text
        created.append(response.json()["id"])
        return {**response.json(), "path": path}

    yield endpoint
    for endpoint_id in created:
        http.delete(f"{base}/endpoints/{endpoint_id}")
