"""The Pulumi CLI driver: Automation API ``up`` / ``destroy`` on a local file backend.

Used when the ``pulumi`` CLI is on PATH. With an endpoint, the aws provider is pointed at it through
stack config (``aws:endpoints`` and the skip-validation flags); without one, it deploys to real AWS
with the normal credential chain.

The state must follow the target, or a second ``up`` into a fresh emulator creates nothing and
returns outputs that name resources gone with the old one (:func:`state_plan`):

- embedded emulator: one backend folder per emulator instance (a new instance at every start and
  every reset), so a fresh emulator starts from empty state; discarded with the instance.
- another endpoint (LocalStack, a MiniStack you run): one backend folder per endpoint.
- both: ``up`` refreshes first (``pulumi up --refresh``), so resources that vanished with a restart
  or a reset nobody told us about are dropped from state and created again.
- real AWS: ``<project>/.localcloud/state``, never discarded, no implicit refresh: it is the user's.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from itertools import takewhile
from pathlib import Path
from typing import Any

from localcloud.errors import LocalCloudError, one_line
from localcloud.target import Target, provider_config


class PulumiFailed(LocalCloudError):
    """The Pulumi CLI reported an error; the message is its first ``error:`` line."""


@dataclass(frozen=True)
class StatePlan:
    """Where a target's stack state lives, and what ``up`` / ``down`` may do with it."""

    backend: Path
    refresh: bool  # refresh before ``up``: the target may have lost resources behind our back
    disposable: bool  # it describes an emulator's contents, and goes when they go


def state_plan(target: Target, local_dir: Path) -> StatePlan:
    """The state for ``target``, under the project's tooling folder ``local_dir`` (``.localcloud``)."""
    if target.kind == "aws":
        return StatePlan(local_dir / "state", refresh=False, disposable=False)
    if target.kind == "embedded" and target.instance:
        key = f"embedded-{target.instance}"
    else:
        key = "endpoint-" + re.sub(r"[^A-Za-z0-9]+", "-", target.endpoint or "none").strip("-")
    return StatePlan(local_dir / "emulator-state" / key, refresh=True, disposable=True)


def discard(plan: StatePlan) -> None:
    """Forget an emulator's state (its resources went with it). Real AWS state is never discarded."""
    if not plan.disposable:
        raise ValueError(f"refusing to discard {plan.backend}: it holds the state of a real AWS stack")
    shutil.rmtree(plan.backend, ignore_errors=True)


def _stack(project_dir: Path, stack_name: str, backend: Path) -> Any:
    from pulumi import automation as auto

    backend.mkdir(parents=True, exist_ok=True)
    env = {
        "PULUMI_BACKEND_URL": backend.resolve().as_uri(),
        "PULUMI_CONFIG_PASSPHRASE": os.environ.get("PULUMI_CONFIG_PASSPHRASE", ""),
    }
    options = auto.LocalWorkspaceOptions(work_dir=str(project_dir), env_vars=env)
    return auto.create_or_select_stack(stack_name=stack_name, work_dir=str(project_dir), opts=options)


def _configure(stack: Any, target: Target) -> None:
    from pulumi import automation as auto

    if target.endpoint:
        config = provider_config(target.endpoint, target.region)
        stack.set_all_config(
            {key: auto.ConfigValue(value, secret=key == "aws:secretKey") for key, value in config.items()},
            path=True,
        )
    else:
        leftover = sorted(key for key in stack.get_all_config() if key.startswith("aws:endpoints"))
        if leftover:  # written by an emulator deployment of the same stack name: it would deploy there
            raise PulumiFailed(
                f"stack config still points the aws provider at an emulator ({leftover[0]} in "
                "Pulumi.<stack>.yaml); deploy to AWS under another stack name (--stack), or remove those keys"
            )
        stack.set_config("aws:region", auto.ConfigValue(target.region))


def up(
    project_dir: Path, target: Target, stack_name: str, local_dir: Path, on_output: Callable[[str], Any] = print
) -> dict[str, Any]:
    """``pulumi up`` (with ``--refresh`` on emulators) into the state that belongs to ``target``."""
    from pulumi.automation import errors

    plan = state_plan(target, local_dir)
    try:
        stack = _stack(project_dir, stack_name, plan.backend)
        _configure(stack, target)
        result = stack.up(on_output=on_output, **({"refresh": True} if plan.refresh else {}))
    except errors.CommandError as exc:
        raise PulumiFailed(f"pulumi up failed: {summary(str(exc))}") from exc
    return {key: value.value for key, value in result.outputs.items()}


def destroy(
    project_dir: Path, target: Target, stack_name: str, local_dir: Path, on_output: Callable[[str], Any] = print
) -> bool:
    """Delete what ``up`` created on an emulator endpoint, then remove the stack and its state.

    ``False`` when no state was recorded for that endpoint. Never touches a real AWS stack.
    """
    from pulumi.automation import errors

    plan = state_plan(target, local_dir)
    if not plan.disposable:
        raise ValueError("destroy() is for emulator targets; a real AWS stack is destroyed by its owner")
    if not plan.backend.exists():
        return False
    try:
        stack = _stack(project_dir, stack_name, plan.backend)
        _configure(stack, target)
        stack.destroy(on_output=on_output, refresh=True)  # refresh: resources already gone are not errors
        stack.workspace.remove_stack(stack_name, preserve_config=True)  # keep the user's Pulumi.<stack>.yaml
    except errors.CommandError as exc:
        raise PulumiFailed(f"pulumi destroy failed: {summary(str(exc))}") from exc
    discard(plan)
    return True


def summary(output: str) -> str:
    """The line of a Pulumi CLI failure that says what went wrong.

    The first ``error:`` line; when it only announces a block (``...unhandled exception:``), the
    block's last line (the exception itself) is appended.
    """
    lines = [line.strip() for line in output.splitlines()]
    for index, line in enumerate(lines):
        if line.startswith("error:"):
            block = list(takewhile(bool, lines[index + 1:]))
            return one_line(f"{line} {block[-1]}" if line.endswith(":") and block else line)
    meaningful = [line for line in lines if line]
    return one_line(meaningful[-1]) if meaningful else "no output"
