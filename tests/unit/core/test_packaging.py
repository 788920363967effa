import multiprocessing
import zipfile
from concurrent.futures import ProcessPoolExecutor

import pytest

from components.core import packaging


@pytest.fixture(autouse=True)
def build_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("SERVERLESS_PATTERNS_BUILD_DIR", str(tmp_path))
    return tmp_path


def test_function_archive_holds_the_package_and_shared_code_under_their_import_path():
    archive = packaging.function_archive("counter")
    names = zipfile.ZipFile(archive).namelist()
    assert "functions/__init__.py" in names
    assert "functions/counter/handler.py" in names
    assert "functions/common/validation.py" in names
    assert not any("__pycache__" in n or n.endswith(".pyc") for n in names)
    assert not any(n.startswith("functions/sequence") for n in names)  # other patterns stay out


def test_function_archive_is_deterministic():
    first = packaging.function_archive("counter").read_bytes()
    packaging.function_archive("counter").unlink()
    assert packaging.function_archive("counter").read_bytes() == first


def test_processes_building_the_same_archive_at_once_each_get_it_whole(build_dir):
    """Two test workers deploy the catalog at once from a fresh clone: both build every archive. A shared
    temporary name made one rename fail; each writer now renames a file of its own into place."""
    entries = [(f"functions/m{n}.py", bytes(50_000)) for n in range(40)]
    target = build_dir / "functions" / "same.zip"
    with ProcessPoolExecutor(6, mp_context=multiprocessing.get_context("fork")) as pool:
        list(pool.map(_write, [(target, entries)] * 24))
    assert zipfile.ZipFile(target).testzip() is None and len(zipfile.ZipFile(target).namelist()) == 40
    assert [p.name for p in target.parent.iterdir()] == ["same.zip"]  # no temporary file left behind


def _write(job):
    packaging._write_deterministic_zip(*job)


def test_unknown_package_is_a_clear_error():
    with pytest.raises(packaging.PackagingError, match="functions/nope is not a package"):
        packaging.function_archive("nope")


def test_requirements_of_reads_the_package_requirements():
    assert packaging.requirements_of("counter") == ["aws-lambda-powertools>=3.0,<4"]
    assert packaging.requirements_of("common") == []


def test_requirements_hash_depends_on_requirements_and_runtime_not_order():
    a = packaging.requirements_hash(["x==1", "y==2"], "python3.12")
    assert a == packaging.requirements_hash(["y==2", "x==1"], "python3.12")
    assert a != packaging.requirements_hash(["x==1", "y==3"], "python3.12")
    assert a != packaging.requirements_hash(["x==1", "y==2"], "python3.13")


def test_requirements_are_bundled_at_the_archive_root_once_per_hash(monkeypatch, tmp_path):
    calls = []
    real_run = packaging.subprocess.run
    monkeypatch.setattr(packaging.subprocess, "run",
                        lambda command, **kw: calls.append(command) or real_run(command, **kw))
    jobs = tmp_path / "my_jobs.py"
    jobs.write_text("def run(job):\n    return 1\n")
    archive = packaging.function_archive("counter", requirements=["aws-lambda-powertools>=3.0,<4"],
                                         extra_files={"my_jobs.py": str(jobs)})
    names = zipfile.ZipFile(archive).namelist()
    assert "aws_lambda_powertools/__init__.py" in names  # importable without any layer
    assert "functions/counter/handler.py" in names and "my_jobs.py" in names
    again = packaging.function_archive("priority", requirements=["aws-lambda-powertools>=3.0,<4"])
    assert "aws_lambda_powertools/__init__.py" in zipfile.ZipFile(again).namelist()
    assert len(calls) == 1  # one pip run per requirements hash


def test_a_missing_extra_file_is_a_clear_error(tmp_path):
    with pytest.raises(packaging.PackagingError, match="does not exist"):
        packaging.function_archive("counter", extra_files={"x.py": str(tmp_path / "nope.py")})


def test_layer_is_built_with_pip_once_per_requirements_hash(monkeypatch):
    calls = []
    real_run = packaging.subprocess.run

    def counting_run(command, **kwargs):
        calls.append(command)
        return real_run(command, **kwargs)

    monkeypatch.setattr(packaging.subprocess, "run", counting_run)
    layer = packaging.layer_archive(["aws-lambda-powertools>=3.0,<4"])
    again = packaging.layer_archive(["aws-lambda-powertools>=3.0,<4"])
    assert layer == again and len(calls) == 1
    names = zipfile.ZipFile(layer).namelist()
    assert "python/aws_lambda_powertools/__init__.py" in names
    assert all(n.startswith("python/") for n in names)
    assert "--target" in calls[0] and "--python-version" in calls[0]


def test_layer_build_failure_names_the_requirements():
    with pytest.raises(packaging.PackagingError, match="no-such-package-xyz"):
        packaging.layer_archive(["no-such-package-xyz==0.0.1"])
