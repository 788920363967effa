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


def write_program(tmp_path: Path, body: str) -> Path:
    """A one-file Pulumi program (aws already imported) in ``tmp_path``, for the engine's failure cases."""
    (tmp_path / "Pulumi.yaml").write_text("name: engine-error-case\nruntime: python\n")
    (tmp_path / "__main__.py").write_text("import pulumi\nimport pulumi_aws as aws\n" + body)
    return tmp_path
