"""Fixtures of the component tier: build components under the one Pulumi-mock harness."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.components.harness import RecordingMocks, run_under_mocks


@pytest.fixture(scope="session")
def build_dir(tmp_path_factory) -> str:
    """One build folder for the session, so each dependency layer is built with pip once."""
    return str(tmp_path_factory.mktemp("build"))


@pytest.fixture
def build(build_dir, monkeypatch) -> Callable[[Callable[[], Any]], RecordingMocks]:
    """``build(lambda: Component(...))`` runs the constructor and waits until every child is registered."""
    monkeypatch.setenv("SERVERLESS_PATTERNS_BUILD_DIR", build_dir)
    return run_under_mocks
