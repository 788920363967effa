"""A reachable cloud for the length of a ``with`` block: what a test session and every benchmark need.

The target comes from :func:`localcloud.target.resolve_target`: with ``AWS_ENDPOINT_URL`` set it is
used as it is; otherwise the embedded emulator is started (provisioned first if needed), and stopped
when the block ends (also on an exception). Meanwhile boto3 in this process is pointed at the endpoint.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from localcloud import emulator
from localcloud.target import Target, reachable_url, resolve_target

_AWS_VARIABLES = ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION")


@contextmanager
def cloud(
    log_path: Path, venv: Path | None = None, lambda_concurrency: int = 8
) -> Iterator[tuple[Target, emulator.EmulatorProcess | None]]:
    """``(target, emulator process or None)``; the process is ours only on the embedded target."""
    target = resolve_target()
    process = None
    if target.kind == "embedded":
        process = emulator.start(log_path, venv=venv, lambda_concurrency=lambda_concurrency)
        target = Target("embedded", process.endpoint, target.region, process.instance)
    saved = {key: os.environ.get(key) for key in _AWS_VARIABLES}
    if target.endpoint:
        os.environ["AWS_ENDPOINT_URL"] = target.endpoint
        os.environ.setdefault("AWS_ACCESS_KEY_ID", "test")
        os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "test")
    os.environ.setdefault("AWS_DEFAULT_REGION", target.region)
    try:
        yield target, process
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        if process is not None:
            process.stop()


@dataclass(frozen=True)
class CloudStack:
    """A deployed Pulumi program: its outputs, where it runs, and boto3 pointed there.

    Examples
    --------
    >>> url = cloud_stack.url(cloud_stack.outputs["counter"]["url"])            # doctest: +SKIP
    >>> cloud_stack.client("dynamodb").describe_table(TableName="...")          # doctest: +SKIP
    """

    outputs: dict[str, Any]
    target: Target
    project_dir: Path
    stack: str
    driver: str

    @property
    def endpoint(self) -> str | None:
        """The emulator's endpoint; ``None`` on real AWS."""
        return self.target.endpoint

    @property
    def region(self) -> str:
        return self.target.region

    def session(self) -> Any:
        """A ``boto3.Session`` for the target (the emulator's dummy credentials when emulated)."""
        import boto3

        if self.target.is_emulated:
            return boto3.Session(region_name=self.region, aws_access_key_id="test", aws_secret_access_key="test")
        return boto3.Session(region_name=self.region)

    def client(self, service: str, **kwargs: Any) -> Any:
        """``boto3`` client for ``service`` on the target."""
        return self.session().client(service, endpoint_url=self.endpoint, **kwargs)

    def resource(self, service: str, **kwargs: Any) -> Any:
        return self.session().resource(service, endpoint_url=self.endpoint, **kwargs)

    def url(self, exported: str) -> str:
        """An exported API URL as this process can reach it (path-style on an emulator)."""
        return reachable_url(exported, self.endpoint)
