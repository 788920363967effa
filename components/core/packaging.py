"""Lambda packaging, written once: handler archives from ``functions/`` and dependency layers.

A handler archive holds ``functions/<package>/`` plus the shared packages it imports (by default
``functions/common/``), under their import path, so the handler is ``functions.<package>.<module>.<fn>``.
Third-party packages go into a layer built with pip into a build folder keyed by a hash of the
requirements and the target runtime; a rebuild happens only when that hash changes.

Archives are deterministic (sorted entries, fixed timestamps), so an unchanged handler gives the
same archive hash and Pulumi sees no diff.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import functions

FUNCTIONS_DIR = Path(functions.__file__).resolve().parent
DEFAULT_RUNTIME = "python3.12"
DEFAULT_SHARED = ("common",)
_FIXED_TIME = (2020, 1, 1, 0, 0, 0)
_SKIP_PARTS = {"__pycache__", ".pytest_cache"}


class PackagingError(RuntimeError):
    """A handler package or a layer could not be built."""


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
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in sorted(entries):
            info = zipfile.ZipInfo(name, date_time=_FIXED_TIME)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, data)
    os.replace(tmp, path)


def function_archive(package: str, shared: tuple[str, ...] = DEFAULT_SHARED) -> Path:
    """Zip ``functions/<package>`` and the shared packages into the build folder; return its path."""
    entries: list[tuple[str, bytes]] = [("functions/__init__.py", b"")]
    for name in dict.fromkeys((package, *shared)):
        for file in _source_files(name):
            entries.append((f"functions/{file.relative_to(FUNCTIONS_DIR).as_posix()}", file.read_bytes()))
    digest = hashlib.sha256(b"".join(n.encode() + d for n, d in sorted(entries))).hexdigest()[:16]
    path = build_dir() / "functions" / f"{package}-{digest}.zip"
    if not path.exists():
        _write_deterministic_zip(path, entries)
    return path


def requirements_hash(requirements: list[str], runtime: str) -> str:
    key = "\n".join(sorted(r.strip() for r in requirements)) + "\n" + runtime
    return hashlib.sha256(key.encode()).hexdigest()[:16]


def layer_archive(requirements: list[str], runtime: str = DEFAULT_RUNTIME) -> Path:
    """Build (once per requirements hash) a layer zip with ``python/`` holding the requirements."""
    if not requirements:
        raise PackagingError("a layer needs at least one requirement")
    digest = requirements_hash(requirements, runtime)
    target = build_dir() / "layers" / digest
    archive = target.with_suffix(".zip")
    if archive.exists():
        return archive
    python_version = runtime.removeprefix("python")
    site = target / "python"
    shutil.rmtree(target, ignore_errors=True)
    command = [
        sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
        "--target", str(site),
        "--only-binary=:all:", "--implementation", "cp",
        "--python-version", python_version,
        "--platform", "manylinux2014_x86_64",
        *requirements,
    ]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise PackagingError(f"pip could not build the layer for {requirements}:\n{result.stderr[-2000:]}")
    entries = [
        (f"python/{p.relative_to(site).as_posix()}", p.read_bytes())
        for p in sorted(site.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts
    ]
    _write_deterministic_zip(archive, entries)
    shutil.rmtree(target, ignore_errors=True)
    return archive


def requirements_of(package: str) -> list[str]:
    """The third-party requirements a handler package declares in ``requirements.txt``."""
    path = FUNCTIONS_DIR / package / "requirements.txt"
    if not path.exists():
        return []
    lines = (line.split("#", 1)[0].strip() for line in path.read_text().splitlines())
    return [line for line in lines if line]
