"""A reachable cloud for the length of a ``with`` block: what the test session and every benchmark need.

The target comes from :func:`localcloud.target.resolve_target`: with ``AWS_ENDPOINT_URL`` set it is
used as it is; otherwise the embedded emulator is started, and stopped when the block ends (also on
an exception). Meanwhile boto3 in this process is pointed at the endpoint.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from localcloud import emulator
from localcloud.target import Target, resolve_target

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
        target = Target("embedded", process.endpoint, target.region)
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
