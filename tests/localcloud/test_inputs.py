import zipfile
from io import BytesIO

import pulumi

from localcloud.inputs import archive_zip_bytes, plain


def test_plain_unwraps_secrets_and_whole_floats():
    secret = {"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", "value": "s3cret"}
    assert plain({"a": 3.0, "b": 2.5, "c": [1.0, secret], "d": {"e": secret}}) == {
        "a": 3, "b": 2.5, "c": [1, "s3cret"], "d": {"e": "s3cret"}
    }


def test_archives_become_zip_bytes(tmp_path):
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "m.py").write_text("X = 1\n")
    (tmp_path / "f.txt").write_text("file")
    archive = pulumi.AssetArchive({
        "inline.py": pulumi.StringAsset("Y = 2\n"),
        "copied.txt": pulumi.FileAsset(str(tmp_path / "f.txt")),
        "dir": pulumi.FileArchive(str(tmp_path / "pkg")),
    })
    zf = zipfile.ZipFile(BytesIO(archive_zip_bytes(archive)))
    assert zf.read("inline.py") == b"Y = 2\n"
    assert zf.read("copied.txt") == b"file"
    assert zf.read("dir/m.py") == b"X = 1\n"
    folder = zipfile.ZipFile(BytesIO(archive_zip_bytes(pulumi.FileArchive(str(tmp_path / "pkg")))))
    assert folder.namelist() == ["m.py"]
