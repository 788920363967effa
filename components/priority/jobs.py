"""What both priority-queue components share: the job handler they run, and the producer API.

Not a component itself; :mod:`components.priority.priority_queues` (SQS, one queue per level) and
:mod:`components.priority.dynamo_priority_queue` (one strictly ordered table) build on it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi

from components.core import Authorization, PythonFunction, PythonFunctionArgs, RestApi, RestApiArgs, Route, handoff
from functions.common.validation import validate_name
from functions.priority.config import DEFAULT_JOB_HANDLER, PriorityConfig


@dataclass(frozen=True)
class JobCode:
    """The code that does the work, run by the worker for each job.

    handler: ``module.function`` taking a ``functions.priority.jobs.Job`` and returning a
        JSON-serialisable result (raise to fail the job). The default,
        ``functions.priority.jobs.acknowledge``, does nothing and says what it received.
    files: your job code, bundled into the worker's archive: archive path (``my_jobs.py`` or
        ``my_jobs/``) -> a file or folder on disk. Works on every target (LocalStack's free image
        ignores layers).
    layers: Lambda layer ARNs that hold your handler's module (``python/<your_module>.py``) and its
        dependencies (AWS only: LocalStack's free image ignores layers).
    statements: IAM statements your handler needs (see :mod:`components.core.iam`); added to the worker's role.
    """

    handler: str = DEFAULT_JOB_HANDLER
    files: Mapping[str, str] = field(default_factory=dict)
    layers: Sequence[pulumi.Input[str]] = ()
    statements: Sequence[dict[str, Any]] = ()

    def __post_init__(self) -> None:
        if "." not in self.handler:
            raise ValueError(f"job handler {self.handler!r} must be 'module.function'")


def validate_levels(owner: object, levels: Sequence[str], field: str = "levels") -> list[str]:
    """Level names, highest first: at least one, unique, resource-style names."""
    try:
        names = [validate_name(level, "priority level") for level in levels]
    except ValueError as exc:
        raise ValueError(f"{type(owner).__name__}.{field}: {exc}") from None
    if not names:
        raise ValueError(f"{type(owner).__name__}.{field} must hold at least one priority level")
    if len(set(names)) != len(names):
        raise ValueError(f"{type(owner).__name__}.{field} must be unique, got {names}")
    return names


def producer_api(
    name: str, parent: pulumi.Resource, statements: Sequence[dict[str, Any]],
    config: Mapping[str, Any], auth: Authorization, stage_name: str, description: str,
) -> tuple[PythonFunction, RestApi]:
    """``POST /jobs`` and ``GET /jobs/{id}`` served by the ``priority`` package's API handler;
    ``config``: the :class:`PriorityConfig` fields it gets."""
    child = pulumi.ResourceOptions(parent=parent)
    function = PythonFunction(
        f"{name}-api-fn",
        PythonFunctionArgs(package="priority", handler="api.handler", statements=statements,
                           environment=handoff(PriorityConfig, **config)),
        opts=child,
    )
    api = RestApi(
        f"{name}-api",
        RestApiArgs(routes=[Route("POST", "/jobs", function), Route("GET", "/jobs/{id}", function)],
                    auth=auth, stage_name=stage_name, description=description),
        opts=child,
    )
    return function, api
