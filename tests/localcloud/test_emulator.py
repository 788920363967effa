"""Emulator control: start on loopback, health, reset, stop, and no orphans when the owner dies."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import textwrap
import time
import zipfile
from pathlib import Path

import boto3
import pytest

from localcloud import emulator, provision
from tests.conftest import ROOT

VENV = provision.emulator_venv_path()  # in the user cache; the fixture below provisions it if needed


@pytest.fixture(scope="module", autouse=True)
def _provisioned() -> None:
    provision.ensure_emulator_venv()


def _gone(pid: int, timeout: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        try:  # a zombie child of ours counts as gone once reaped
            if os.waitpid(pid, os.WNOHANG)[0] == pid:
                return True
        except ChildProcessError:
            pass
        time.sleep(0.1)
    return False


def _client(endpoint: str, service: str):
    return boto3.client(service, endpoint_url=endpoint, region_name="us-east-1",
                        aws_access_key_id="test", aws_secret_access_key="test")


def _descendants(pid: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(parent, []).append(int(entry.name))
    found, stack = set(), [pid]
    while stack:
        for child in children.get(stack.pop(), []):
            found.add(child)
            stack.append(child)
    return found


def _zip(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for name, text in files.items():
            zf.writestr(name, text)
    return buffer.getvalue()


def _execution_role(endpoint: str) -> str:
    """A role for the test function, as AWS (and the emulator with IAM enforcement) requires."""
    from components.core.iam import LAMBDA_ASSUME_ROLE

    return _client(endpoint, "iam").create_role(RoleName="probe-role",
                                                AssumeRolePolicyDocument=LAMBDA_ASSUME_ROLE)["Role"]["Arn"]


def test_stop_ends_the_emulator_and_its_lambda_workers(tmp_path):
    process = emulator.start(tmp_path / "emulator.log", venv=VENV)
    try:
        lam = _client(process.endpoint, "lambda")
        lam.create_function(FunctionName="hello", Runtime="python3.12", Handler="h.handler",
                            Role=_execution_role(process.endpoint),
                            Code={"ZipFile": _zip({"h.py": "def handler(e, c):\n    return 'hi'\n"})})
        assert lam.invoke(FunctionName="hello")["Payload"].read() == b'"hi"'
        workers = _descendants(process.pid)
        assert workers, "invoking a function should have started a worker process"
    finally:
        process.stop()
    assert _gone(process.pid)
    assert all(_gone(pid, 5) for pid in workers)


def test_handlers_see_only_what_the_aws_runtime_gives_them(tmp_path):
    """boto3 and the stdlib import; MiniStack's own packages (here PyYAML) do not."""
    process = emulator.start(tmp_path / "emulator.log", venv=VENV)
    try:
        lam = _client(process.endpoint, "lambda")
        code = ("import importlib\n"
                "def handler(event, context):\n"
                "    try:\n"
                "        importlib.import_module(event['module'])\n"
                "        return 'importable'\n"
                "    except ImportError:\n"
                "        return 'missing'\n")
        lam.create_function(FunctionName="probe", Runtime="python3.12", Handler="h.handler",
                            Role=_execution_role(process.endpoint), Code={"ZipFile": _zip({"h.py": code})})

        def probe(module: str) -> str:
            payload = lam.invoke(FunctionName="probe", Payload=f'{{"module": "{module}"}}'.encode())["Payload"]
            return payload.read().decode().strip('"')

        assert probe("boto3") == "importable"
        assert probe("json") == "importable"
        for emulator_only in ("yaml", "hypercorn", "ministack"):
            assert probe(emulator_only) == "missing", emulator_only
    finally:
        process.stop()


def test_start_reset_stop(tmp_path):
    log = tmp_path / "emulator.log"
    process = emulator.start(log, venv=VENV)
    try:
        assert process.endpoint.startswith("http://127.0.0.1:")
        assert emulator.is_healthy(process.endpoint)
        sqs = _client(process.endpoint, "sqs")
        sqs.create_queue(QueueName="before-reset")
        assert len(sqs.list_queues().get("QueueUrls", [])) == 1
        emulator.reset(process.endpoint)
        assert sqs.list_queues().get("QueueUrls", []) == []
        assert log.read_text()  # the emulator logs into the given file
    finally:
        process.stop()
    assert _gone(process.pid)
    assert not emulator.is_healthy(process.endpoint, timeout=0.5)


def test_state_file_round_trip(tmp_path):
    state = emulator.EmulatorProcess(pid=123, port=4567, log_path="x.log")
    state.save(tmp_path / "s.json")
    assert emulator.EmulatorProcess.load(tmp_path / "s.json") == state
    assert emulator.EmulatorProcess.load(tmp_path / "missing.json") is None
    (tmp_path / "old.json").write_text('{"pid": 1, "port": 2, "log_path": "x"}')  # written before instances
    assert emulator.EmulatorProcess.load(tmp_path / "old.json").instance


def test_emulator_dies_with_the_process_that_started_it(tmp_path):
    """Even a SIGKILLed test run leaves no emulator behind."""
    script = textwrap.dedent(f"""
        import sys, time
        from pathlib import Path
        from localcloud import emulator
        process = emulator.start(Path({str(tmp_path / 'e.log')!r}), venv=Path({str(VENV)!r}))
        print(process.pid, flush=True)
        time.sleep(600)
    """)
    owner = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True, cwd=ROOT)
    emulator_pid = int(owner.stdout.readline())
    try:
        os.kill(emulator_pid, 0)
        owner.send_signal(signal.SIGKILL)
        owner.wait(10)
        assert _gone(emulator_pid), "the emulator outlived its owner"
    finally:
        if not _gone(emulator_pid, 0.1):
            emulator.stop_process_group(emulator_pid)


def test_missing_emulator_venv_is_a_clear_error(tmp_path):
    with pytest.raises(emulator.EmulatorError, match="MiniStack is not installed") as raised:
        emulator.start(tmp_path / "log", venv=tmp_path / "no-venv")
    assert "\n" not in str(raised.value) and "serverless-patterns setup" in str(raised.value)


def test_reset_makes_a_new_instance(tmp_path):
    """Deployment state is keyed by the instance: a reset emulator must not look like the old one."""
    process = emulator.start(tmp_path / "emulator.log", venv=VENV)
    try:
        before = process.instance
        process.reset()
        assert process.instance != before and len(process.instance) == 32
        process.save(tmp_path / "state.json")
        assert emulator.EmulatorProcess.load(tmp_path / "state.json") == process
    finally:
        process.stop()


def test_reset_of_an_unreachable_endpoint_is_a_clear_error():
    with pytest.raises(emulator.EmulatorError, match="cannot reset"):
        emulator.reset(f"http://127.0.0.1:{emulator.free_loopback_port()}")


def test_detached_emulator_survives_its_starter_and_stops_by_state_file(tmp_path):
    script = textwrap.dedent(f"""
        from pathlib import Path
        from localcloud import emulator
        process = emulator.start(Path({str(tmp_path / 'd.log')!r}), venv=Path({str(VENV)!r}), detached=True)
        process.save(Path({str(tmp_path / 'state.json')!r}))
    """)
    subprocess.run([sys.executable, "-c", script], check=True, cwd=ROOT, timeout=60)
    state = emulator.EmulatorProcess.load(Path(tmp_path / "state.json"))
    assert state is not None
    try:
        assert state.is_alive()
    finally:
        state.stop()
    assert _gone(state.pid)
