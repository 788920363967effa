"""Normalising the inputs the Pulumi SDK hands to a mock: secrets unwrapped, floats that are whole
numbers back to ints, archives turned into zip bytes."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

import pulumi

# The Pulumi wire format marks a secret with this signature key.
_SECRET_SIG = "4dabf18193072939515e22adb298388d"
_SECRET_VALUE = "1b47061264138c4ac30d75fd1eb44270"


def plain(value: Any) -> Any:
    """Unwrap secrets and turn whole-number floats into ints, recursively."""
    if isinstance(value, dict):
        if value.get(_SECRET_SIG) == _SECRET_VALUE and "value" in value:
            return plain(value["value"])
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def archive_zip_bytes(archive: Any) -> bytes:
    """The bytes of a zip with the content of a Pulumi archive (File, Asset or a zip path)."""
    if isinstance(archive, pulumi.FileArchive):
        path = Path(archive.path)
        if path.is_dir():
            return _zip_dir(path)
        return path.read_bytes()
    if isinstance(archive, pulumi.AssetArchive):
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
            for name, asset in archive.assets.items():
                _add_asset(zf, name, asset)
        return buffer.getvalue()
    raise ValueError(f"unsupported code archive {type(archive).__name__}; use a FileArchive or AssetArchive")


def _add_asset(zf: zipfile.ZipFile, name: str, asset: Any) -> None:
    if isinstance(asset, pulumi.StringAsset):
        zf.writestr(name, asset.text)
    elif isinstance(asset, pulumi.FileAsset):
        zf.write(asset.path, name)
    elif isinstance(asset, pulumi.FileArchive) and Path(asset.path).is_dir():
        for file in sorted(Path(asset.path).rglob("*")):
            if file.is_file():
                zf.write(file, f"{name}/{file.relative_to(asset.path)}")
    else:
        raise ValueError(f"unsupported asset {type(asset).__name__} at {name!r} in an AssetArchive")


def _zip_dir(root: Path) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for file in sorted(root.rglob("*")):
            if file.is_file():
                zf.write(file, str(file.relative_to(root)))
    return buffer.getvalue()
