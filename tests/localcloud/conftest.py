"""Fixtures for the local cloud's own tests: deploy a small program with the local engine."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from localcloud.deploy import deploy
from localcloud.target import Target

PROGRAMS = Path(__file__).parent / "programs"


@pytest.fixture(scope="session")
def deploy_program(cloud_target: Target):
    """``deploy_program("all_types")`` -> the stack outputs of ``programs/<name>`` on the session target."""
    if cloud_target.kind == "aws":
        pytest.skip("the local engine deploys only to emulator endpoints")
    deployed: dict[str, dict[str, Any]] = {}

    def run(name: str) -> dict[str, Any]:
        if name not in deployed:
            deployed[name] = deploy(PROGRAMS / name, cloud_target, stack="engine-test", driver="engine").outputs
        return deployed[name]

    return run
