"""Session-wide cloud target: the embedded emulator (started once, stopped at the end, also on
failure or interrupt) unless ``AWS_ENDPOINT_URL`` or ``SERVERLESS_PATTERNS_TARGET`` says otherwise."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from localcloud import emulator
from localcloud.target import Target, resolve_target
from tests.capabilities import missing_capabilities

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def cloud_target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    """A reachable target, with boto3 in this process pointed at it."""
    target = resolve_target()
    process = None
    if target.kind == "embedded":
        log = ROOT / ".localcloud" / "test-emulator.log"
        process = emulator.start(log, venv=ROOT / ".venv-emulator")
        target = Target("embedded", process.endpoint, target.region)
    saved = {k: os.environ.get(k) for k in ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
                                             "AWS_DEFAULT_REGION")}
    if target.endpoint:
        os.environ["AWS_ENDPOINT_URL"] = target.endpoint
        os.environ.setdefault("AWS_ACCESS_KEY_ID", "test")
        os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "test")
    os.environ.setdefault("AWS_DEFAULT_REGION", target.region)
    try:
        yield target
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        if process is not None:
            process.stop()


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
