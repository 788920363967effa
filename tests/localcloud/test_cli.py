"""``serverless-patterns``: any directory's Pulumi program in the embedded emulator; every failure a
user can fix is one line on stderr that names the fix, never a traceback."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import boto3
import pytest

from localcloud import automation, cli, emulator, provision
from localcloud.emulator import free_loopback_port
from localcloud.target import Target

QUEUE_PROGRAM = (
    'import pulumi\nimport pulumi_aws as aws\n\nqueue = aws.sqs.Queue("jobs")\npulumi.export("queue_url", queue.url)\n'
)


def _project(path: Path, program: str) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    (path / "Pulumi.yaml").write_text("name: cli-test\nruntime: python\n")
    (path / "__main__.py").write_text(program)
    return path


@pytest.fixture
def clean_env(monkeypatch):
    """No target inherited from the test session: each test says which one it wants."""
    for variable in ("AWS_ENDPOINT_URL", "SERVERLESS_PATTERNS_TARGET", "PULUMI_STACK"):
        monkeypatch.delenv(variable, raising=False)
    return monkeypatch


@pytest.fixture
def dead_endpoint(clean_env) -> str:
    """An endpoint target nothing listens on: the engine fails before or at its first AWS call."""
    endpoint = f"http://127.0.0.1:{free_loopback_port()}"
    clean_env.setenv("AWS_ENDPOINT_URL", endpoint)
    return endpoint


def _one_error_line(capsys) -> str:
    err = capsys.readouterr().err
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    return lines[0]


def test_no_pulumi_yaml_is_one_line_and_starts_nothing(clean_env, tmp_path, capsys):
    assert cli.main(["up", "--dir", str(tmp_path)]) == 1
    line = _one_error_line(capsys)
    assert f"no Pulumi.yaml in {tmp_path}" in line and "--dir" in line
    assert not (tmp_path / ".localcloud").exists()


def test_a_program_that_raises_is_one_line_naming_the_line(dead_endpoint, tmp_path, capsys):
    program = "import pulumi\n\nsettings = {}\nprint(settings['missing'])\n"
    assert cli.main(["up", "--dir", str(_project(tmp_path, program))]) == 1
    assert _one_error_line(capsys) == (
        "error: deploy failed: the program raised KeyError: 'missing' (__main__.py, line 4)")


def test_an_unsupported_resource_type_is_one_line_with_the_way_out(dead_endpoint, tmp_path, capsys):
    program = 'import pulumi_aws as aws\n\naws.ec2.Vpc("net", cidr_block="10.0.0.0/16")\n'
    assert cli.main(["up", "--dir", str(_project(tmp_path, program))]) == 1
    line = _one_error_line(capsys)
    assert "cannot create aws:ec2/vpc:Vpc (resource 'net')" in line and "Pulumi CLI" in line


def test_an_emulator_that_cannot_be_provisioned_is_one_line(clean_env, tmp_path, capsys):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    clean_env.setenv(provision.CACHE_VARIABLE, str(blocker / "cache"))
    assert cli.main(["up", "--dir", str(_project(tmp_path / "p", QUEUE_PROGRAM))]) == 1
    assert provision.CACHE_VARIABLE in _one_error_line(capsys)


def test_the_console_script_prints_no_traceback(clean_env, tmp_path):
    script = Path(sys.executable).with_name("serverless-patterns")
    for command in ([str(script)], [sys.executable, "-m", "localcloud"]):
        result = subprocess.run([*command, "up", "--dir", str(tmp_path)], capture_output=True, text=True, timeout=60)
        assert result.returncode == 1 and "Traceback" not in result.stderr + result.stdout
        assert result.stderr.count("\n") == 1 and "no Pulumi.yaml" in result.stderr


@pytest.fixture
def own_project(clean_env, tmp_path):
    """A project whose embedded emulator is stopped at the end whatever happens."""
    project = _project(tmp_path / "user", QUEUE_PROGRAM)
    yield project
    cli.main(["down", "--dir", str(project)])


def _queues(endpoint: str) -> list[str]:
    sqs = boto3.client("sqs", endpoint_url=endpoint, region_name="us-east-1",
                       aws_access_key_id="test", aws_secret_access_key="test")
    return sqs.list_queues().get("QueueUrls", [])


def test_up_status_up_again_down(own_project, capsys):
    local = own_project / ".localcloud"
    assert cli.main(["up", "--dir", str(own_project)]) == 0
    out = capsys.readouterr().out
    assert "emulator started at" in out and '"queue_url"' in out and "live demonstration" not in out
    assert f"stop it: serverless-patterns down --dir {own_project}" in out
    first = emulator.EmulatorProcess.load(local / "emulator.json")
    assert first is not None and first.is_alive()
    assert json.loads((local / "outputs.json").read_text())["queue_url"].startswith(first.endpoint)
    old_state = automation.state_plan(Target("embedded", first.endpoint, instance=first.instance), local).backend
    old_state.mkdir(parents=True)  # as the CLI driver would have left it

    assert cli.main(["status", "--dir", str(own_project)]) == 0
    assert f"emulator running at {first.endpoint}" in capsys.readouterr().out

    assert cli.main(["up", "--dir", str(own_project)]) == 0  # resets: one queue, not two
    assert "resetting it for a clean deployment" in capsys.readouterr().out
    second = emulator.EmulatorProcess.load(local / "emulator.json")
    assert second is not None and (second.pid, second.port) == (first.pid, first.port)
    assert second.instance != first.instance and not old_state.exists()
    assert len(_queues(second.endpoint)) == 1

    assert cli.main(["down", "--dir", str(own_project)]) == 0
    assert "stopped" in capsys.readouterr().out
    assert not emulator.is_healthy(second.endpoint, timeout=0.5)
    assert not (local / "emulator.json").exists()
    assert cli.main(["status", "--dir", str(own_project)]) == 1
    assert cli.main(["down", "--dir", str(own_project)]) == 0
    assert "nothing to stop" in capsys.readouterr().out


def test_a_failed_deploy_leaves_no_emulator_running(own_project, capsys):
    (own_project / "__main__.py").write_text("raise RuntimeError('not today')\n")
    assert cli.main(["up", "--dir", str(own_project)]) == 1
    started = [line for line in capsys.readouterr().out.splitlines() if line.startswith("emulator started at ")]
    endpoint = started[0].split()[3]
    assert not emulator.is_healthy(endpoint, timeout=0.5)
    assert not (own_project / ".localcloud" / "emulator.json").exists()
