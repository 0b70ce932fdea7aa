"""Lambda zips are byte-for-byte reproducible, so an unchanged function is never uploaded again."""

from __future__ import annotations

import hashlib
import io
import os
import zipfile

from .helpers import build_zip


def test_the_same_sources_give_the_same_bytes_whatever_their_times_and_order(tmp_path):
    (tmp_path / "b.py").write_text("B = 1\n")
    (tmp_path / "a.py").write_text("A = 1\n")
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "__pycache__").mkdir()
    (package / "__pycache__" / "x.pyc").write_bytes(b"junk")

    first = build_zip.zip_bytes([tmp_path / "b.py", tmp_path / "a.py", package])
    os.utime(tmp_path / "a.py", (1_000_000_000, 1_000_000_000))
    second = build_zip.zip_bytes([package, tmp_path / "a.py", tmp_path / "b.py"])

    assert hashlib.sha256(first).digest() == hashlib.sha256(second).digest()
    with zipfile.ZipFile(io.BytesIO(first)) as built:
        assert built.namelist() == ["a.py", "b.py", "pkg/__init__.py"]
        assert {info.date_time for info in built.infolist()} == {(1980, 1, 1, 0, 0, 0)}


def test_build_reports_whether_it_wrote(tmp_path):
    source = tmp_path / "handler.py"
    source.write_text("def handler(event, context):\n    return 1\n")
    output = tmp_path / "out" / "function.zip"

    assert build_zip.build(output, [source]) is True
    assert build_zip.build(output, [source]) is False
    source.write_text("def handler(event, context):\n    return 2\n")
    assert build_zip.build(output, [source]) is True
