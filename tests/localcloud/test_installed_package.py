"""The library as a user gets it: built into a wheel, installed, imported by another Pulumi program
in another directory, deployed, and called."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile

import pytest
import requests

from localcloud.deploy import deploy
from localcloud.http import signed_session
from localcloud.target import Target, reachable_url
from tests.conftest import ROOT

PROGRAM = '''
import pulumi
import components
from components.counter import AtomicCounter, AtomicCounterArgs

counter = AtomicCounter("installed", AtomicCounterArgs(max_increment=3))
pulumi.export("url", counter.url)
pulumi.export("components_from", components.__file__)
'''


@pytest.fixture(scope="module")
def installed_site(tmp_path_factory):
    source = tmp_path_factory.mktemp("source")  # build from a copy: setuptools writes build/ beside the source
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    for package in ("components", "functions", "localcloud"):
        shutil.copytree(ROOT / package, source / package, ignore=shutil.ignore_patterns("__pycache__"))
    build = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(build), str(source)],
                   check=True, capture_output=True)
    wheel = next(build.glob("serverless_patterns-*.whl"))
    assert "functions/counter/requirements.txt" in zipfile.ZipFile(wheel).namelist()
    site = tmp_path_factory.mktemp("site")
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(site), str(wheel)],
                   check=True, capture_output=True)
    return site


def test_another_program_deploys_an_installed_component(installed_site, tmp_path, monkeypatch, cloud_target: Target):
    if cloud_target.kind == "aws":
        pytest.skip("the local engine deploys only to emulator endpoints")
    program = tmp_path / "user-stack"
    program.mkdir()
    (program / "Pulumi.yaml").write_text("name: user-stack\nruntime: python\n")
    (program / "__main__.py").write_text(PROGRAM)
    monkeypatch.setenv("PYTHONPATH", str(installed_site))  # the wheel's copy wins over the checkout

    outputs = deploy(program, cloud_target, stack="user", driver="engine").outputs

    assert outputs["components_from"].startswith(str(installed_site))
    assert list((program / ".build" / "functions").glob("counter-*.zip"))
    url = reachable_url(outputs["url"], cloud_target.endpoint) + "/counters/from-wheel"
    http = signed_session(cloud_target.region)
    assert requests.post(url, json={"increment": 3}, timeout=60).status_code == 403  # unsigned: refused
    assert http.post(url, json={"increment": 3}, timeout=60).json() == {"name": "from-wheel", "value": 3}
    refused = http.post(url, json={"increment": 4}, timeout=60)
    assert refused.status_code == 400 and "at most 3" in refused.json()["message"]
