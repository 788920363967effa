"""The emulator's virtualenv: where it lives, built once under concurrency, never used half-built."""

from __future__ import annotations

import multiprocessing
import subprocess
import time
from pathlib import Path

import pytest

from localcloud import provision


def test_shipped_pin_names_the_version_in_the_path():
    version = provision.ministack_version()
    assert provision.requirements().count(f"ministack=={version}") == 1
    path = provision.emulator_venv_path({provision.CACHE_VARIABLE: "/c"})
    assert path.parent == Path("/c/emulator") and path.name.startswith(f"ministack-{version}-py3.")


def test_cache_location_honours_the_variables_in_order(monkeypatch, tmp_path):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert provision.cache_dir({}) == tmp_path / "home" / ".cache" / "serverless-patterns"
    assert provision.cache_dir({"XDG_CACHE_HOME": "/xdg"}) == Path("/xdg/serverless-patterns")
    both = {"XDG_CACHE_HOME": "/xdg", provision.CACHE_VARIABLE: "~/mine"}
    assert provision.cache_dir(both) == tmp_path / "home" / "mine"


def test_pin_without_a_ministack_line_is_a_clear_error():
    with pytest.raises(provision.ProvisionError, match="no pinned ministack"):
        provision.ministack_version("boto3==1\n")


def _slow_fake_build(staging: Path, requirements: str) -> None:
    """Stands in for pip: records each build in a shared log, slowly enough for builders to overlap."""
    staging.mkdir(parents=True)
    with open(staging.parent / "builds.log", "a") as log:
        log.write(f"{staging.name}\n")
    time.sleep(1.0)
    (staging / "ministack").mkdir()
    (staging / "ministack" / "requirements.txt").write_text(requirements)


def _provision(venv: str) -> str:
    return str(provision.ensure_emulator_venv(Path(venv), build=_slow_fake_build))


def test_concurrent_sessions_build_it_once_and_all_get_a_complete_one(tmp_path):
    venv = tmp_path / "emulator" / "ministack-x"
    with multiprocessing.get_context("fork").Pool(3) as pool:
        results = pool.map(_provision, [str(venv)] * 3)
    assert results == [str(venv)] * 3
    assert len((venv.parent / "builds.log").read_text().splitlines()) == 1
    assert provision.is_provisioned(venv)
    assert (venv / "ministack" / "requirements.txt").read_text() == provision.requirements()
    assert [p.name for p in venv.parent.iterdir() if ".partial-" in p.name] == []


def test_leftovers_of_a_builder_that_died_are_replaced(tmp_path):
    venv = tmp_path / "ministack-x"
    venv.mkdir()  # half-built in place (no completion marker)
    (venv / "junk").write_text("")
    partial = tmp_path / "ministack-x.partial-99999"
    partial.mkdir()
    assert provision.ensure_emulator_venv(venv, build=_slow_fake_build) == venv
    assert provision.is_provisioned(venv) and not (venv / "junk").exists() and not partial.exists()


def test_a_failed_build_leaves_nothing_behind(tmp_path):
    venv = tmp_path / "ministack-x"

    def failing(staging: Path, requirements: str) -> None:
        staging.mkdir()
        raise provision.ProvisionError("pip said no")

    with pytest.raises(provision.ProvisionError, match="pip said no"):
        provision.ensure_emulator_venv(venv, build=failing)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ministack-x.lock"]


def test_an_unwritable_cache_is_one_line_naming_the_variable(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(provision.ProvisionError) as raised:
        provision.ensure_emulator_venv(blocker / "emulator" / "ministack-x", build=_slow_fake_build)
    assert "\n" not in str(raised.value) and provision.CACHE_VARIABLE in str(raised.value)


def test_pip_failure_is_one_line_with_the_cause_and_the_fix(tmp_path):
    """The real builder, with a requirement pip refuses before it needs any index."""
    with pytest.raises(provision.ProvisionError) as raised:
        provision.build_emulator_venv(tmp_path / "venv", "ministack==1.0\nthis is not a requirement\n")
    message = str(raised.value)
    assert "\n" not in message and "`pip install` failed" in message and "serverless-patterns setup" in message


def test_the_provisioned_virtualenv_runs_ministack_apart_from_boto3():
    """The one the session uses: boto3 importable by its interpreter, MiniStack only from its folder."""
    venv = provision.ensure_emulator_venv()
    assert (venv / provision.COMPLETE).read_text() == provision.requirements()
    python = str(venv / "bin" / "python")
    assert subprocess.run([python, "-c", "import boto3"], capture_output=True).returncode == 0
    assert subprocess.run([python, "-c", "import ministack"], capture_output=True).returncode != 0
    found = subprocess.run([python, "-c", "import sys; sys.path.insert(0, sys.argv[1]); import ministack; "
                            "print(ministack.__file__)", str(venv / "ministack")], capture_output=True, text=True)
    assert found.stdout.startswith(str(venv / "ministack"))
