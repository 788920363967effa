"""Session-wide cloud target: the embedded emulator (started once, stopped at the end, also on
failure or interrupt) unless ``AWS_ENDPOINT_URL`` or ``SERVERLESS_PATTERNS_TARGET`` says otherwise."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from localcloud.session import cloud
from localcloud.target import Target
from tests.capabilities import missing_capabilities

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def cloud_target() -> Iterator[Target]:
    """A reachable target, with boto3 in this process pointed at it."""
    with cloud(ROOT / ".localcloud" / "test-emulator.log", venv=ROOT / ".venv-emulator") as (target, _):
        yield target


@pytest.fixture(scope="session")
def missing(cloud_target: Target) -> dict[str, str]:
    """Capabilities the current target lacks, with the reason (see tests/capabilities.py)."""
    return missing_capabilities(cloud_target)


@pytest.fixture(autouse=True)
def _skip_missing_capability(request: pytest.FixtureRequest) -> None:
    marker = request.node.get_closest_marker("requires")
    if marker is None:
        return
    gaps = request.getfixturevalue("missing")
    for capability in marker.args:
        if capability in gaps:
            pytest.skip(f"target lacks {capability}: {gaps[capability]}")
