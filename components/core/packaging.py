"""Lambda packaging, written once: handler archives from ``functions/`` and their dependencies.

A handler archive holds ``functions/<package>/`` plus the shared packages it imports (by default
``functions/common/``), under their import path, so the handler is ``functions.<package>.<module>.<fn>``,
and any extra files the caller adds (a user's job code, say) at the archive root.

Third-party packages are installed with pip, once per hash of the requirements and the target
runtime, into a folder of the build directory. By default they are bundled into the archive root,
so the function runs on every target: LocalStack's free image accepts layers but does not use them.
On AWS they may go into a layer instead (:func:`layer_archive`).

Archives are deterministic (sorted entries, fixed timestamps), so an unchanged handler gives the
same archive hash and Pulumi sees no diff.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import zipfile
from collections.abc import Mapping
from pathlib import Path

import functions

FUNCTIONS_DIR = Path(functions.__file__).resolve().parent
DEFAULT_RUNTIME = "python3.12"
DEFAULT_SHARED = ("common",)
_FIXED_TIME = (2020, 1, 1, 0, 0, 0)
_SKIP_PARTS = {"__pycache__", ".pytest_cache"}


class PackagingError(RuntimeError):
    """A handler package or its dependencies could not be built."""


_dependency_entries: dict[Path, list[tuple[str, bytes]]] = {}
_dependency_lock = threading.Lock()


def build_dir() -> Path:
    """Where archives are written: ``SERVERLESS_PATTERNS_BUILD_DIR`` or ``./.build``."""
    return Path(os.environ.get("SERVERLESS_PATTERNS_BUILD_DIR", Path.cwd() / ".build")).resolve()


def _source_files(package: str) -> list[Path]:
    root = FUNCTIONS_DIR / package
    if not (root / "__init__.py").exists():
        raise PackagingError(f"functions/{package} is not a package (no __init__.py) in {FUNCTIONS_DIR}")
    return sorted(
        p for p in root.rglob("*")
        if p.is_file() and not _SKIP_PARTS.intersection(p.parts) and p.suffix not in (".pyc", ".pyo")
    )


def _write_deterministic_zip(path: Path, entries: list[tuple[str, bytes]]) -> None:
    """Write the archive beside ``path`` under a name of its own, then rename it into place: deployments
    building the same archive at once (test workers, say) each write a whole, identical file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(prefix=f".{path.stem}-", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as file, zipfile.ZipFile(file, "w", zipfile.ZIP_DEFLATED) as zf:
            for name, data in sorted(entries):
                info = zipfile.ZipInfo(name, date_time=_FIXED_TIME)
                info.external_attr = 0o644 << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                zf.writestr(info, data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def function_archive(
    package: str,
    shared: tuple[str, ...] = DEFAULT_SHARED,
    extra_files: Mapping[str, str | Path] | None = None,
    requirements: list[str] | None = None,
    runtime: str = DEFAULT_RUNTIME,
) -> Path:
    """Zip ``functions/<package>``, the shared packages, ``extra_files`` (archive path -> file or
    folder) and, when given, the installed ``requirements`` into the build folder; return its path."""
    entries: list[tuple[str, bytes]] = [("functions/__init__.py", b"")]
    for name in dict.fromkeys((package, *shared)):
        for file in _source_files(name):
            entries.append((f"functions/{file.relative_to(FUNCTIONS_DIR).as_posix()}", file.read_bytes()))
    for archive_path, source in sorted((extra_files or {}).items()):
        entries += _extra_entries(archive_path, Path(source))
    own = hashlib.sha256(b"".join(n.encode() + d for n, d in sorted(entries))).hexdigest()[:16]
    name = f"{package}-{own}"
    if requirements:
        name += f"-deps-{requirements_hash(requirements, runtime)}"
    path = build_dir() / "functions" / f"{name}.zip"
    if not path.exists():
        bundled = _installed_entries(requirements, runtime) if requirements else []
        taken = {n for n, _ in entries}
        _write_deterministic_zip(path, entries + [(n, d) for n, d in bundled if n not in taken])
    return path


def _extra_entries(archive_path: str, source: Path) -> list[tuple[str, bytes]]:
    if not source.exists():
        raise PackagingError(f"extra file {source} (for {archive_path}) does not exist")
    if source.is_file():
        return [(archive_path, source.read_bytes())]
    return [
        (f"{archive_path.rstrip('/')}/{p.relative_to(source).as_posix()}", p.read_bytes())
        for p in sorted(source.rglob("*"))
        if p.is_file() and not _SKIP_PARTS.intersection(p.parts) and p.suffix not in (".pyc", ".pyo")
    ]


def requirements_hash(requirements: list[str], runtime: str) -> str:
    key = "\n".join(sorted(r.strip() for r in requirements)) + "\n" + runtime
    return hashlib.sha256(key.encode()).hexdigest()[:16]


def installed_requirements(requirements: list[str], runtime: str = DEFAULT_RUNTIME) -> Path:
    """The folder holding ``requirements`` installed for ``runtime`` (pip, once per hash; safe when
    several deployments build at once: each installs into a temporary folder renamed into place)."""
    if not requirements:
        raise PackagingError("no requirements to install")
    target = build_dir() / "deps" / requirements_hash(requirements, runtime)
    if target.is_dir():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    command = [
        sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
        "--target", str(staging),
        "--only-binary=:all:", "--implementation", "cp",
        "--python-version", runtime.removeprefix("python"),
        "--platform", "manylinux2014_x86_64",
        *requirements,
    ]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        shutil.rmtree(staging, ignore_errors=True)
        raise PackagingError(f"pip could not install {requirements}:\n{result.stderr[-2000:]}")
    try:
        os.replace(staging, target)
    except OSError:  # another build put it in place first
        shutil.rmtree(staging, ignore_errors=True)
    return target


def _installed_entries(requirements: list[str], runtime: str) -> list[tuple[str, bytes]]:
    """The installed requirements as archive entries (read once per process)."""
    site = installed_requirements(requirements, runtime)
    with _dependency_lock:
        if site not in _dependency_entries:
            _dependency_entries[site] = [
                (p.relative_to(site).as_posix(), p.read_bytes())
                for p in sorted(site.rglob("*"))
                if p.is_file() and "__pycache__" not in p.parts and p.suffix not in (".pyc", ".pyo")
            ]
        return _dependency_entries[site]


def layer_archive(requirements: list[str], runtime: str = DEFAULT_RUNTIME) -> Path:
    """A layer zip (``python/`` holding the requirements), built once per requirements hash."""
    if not requirements:
        raise PackagingError("a layer needs at least one requirement")
    archive = build_dir() / "layers" / f"{requirements_hash(requirements, runtime)}.zip"
    if not archive.exists():
        entries = [(f"python/{name}", data) for name, data in _installed_entries(requirements, runtime)]
        _write_deterministic_zip(archive, entries)
    return archive


def requirements_of(package: str) -> list[str]:
    """The third-party requirements a handler package declares in ``requirements.txt``."""
    path = FUNCTIONS_DIR / package / "requirements.txt"
    if not path.exists():
        return []
    lines = (line.split("#", 1)[0].strip() for line in path.read_text().splitlines())
    return [line for line in lines if line]
