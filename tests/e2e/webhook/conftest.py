"""Fixtures of the webhook ingress e2e tests: the deployed ingress, a signing sender, the subscriber."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import requests

from tests.e2e.webhook.support import Sender, Subscriber


@pytest.fixture(scope="module")
def outputs(catalog: dict[str, Any]) -> dict[str, Any]:
    return catalog["webhook"]["ingress"]


@pytest.fixture(scope="module")
def sender(outputs: dict[str, Any], api_url: Callable[[str], str], anonymous_http: requests.Session) -> Sender:
    """Signs like GitHub or Stripe would: with the webhook secret, and no AWS credentials."""
    return Sender(outputs, api_url(outputs["url"]), anonymous_http)


@pytest.fixture(scope="module")
def subscriber(catalog: dict[str, Any]) -> Subscriber:
    return Subscriber(catalog["webhook"]["subscriber"]["events_queue_url"])
