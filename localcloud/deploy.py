"""One ``deploy(...)`` entry, two drivers (and ``destroy(...)`` for the one that can delete).

- ``cli``: the Pulumi CLI is on PATH -> Automation API ``up`` on a local file backend, with the aws
  provider pointed at the target endpoint, state kept per emulator (:mod:`localcloud.automation`).
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

import yaml

from localcloud.errors import LocalCloudError, one_line
from localcloud.target import Target

Driver = Literal["auto", "cli", "engine"]
FAILURE_PREFIX = "deploy failed:"  # how the engine process reports a failure it understood


class DeployFailed(LocalCloudError):
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


def check_project(project_dir: Path, fix: str = "point at the directory of your Pulumi project") -> None:
    """Fail early, with the fix, when ``project_dir`` holds no Python Pulumi project."""
    settings = project_dir / "Pulumi.yaml"
    if not settings.is_file():
        raise DeployFailed(f"no Pulumi.yaml in {project_dir}: {fix}")
    try:
        runtime = (yaml.safe_load(settings.read_text()) or {}).get("runtime")
    except yaml.YAMLError as exc:
        raise DeployFailed(f"{settings} is not valid YAML: {one_line(exc)}") from exc
    name = runtime.get("name") if isinstance(runtime, dict) else runtime
    if name != "python":
        raise DeployFailed(f"{settings} declares runtime {name!r}; only Python programs (runtime: python) deploy here")


def deploy(
    project_dir: Path,
    target: Target,
    stack: str = "local",
    driver: Driver = "auto",
    local_dir: Path | None = None,
    on_output: Callable[[str], Any] = lambda line: None,
) -> DeployResult:
    """Deploy the Pulumi program in ``project_dir`` to ``target``; return its stack outputs.

    ``local_dir`` (default ``<project_dir>/.localcloud``) holds the CLI driver's state.
    """
    check_project(project_dir)
    chosen = choose_driver(target, driver)
    started = time.monotonic()
    if chosen == "cli":
        from localcloud import automation

        outputs = automation.up(project_dir, target, stack, local_dir or project_dir / ".localcloud", on_output)
        return DeployResult(outputs, chosen, time.monotonic() - started)
    assert target.endpoint is not None
    outputs, resources = _run_engine(project_dir, target, stack)
    return DeployResult(outputs, chosen, time.monotonic() - started, resources)


def destroy(
    project_dir: Path,
    target: Target,
    stack: str = "local",
    local_dir: Path | None = None,
    on_output: Callable[[str], Any] = lambda line: None,
) -> str:
    """Undo :func:`deploy` on an emulator target; returns what was done, in words.

    The embedded emulator's state is simply forgotten (stopping the emulator deletes everything).
    On another endpoint the CLI driver destroys the stack; the local engine keeps no state and
    cannot delete. Real AWS is refused: that is ``pulumi destroy``, run by its owner.
    """
    from localcloud import automation

    local_dir = local_dir or project_dir / ".localcloud"
    plan = automation.state_plan(target, local_dir)
    if target.kind == "embedded":
        automation.discard(plan)
        return "its deployment state is discarded"
    if target.kind == "aws":
        raise DeployFailed("down never destroys a real AWS stack; run `pulumi destroy` in the project yourself")
    if not pulumi_cli_available():
        return (f"nothing destroyed at {target.endpoint}: the local engine keeps no state and cannot delete "
                "(up resets a MiniStack endpoint before it deploys; restart LocalStack to empty it)")
    if automation.destroy(project_dir, target, stack, local_dir, on_output):
        return f"stack {stack!r} destroyed at {target.endpoint} and its state removed"
    return f"no stack {stack!r} recorded for {target.endpoint}; nothing to destroy"


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
            detail = [line for line in result.stderr.strip().splitlines() if line.strip()]
            reported = next((line for line in reversed(detail) if line.startswith(FAILURE_PREFIX)), None)
            if reported:
                raise DeployFailed(reported[len(FAILURE_PREFIX):].strip())
            last = one_line(detail[-1]) if detail else f"exit code {result.returncode}, no output"
            raise DeployFailed(f"the local engine stopped unexpectedly: {last}")
        data = json.loads(outputs_file.read_text())
    return data["outputs"], [tuple(r) for r in data["resources"]]
