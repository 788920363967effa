"""The job code of the test catalog, with hooks so tests can make jobs slow, fail or crash
deterministically. Never part of the library: the catalog bundles this file into its priority
workers (``JobCode(files=...)``) as the module ``catalog_jobs``; a component's default job code is
the harmless ``functions.priority.jobs.acknowledge``.

Test hooks (payload fields):

- ``work_ms``: sleep this long, simulating work (at most 10 s).
- ``fail``: a message; the job raises :class:`JobFailed` with it on every attempt (a poison job).
- ``fail_attempts``: fail on the first n attempts, then succeed (a transient failure).
- ``crash_attempts``: end the worker process abruptly on the first n attempts, as a crash or an
  out-of-memory kill would (the DynamoDB variant's lease returns the job to the queue).
"""

from __future__ import annotations

import os
import time
from typing import Any

from functions.priority.jobs import Job

MAX_WORK_MS = 10_000


class JobFailed(RuntimeError):
    """The job asked to fail (test hook)."""


def run(job: Job) -> dict[str, Any]:
    payload = job.payload
    if job.attempt <= int(payload.get("crash_attempts", 0)):
        os._exit(17)  # no cleanup, no response: the worker simply dies mid-job
    if "fail" in payload:
        raise JobFailed(str(payload["fail"]))
    if job.attempt <= int(payload.get("fail_attempts", 0)):
        raise JobFailed(f"transient failure on attempt {job.attempt}")
    work_ms = min(max(int(payload.get("work_ms", 0)), 0), MAX_WORK_MS)
    if work_ms:
        time.sleep(work_ms / 1000)
    return {"worked_ms": work_ms}
