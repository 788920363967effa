"""One deployment of the whole catalog per test session, shared by every e2e test."""

from __future__ import annotations

import os
from typing import Any

import pytest

from localcloud.deploy import deploy
from localcloud.http import retrying_session, signed_session
from localcloud.target import Target, reachable_url
from tests.conftest import ROOT


@pytest.fixture(scope="session")
def catalog(cloud_target: Target) -> dict[str, Any]:
    """The catalog's stack outputs, deployed once to the session's target."""
    result = deploy(ROOT, cloud_target, stack=os.environ.get("PULUMI_STACK", "e2e"),
                    state_dir=ROOT / ".localcloud" / "e2e-state")
    return result.outputs


@pytest.fixture(scope="session")
def api_url(cloud_target: Target):
    """Turn a pattern's exported API URL into one this process can reach on the target."""

    def url(exported: str) -> str:
        return reachable_url(exported, cloud_target.endpoint)

    return url


@pytest.fixture(scope="session")
def http(cloud_target: Target):
    """An authorised client: requests SigV4-signed (the catalog's routes are behind ``IamAuth``) and
    throttled calls (429) retried, as an AWS client does. The embedded emulator caps concurrent
    Lambda executions (LAMBDA_ACCOUNT_CONCURRENCY) like an account does."""
    with signed_session(cloud_target.region) as session:
        yield session


@pytest.fixture(scope="session")
def anonymous_http():
    """A client with no credentials at all: what the internet sends."""
    with retrying_session() as session:
        yield session
