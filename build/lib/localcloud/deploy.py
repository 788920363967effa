"""One ``deploy(...)`` entry, two drivers.

- ``cli``: the Pulumi CLI is on PATH -> Automation API ``up`` on a local file backend, with the aws
  provider pointed at the target endpoint (:mod:`localcloud.automation`).
- ``engine``: no CLI -> the local engine (:mod:`localcloud.engine`) runs the same program under the
  SDK's mock runtime and creates each resource through boto3; it runs in a child process because
  the Pulumi runtime settings are process-global. It needs an endpoint and a fresh (or reset) one.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from localcloud.target import Target

Driver = Literal["auto", "cli", "engine"]


class DeployFailed(RuntimeError):
    """The deployment did not complete; the message carries the driver's own explanation."""


@dataclass
class DeployResult:
    outputs: dict[str, Any]
    driver: str
    seconds: float
    resources: list[tuple[str, str, str]] = field(default_factory=list)


def pulumi_cli_available() -> bool:
    return shutil.which("pulumi") is not None


def choose_driver(target: Target, driver: Driver = "auto") -> str:
    if driver == "auto":
        driver = "cli" if pulumi_cli_available() else "engine"
    if driver == "engine" and not target.endpoint:
        raise DeployFailed(
            "the local engine deploys only to an emulator endpoint; deploying to real AWS needs the Pulumi CLI"
        )
    if driver == "cli" and not pulumi_cli_available():
        raise DeployFailed("driver 'cli' asked for, but the pulumi CLI is not on PATH")
    return driver


def deploy(
    project_dir: Path,
    target: Target,
    stack: str = "local",
    driver: Driver = "auto",
    state_dir: Path | None = None,
    on_output: Callable[[str], Any] = lambda line: None,
) -> DeployResult:
    """Deploy the Pulumi program in ``project_dir`` to ``target``; return its stack outputs."""
    chosen = choose_driver(target, driver)
    started = time.monotonic()
    if chosen == "cli":
        from localcloud import automation

        outputs = automation.up(
            project_dir, target, stack, state_dir or project_dir / ".localcloud" / "state", on_output
        )
        return DeployResult(outputs, chosen, time.monotonic() - started)
    assert target.endpoint is not None
    outputs, resources = _run_engine(project_dir, target, stack)
    return DeployResult(outputs, chosen, time.monotonic() - started, resources)


def _run_engine(project_dir: Path, target: Target, stack: str) -> tuple[dict[str, Any], list]:
    with tempfile.TemporaryDirectory() as tmp:
        outputs_file = Path(tmp) / "outputs.json"
        env = {**os.environ, "AWS_DEFAULT_REGION": target.region}
        command = [
            sys.executable, "-m", "localcloud.engine",
            "--project-dir", str(project_dir),
            "--endpoint", str(target.endpoint),
            "--stack", stack,
            "--outputs-file", str(outputs_file),
        ]
        result = subprocess.run(command, capture_output=True, text=True, env=env, cwd=project_dir)
        if result.returncode != 0:
            detail = result.stderr.strip().splitlines()
            message = next((line for line in reversed(detail) if line.startswith("deploy failed:")), None)
            raise DeployFailed(message or "the local engine failed:\n" + "\n".join(detail[-30:]))
        data = json.loads(outputs_file.read_text())
    return data["outputs"], [tuple(r) for r in data["resources"]]
