"""An output whose folder cannot be made, because a file stands where a folder should."""

from __future__ import annotations

import errno
from pathlib import Path

import pytest

from recommender.io.atomic import atomic_dir, atomic_file


def test_an_output_under_a_file_names_the_file_in_the_way(tmp_path: Path) -> None:
    """``--out report/x.csv`` where ``report`` is a file said "File exists (report/x.csv)",
    of a file that did not exist."""
    (tmp_path / "report").write_text("a file\n")
    for dest in (tmp_path / "report" / "x.csv", tmp_path / "report" / "a" / "x.csv"):
        with pytest.raises(OSError) as info, atomic_file(dest):
            pass
        assert info.value.errno == errno.ENOTDIR, info.value
        assert info.value.strerror == f"{tmp_path / 'report'} is a file, not a folder"
        assert info.value.filename == str(dest)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report"]


def test_a_folder_output_under_a_file_names_the_file_in_the_way(tmp_path: Path) -> None:
    """``demo-data report/demo`` and a model folder under a file said "File exists" or
    "Not a directory" of the output."""
    (tmp_path / "report").write_text("a file\n")
    dest = tmp_path / "report" / "demo"
    with pytest.raises(OSError) as info, atomic_dir(dest):
        pass
    assert info.value.errno == errno.ENOTDIR and info.value.filename == str(dest)
    assert "is a file, not a folder" in str(info.value.strerror)


def test_train_into_a_folder_under_a_file_names_the_file(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The model folder's own ``mkdir`` said "Not a directory (report/m)"."""
    from recommender.cli import main

    log = tmp_path / "log.csv"
    log.write_text("user_id,film_id\n" + "".join(f"u{u},f{(u * 7 + j) % 30}\n"
                                                 for u in range(60) for j in range(8)))
    (tmp_path / "report").write_text("a file\n")
    assert main(["train", "--data", str(log), "--out", str(tmp_path / "report" / "m"),
                 "--no-tune", "--segments", "2"]) == 2
    err = capsys.readouterr().err
    assert f"{tmp_path / 'report'} is a file, not a folder ({tmp_path / 'report' / 'm'})" \
        in err, err
