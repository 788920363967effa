"""The package as a user gets it: the wheel, installed with pip into a fresh virtualenv, and a Pulumi
project of the user's own in a folder outside the repository. ``serverless-patterns up`` / ``down``
run there, then the project's own pytest, whose tests drive the deployed components over HTTP
through the ``cloud_stack`` fixture. The emulator is provisioned on first use into an empty cache:
``pip install`` is the only set-up step.

Bounded in time: pip installs from its configured index and cache without compiling bytecode.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from localcloud import emulator, provision
from localcloud.http import signed_session
from localcloud.target import reachable_url
from tests.conftest import ROOT

USER_PROGRAM = '''"""Someone else's stack, built from two of the catalog's components."""
import pulumi
from components.counter import AtomicCounter, AtomicCounterArgs
from components.sequence import SequenceGenerator, SequenceGeneratorArgs, SequenceSpec

orders = AtomicCounter("orders", AtomicCounterArgs(max_increment=3))
invoices = SequenceGenerator("invoices", SequenceGeneratorArgs(sequences=[SequenceSpec("invoice", start=100)]))
pulumi.export("orders", orders.outputs)
pulumi.export("invoices", invoices.outputs)
'''

USER_TESTS = '''"""The user's end-to-end tests of their stack."""
import components
import pytest
import requests
from localcloud.http import signed_session


def test_components_come_from_the_installed_wheel():
    assert "site-packages" in components.__file__


def test_counter_over_http(cloud_stack):
    url = cloud_stack.url(cloud_stack.outputs["orders"]["url"]) + "/counters/pageviews"
    assert requests.post(url, json={"increment": 3}, timeout=60).status_code == 403  # routes are signed-only
    http = signed_session()
    assert http.post(url, json={"increment": 3}, timeout=60).json() == {"name": "pageviews", "value": 3}
    refused = http.post(url, json={"increment": 4}, timeout=60)
    assert refused.status_code == 400 and "at most 3" in refused.json()["message"]
    table = cloud_stack.outputs["orders"]["counters_table_name"]
    item = cloud_stack.client("dynamodb").get_item(TableName=table, Key={"name": {"S": "pageviews"}})
    assert item["Item"]["value"]["N"] == "3"


def test_sequence_over_http(cloud_stack):
    url = cloud_stack.url(cloud_stack.outputs["invoices"]["url"]) + "/sequences/invoice/next"
    http = signed_session()
    first = http.post(url, timeout=60).json()
    more = http.post(url, json={"count": 2}, timeout=60).json()
    assert (first["first"], more["first"], more["last"]) == (100, 101, 102)


@pytest.mark.requires("dynamodb-38-digit-arithmetic")
def test_a_capability_the_emulator_lacks(cloud_stack):
    pass
'''

_INHERITED = ("AWS_", "PYTEST_", "VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "PULUMI_STACK",
              "SERVERLESS_PATTERNS_")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    source = tmp_path_factory.mktemp("source")  # build from a copy: setuptools writes build/ beside the source
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    for package in ("components", "functions", "localcloud"):
        shutil.copytree(ROOT / package, source / package, ignore=shutil.ignore_patterns("__pycache__"))
    build = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(build), str(source)],
                   check=True, capture_output=True, timeout=300)
    return next(build.glob("serverless_patterns-*.whl"))


def test_the_wheel_ships_the_emulator_pin_the_script_and_the_plugin(wheel):
    archive = zipfile.ZipFile(wheel)
    names = archive.namelist()
    assert "functions/counter/requirements.txt" in names
    assert archive.read("localcloud/emulator-requirements.txt").decode() == provision.requirements()
    entry_points = archive.read(next(n for n in names if n.endswith(".dist-info/entry_points.txt"))).decode()
    assert "serverless-patterns = localcloud.cli:main" in entry_points
    assert "[pytest11]" in entry_points and "serverless_patterns = localcloud.pytest_plugin" in entry_points


@pytest.fixture(scope="module")
def user(wheel, tmp_path_factory):
    """A fresh virtualenv with the wheel and pytest, a user project, and the environment to run in."""
    home = tmp_path_factory.mktemp("user")
    venv = home / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "--no-compile",
                    "--disable-pip-version-check", str(wheel), "pytest"],
                   check=True, capture_output=True, timeout=600)
    project = home / "my-stack"
    project.mkdir()
    (project / "Pulumi.yaml").write_text("name: my-stack\nruntime: python\n")
    (project / "__main__.py").write_text(USER_PROGRAM)
    (project / "test_stack.py").write_text(USER_TESTS)
    env = {key: value for key, value in os.environ.items() if not key.startswith(_INHERITED)}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    env[provision.CACHE_VARIABLE] = str(home / "cache")  # nothing provisioned yet
    yield project, env
    subprocess.run(["serverless-patterns", "down"], cwd=project, env=env, capture_output=True, timeout=60)


def _run(command: list[str], project: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(command, cwd=project, env=env, capture_output=True, text=True, timeout=600)


def test_a_user_project_deploys_with_the_console_script_and_tests_itself(user):
    project, env = user
    up = _run(["serverless-patterns", "up"], project, env)
    assert up.returncode == 0, up.stdout + up.stderr
    assert f"first use: provisioning MiniStack {provision.ministack_version()}" in up.stdout
    assert '"orders"' in up.stdout and '"invoices"' in up.stdout
    assert "live demonstration" not in up.stdout and "skipped" not in up.stdout  # demos are the catalog's
    record = emulator.EmulatorProcess.load(project / ".localcloud" / "emulator.json")
    assert record is not None
    outputs = json.loads((project / ".localcloud" / "outputs.json").read_text())
    counter = reachable_url(outputs["orders"]["url"], record.endpoint) + "/counters/from-up"
    assert signed_session().post(counter, timeout=60).json() == {"name": "from-up", "value": 1}

    down = _run(["serverless-patterns", "down"], project, env)
    assert down.returncode == 0 and "stopped" in down.stdout, down.stdout + down.stderr
    assert not emulator.is_healthy(record.endpoint, timeout=0.5)

    provisioned = provision.emulator_venv_path(env) / provision.COMPLETE
    built_at = provisioned.stat().st_mtime_ns
    tests = _run(["python", "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider"], project, env)
    assert tests.returncode == 0, tests.stdout + tests.stderr
    assert "3 passed, 1 skipped" in tests.stdout, tests.stdout
    assert "target lacks dynamodb-38-digit-arithmetic" in tests.stdout
    assert provisioned.stat().st_mtime_ns == built_at  # the emulator made by `up` is reused, not rebuilt
