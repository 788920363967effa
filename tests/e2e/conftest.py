"""One deployment of the whole catalog per test session, shared by every e2e test: the pytest
plugin's ``cloud_stack`` (the rootdir's Pulumi program, as any user's stack is deployed)."""

from __future__ import annotations

from typing import Any

import pytest

from localcloud.http import retrying_session, signed_session
from localcloud.session import CloudStack
from localcloud.target import Target


@pytest.fixture(scope="session")
def catalog(cloud_stack: CloudStack) -> dict[str, Any]:
    """The catalog's stack outputs, deployed once to the session's target."""
    return cloud_stack.outputs


@pytest.fixture(scope="session")
def api_url(cloud_stack: CloudStack):
    """Turn a pattern's exported API URL into one this process can reach on the target."""
    return cloud_stack.url


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
