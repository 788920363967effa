"""Control of the embedded emulator (MiniStack) as a child process bound to 127.0.0.1.

The emulator's virtualenv (provisioned on first use in the user cache, :mod:`localcloud.provision`)
plays the AWS Lambda Python runtime: it holds boto3 and nothing else, and MiniStack's local executor
runs every handler with that interpreter. MiniStack itself (which pins botocore exactly) lives in
its ``ministack`` folder, installed with ``pip --target`` and put on ``sys.path`` by the launcher
only, so handlers cannot see it. A handler therefore imports exactly what it would on AWS (stdlib +
boto3) plus its archive and layers, and a packaging mistake fails here as it would there.
"""

from __future__ import annotations

import ctypes
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path

from localcloud import provision
from localcloud.errors import LocalCloudError

HEALTH_PATH = "/_ministack/health"
IAM_VARIABLE = "SERVERLESS_PATTERNS_IAM"  # "off" runs the emulator without IAM enforcement
# MiniStack's own packages go on sys.path here, not in the environment its Lambda workers inherit.
_LAUNCHER = "import sys; sys.path.insert(0, sys.argv.pop(1)); sys.argv[0] = 'ministack'; " \
    "from ministack.app import main; main()"
RESET_PATH = "/_ministack/reset"


class EmulatorError(LocalCloudError):
    """The emulator could not be started, reached or stopped."""


def free_loopback_port() -> int:
    """A TCP port that is free on 127.0.0.1 right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    """Ask the kernel to SIGTERM the emulator when the process that started it dies."""
    os.setsid()
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGTERM)
    except OSError:
        pass


def _new_instance() -> str:
    return uuid.uuid4().hex


@dataclass
class EmulatorProcess:
    """A running emulator: enough to reach it, and to stop it from another process.

    ``instance`` names the emulator's current contents: new at every start and every reset, so
    deployment state recorded for an older one is never taken for this one's.
    """

    pid: int
    port: int
    log_path: str
    instance: str = field(default_factory=_new_instance)

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(asdict(self)))

    @classmethod
    def load(cls, path: Path) -> EmulatorProcess | None:
        try:
            return cls(**json.loads(path.read_text()))
        except (OSError, ValueError, TypeError):
            return None

    def is_alive(self) -> bool:
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return is_healthy(self.endpoint)

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the emulator and every process it started (its Lambda workers)."""
        stop_process_group(self.pid, timeout)

    def reset(self) -> None:
        """Wipe every resource; the emulator becomes a new instance."""
        reset(self.endpoint)
        self.instance = _new_instance()


def stop_process_group(pid: int, timeout: float = 10.0) -> None:
    """SIGTERM the process group led by ``pid``, then SIGKILL what is left after ``timeout``."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(pid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                os.killpg(pid, 0)
            except ProcessLookupError:
                _reap(pid)
                return
            _reap(pid)
            time.sleep(0.05)


def _reap(pid: int) -> None:
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass


def is_healthy(endpoint: str, timeout: float = 2.0) -> bool:
    try:
        with urllib.request.urlopen(endpoint + HEALTH_PATH, timeout=timeout) as resp:
            return resp.status == 200
    except (urllib.error.URLError, OSError):
        return False


def reset(endpoint: str) -> None:
    """Wipe every resource in the emulator (MiniStack's admin reset)."""
    request = urllib.request.Request(endpoint + RESET_PATH, method="POST", data=b"")
    try:
        with urllib.request.urlopen(request, timeout=30) as resp:
            if resp.status != 200:
                raise EmulatorError(f"reset of {endpoint} answered HTTP {resp.status}")
    except urllib.error.URLError as exc:
        raise EmulatorError(f"cannot reset the emulator at {endpoint}: {exc.reason}") from exc


def start(
    log_path: Path,
    venv: Path | None = None,
    port: int | None = None,
    detached: bool = False,
    lambda_concurrency: int = 8,
    ready_timeout: float = 60.0,
) -> EmulatorProcess:
    """Start MiniStack on 127.0.0.1 and wait until it answers its health check.

    ``detached=False`` ties the emulator to this process: the kernel stops it when this process
    dies, even by SIGKILL, so a test run leaves no orphan. ``detached=True`` keeps it running after
    this process exits (``serverless-patterns up``); stop it with :meth:`EmulatorProcess.stop`.
    Without ``venv``, the emulator's virtualenv in the user cache is used, provisioned if needed.
    """
    venv = venv or provision.ensure_emulator_venv()
    python, library = venv / "bin" / "python", venv / "ministack"
    if not python.exists() or not (library / "ministack").is_dir():
        raise EmulatorError(
            f"MiniStack is not installed in {venv}; leave the virtualenv unspecified and it is "
            f"provisioned in {provision.emulator_venv_path()} (`serverless-patterns setup`)"
        )
    port = port or free_loopback_port()
    env = {
        **os.environ,
        "PATH": f"{venv / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
        "GATEWAY_PORT": str(port),
        "BIND_HOST": "127.0.0.1",
        "MINISTACK_HOST": "127.0.0.1",
        "LAMBDA_ACCOUNT_CONCURRENCY": str(lambda_concurrency),
        # IAM enforcement: every call a function makes is checked against its role's policies, as on
        # AWS, so a missing permission fails here first. Callers with the key "test" act as the root.
        "AUTH": "false" if os.environ.get(IAM_VARIABLE, "on").lower() in ("off", "false", "0") else "true",
        # Idle warm workers (~40 MB each) are reclaimed after a minute, as AWS reclaims idle environments.
        "LAMBDA_WARM_TTL_SECONDS": os.environ.get("LAMBDA_WARM_TTL_SECONDS", "60"),
        "LOG_LEVEL": os.environ.get("EMULATOR_LOG_LEVEL", "INFO"),
    }
    for leaked in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "AWS_ENDPOINT_URL", "AWS_PROFILE"):
        env.pop(leaked, None)
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "ab") as log:
        proc = subprocess.Popen(
            [str(python), "-c", _LAUNCHER, str(library)],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            preexec_fn=None if detached else _die_with_parent,
            start_new_session=detached,
            close_fds=True,
        )
    emulator = EmulatorProcess(pid=proc.pid, port=port, log_path=str(log_path))
    deadline = time.monotonic() + ready_timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise EmulatorError(
                f"MiniStack exited with code {proc.returncode} while starting ({_tail(log_path, 1) or 'no output'}); "
                f"full log: {log_path}"
            )
        if is_healthy(emulator.endpoint, timeout=1.0):
            return emulator
        time.sleep(0.1)
    emulator.stop()
    raise EmulatorError(f"MiniStack did not become healthy within {ready_timeout:.0f}s; see {log_path}")


def _tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


if __name__ == "__main__":  # pragma: no cover - manual use
    started = start(Path(sys.argv[1] if len(sys.argv) > 1 else "emulator.log"), detached=True)
    print(started.endpoint)
