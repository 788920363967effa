"""The embedded emulator's own virtualenv, provisioned on first use in a per-user cache.

The pinned MiniStack ships with this package (``emulator-requirements.txt``), so ``pip install`` is
the only set-up step: the first ``serverless-patterns up`` or test session builds
``<cache>/emulator/ministack-<version>-py<X.Y>`` (boto3 in the virtualenv, MiniStack in its
``ministack`` folder: see :mod:`localcloud.emulator` for why) and every project of the user reuses it.

The cache is ``$SERVERLESS_PATTERNS_CACHE_DIR``, else ``$XDG_CACHE_HOME/serverless-patterns``, else
``~/.cache/serverless-patterns``. Builders hold a file lock and build in a temporary sibling folder
that is renamed into place once complete, so two sessions starting together build it once, and
nobody ever uses a half-built one (a builder that dies leaves only a partial folder, removed by
the next one).
"""

from __future__ import annotations

import fcntl
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from importlib import resources
from pathlib import Path

from localcloud.errors import LocalCloudError, one_line

CACHE_VARIABLE = "SERVERLESS_PATTERNS_CACHE_DIR"
REQUIREMENTS = "emulator-requirements.txt"
COMPLETE = ".complete"  # written last, before the rename: its presence means usable
_PARTIAL = ".partial-"

Builder = Callable[[Path, str], None]


class ProvisionError(LocalCloudError):
    """The emulator's virtualenv could not be created."""


def requirements() -> str:
    """The pinned emulator requirements shipped with the package."""
    return resources.files("localcloud").joinpath(REQUIREMENTS).read_text()


def ministack_version(text: str | None = None) -> str:
    match = re.search(r"^\s*ministack\s*==\s*([\w.]+)", text if text is not None else requirements(), re.MULTILINE)
    if match is None:
        raise ProvisionError(f"no pinned ministack==<version> line in localcloud/{REQUIREMENTS}")
    return match.group(1)


def cache_dir(env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    if env.get(CACHE_VARIABLE):
        return Path(env[CACHE_VARIABLE]).expanduser()
    base = Path(env["XDG_CACHE_HOME"]).expanduser() if env.get("XDG_CACHE_HOME") else Path.home() / ".cache"
    return base / "serverless-patterns"


def emulator_venv_path(env: Mapping[str, str] | None = None) -> Path:
    """One virtualenv per MiniStack version (and Python minor version: a virtualenv belongs to one)."""
    python = f"py{sys.version_info.major}.{sys.version_info.minor}"
    return cache_dir(env) / "emulator" / f"ministack-{ministack_version()}-{python}"


def is_provisioned(venv: Path) -> bool:
    return (venv / COMPLETE).is_file()


def ensure_emulator_venv(
    venv: Path | None = None, say: Callable[[str], object] = lambda line: None, build: Builder | None = None
) -> Path:
    """The emulator's virtualenv, built now if it does not exist yet (safe under concurrency)."""
    venv = venv or emulator_venv_path()
    if is_provisioned(venv):
        return venv
    build = build or build_emulator_venv
    try:
        venv.parent.mkdir(parents=True, exist_ok=True)
        with _exclusive(venv.parent / f"{venv.name}.lock", say):
            if is_provisioned(venv):  # another process built it while we waited
                return venv
            say(f"first use: provisioning MiniStack {ministack_version()} into {venv} "
                "(once per machine; set SERVERLESS_PATTERNS_CACHE_DIR to move it)")
            for leftover in venv.parent.glob(f"{venv.name}{_PARTIAL}*"):  # from a builder that died
                shutil.rmtree(leftover, ignore_errors=True)
            if venv.exists():  # incomplete: no marker
                shutil.rmtree(venv)
            staging = venv.parent / f"{venv.name}{_PARTIAL}{os.getpid()}"
            text = requirements()
            try:
                build(staging, text)
                (staging / COMPLETE).write_text(text)
                os.rename(staging, venv)
            finally:
                shutil.rmtree(staging, ignore_errors=True)
    except OSError as exc:
        raise ProvisionError(
            f"cannot provision the emulator in {venv}: {exc.strerror or exc}; "
            f"point {CACHE_VARIABLE} at a writable folder"
        ) from exc
    return venv


def build_emulator_venv(staging: Path, requirements_text: str) -> None:
    """A virtualenv holding boto3 (what the Lambda runtime gives handlers), MiniStack in ``ministack/``.

    Paths inside stay valid after the rename: everything runs as ``<venv>/bin/python -m ...``.
    """
    staging.mkdir(parents=True)
    pinned = staging / REQUIREMENTS
    pinned.write_text(requirements_text)
    python = staging / "bin" / "python"
    pip = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-compile"]
    steps = [
        [sys.executable, "-m", "venv", str(staging)],
        [*pip, "--no-warn-conflicts", "--target", str(staging / "ministack"), "-r", str(pinned)],
        [*pip, "boto3"],
    ]
    for step in steps:
        result = subprocess.run(step, capture_output=True, text=True)
        if result.returncode != 0:
            lines = [line for line in (result.stderr or result.stdout).splitlines() if line.strip()]
            errors = [line for line in lines if line.startswith("ERROR:")] or lines
            cause = one_line(errors[-1]) if errors else f"exit code {result.returncode}"
            what = "python -m venv" if step[0] == sys.executable else "pip install"
            raise ProvisionError(
                f"cannot provision MiniStack {ministack_version(requirements_text)}: `{what}` failed ({cause}); "
                "check that pip can reach its package index (`pip config list`), then run `serverless-patterns setup`"
            )


@contextmanager
def _exclusive(lock_path: Path, say: Callable[[str], object]) -> Iterator[None]:
    """An exclusive lock on ``lock_path`` (released by the kernel if this process dies)."""
    with open(lock_path, "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            say(f"waiting for another process that is provisioning the emulator ({lock_path})")
            fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
