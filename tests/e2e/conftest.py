"""One deployment of the whole catalog per test session, shared by every e2e test."""

from __future__ import annotations

import os
from typing import Any

import pytest
import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from localcloud.deploy import deploy
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
def http():
    """A requests session that retries throttled calls (429), as an AWS client should.

    A throttled invocation never ran, so retrying it cannot double-apply anything. The embedded
    emulator caps concurrent Lambda executions (LAMBDA_ACCOUNT_CONCURRENCY) like an account does.
    """
    retry = Retry(total=30, status_forcelist=[429], allowed_methods=None, backoff_factor=0.1,
                  backoff_max=2, respect_retry_after_header=False, raise_on_status=False)
    session = requests.Session()
    session.mount("http://", HTTPAdapter(max_retries=retry, pool_maxsize=64))
    session.mount("https://", HTTPAdapter(max_retries=retry, pool_maxsize=64))
    with session:
        yield session
