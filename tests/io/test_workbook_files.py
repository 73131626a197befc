"""A zip archive (a dataset as downloaded, an Excel .xlsx workbook) or an .xls workbook given
as a log is named as such, with what to do: it was "NUL byte ... the file is binary, or UTF-16
without a byte-order mark", which named neither."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from recommender.cli import main


def _zipped(text: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("ml-latest-small/ratings.csv", text)
    return buf.getvalue()


@pytest.mark.parametrize(("name", "data", "said"), [
    ("ml-latest-small.zip", _zipped("userId,movieId\n1,2\n"),
     "the file is a zip archive (as an Excel .xlsx workbook is); expected plain text: save a "
     "workbook's sheet as CSV (UTF-8), or unzip an archive first (a dataset's: give its "
     "folder)"),
    ("ratings.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(500),
     "the file is an Excel .xls workbook (or another Office file); expected plain text: save "
     "the sheet as CSV (UTF-8)"),
])
def test_an_archive_or_a_workbook_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                           name: str, data: bytes, said: str) -> None:
    log = tmp_path / name
    log.write_bytes(data)
    assert main(["train", "--data", str(log), "--out", str(tmp_path / "m")]) == 2
    assert f"{log}, line 1: {said}" in capsys.readouterr().err
    assert not (tmp_path / "m").exists()
