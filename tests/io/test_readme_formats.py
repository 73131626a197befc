"""The README's input formats section says what the readers take, checked against them: every
header name the readers accept (``movie`` for the film column too) is listed and read; the
compressions the local engine refuses are listed and refused naming the compression (a
``.csv.bz2`` was "NUL byte ... the file is binary"); Parquet rows in errors count from 1."""

from __future__ import annotations

import bz2
import lzma
import re
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from recommender.errors import DataError
from recommender.io.project import COLUMN_ALIASES
from recommender.io.readers import load

README = Path(__file__).resolve().parents[2] / "README.md"


def _section() -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index("### Input formats")
    return text[start:text.index("\n### ", start + 1)]


def test_every_accepted_header_name_is_listed_and_read(tmp_path: Path) -> None:
    listed = {name.lower() for name in re.findall(r"`([A-Za-z_]+)`", _section())}
    for canon, aliases in COLUMN_ALIASES.items():
        for alias in aliases:
            assert alias in listed, f"{alias!r} ({canon}) is not in the README's input formats"
    for user, film in (("user", "movie"), ("UserId", " Movie "), ("userId", "item")):
        log = tmp_path / "log.csv"
        log.write_text(f"{user},{film}\nu1,0042\n")
        got = load(log)
        assert got.users.ids.tolist() == ["u1"] and got.films.ids.tolist() == ["0042"]


@pytest.mark.parametrize(("suffix", "kind", "pack"), [
    (".bz2", "bzip2", bz2.compress), (".xz", "xz", lzma.compress)])
def test_other_compressions_are_listed_and_named(tmp_path: Path, suffix: str, kind: str,
                                                 pack: Callable[[bytes], bytes]) -> None:
    assert f"`{suffix}`" in _section() or f"log.csv{suffix}" in _section()
    log = tmp_path / f"log.csv{suffix}"
    log.write_bytes(pack(b"user_id,film_id\nu1,f1\n" * 50))
    with pytest.raises(DataError) as info:
        load(log)
    assert info.value.line == 1 and info.value.reason.startswith(
        f"the file is {kind}-compressed; expected plain text: decompress it first"), \
        str(info.value)
    assert "recompress it with gzip" in info.value.reason
    # a text file whose header starts so is text
    text = tmp_path / "bz.csv"
    text.write_text("BZh_user,user_id,film_id\nx,u1,f1\n")
    assert load(text).users.ids.tolist() == ["u1"]


def test_parquet_rows_count_from_1(tmp_path: Path) -> None:
    assert "row counted from 1" in _section()
    path = tmp_path / "log.parquet"
    pq.write_table(pa.table({"user_id": ["u1", "u2"], "film_id": ["f1", ""]}), path)
    with pytest.raises(DataError) as info:
        load(path)
    assert info.value.reason.startswith("row 2: "), str(info.value)


@pytest.mark.parametrize(("name", "body", "kind"), [
    ("u.data", b"1\t10\t5\t881250949\n2\t11\t4\t881250950\n", "MovieLens 100K"),
    ("ratings.txt", b"1 10 3.5\n2 11 4\n", "FilmTrust")])
def test_a_gzipped_headerless_file_is_refused_as_such(tmp_path: Path, name: str, body: bytes,
                                                      kind: str) -> None:
    """A ``u.data.gz`` went to the CSV reader and was refused by its separator (the file was
    right, only compressed): it is named as what it is (``ratings.dat.gz`` is read:
    test_gzipped_layouts)."""
    import gzip

    assert f"`{name}.gz`" in _section()
    (tmp_path / name).write_bytes(body)
    read = load(tmp_path / name)  # the same file plain is read
    log = tmp_path / f"{name}.gz"
    log.write_bytes(gzip.compress(body))
    with pytest.raises(DataError) as info:
        load(log)
    assert info.value.reason == (
        f"a gzip-compressed {kind} file is not read (gzip is read through for CSV and TSV "
        "logs and '::'-separated .dat files only: log.csv.gz, ratings.dat.gz); decompress it "
        f"first (`gunzip -k {name}.gz`) and give {name}")
    assert len(read.users) == 2
