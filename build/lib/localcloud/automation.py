"""The Pulumi CLI driver: Automation API ``up`` / ``destroy`` on a local file backend.

Used when the ``pulumi`` CLI is on PATH. With an endpoint, the aws provider is pointed at it
through stack config (``aws:endpoints`` and the skip-validation flags); without one, it deploys to
real AWS with the normal credential chain.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from localcloud.target import Target, provider_config


def _stack(project_dir: Path, stack_name: str, state_dir: Path) -> Any:
    from pulumi import automation as auto

    state_dir.mkdir(parents=True, exist_ok=True)
    env = {
        "PULUMI_BACKEND_URL": state_dir.resolve().as_uri(),
        "PULUMI_CONFIG_PASSPHRASE": os.environ.get("PULUMI_CONFIG_PASSPHRASE", ""),
    }
    options = auto.LocalWorkspaceOptions(work_dir=str(project_dir), env_vars=env)
    return auto.create_or_select_stack(stack_name=stack_name, work_dir=str(project_dir), opts=options)


def up(
    project_dir: Path, target: Target, stack_name: str, state_dir: Path, on_output: Callable[[str], Any] = print
) -> dict[str, Any]:
    from pulumi import automation as auto

    stack = _stack(project_dir, stack_name, state_dir)
    if target.endpoint:
        config = provider_config(target.endpoint, target.region)
        stack.set_all_config(
            {key: auto.ConfigValue(value, secret=key == "aws:secretKey") for key, value in config.items()},
            path=True,
        )
    else:
        stack.set_config("aws:region", auto.ConfigValue(target.region))
    result = stack.up(on_output=on_output)
    return {key: value.value for key, value in result.outputs.items()}


def destroy(project_dir: Path, stack_name: str, state_dir: Path, on_output: Callable[[str], Any] = print) -> None:
    _stack(project_dir, stack_name, state_dir).destroy(on_output=on_output)
