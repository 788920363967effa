"""One deployment of the whole catalog per test session, shared by every e2e test: the pytest
plugin's ``cloud_stack`` (the rootdir's Pulumi program, as any user's stack is deployed)."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from localcloud.session import CloudStack


@pytest.fixture(scope="session")
def catalog(cloud_stack: CloudStack) -> dict[str, Any]:
    """The catalog's stack outputs, deployed once to the session's target."""
    return cloud_stack.outputs


@pytest.fixture(scope="session")
def api_url(cloud_stack: CloudStack):
    """Turn a pattern's exported API URL into one this process can reach on the target."""
    return cloud_stack.url


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
