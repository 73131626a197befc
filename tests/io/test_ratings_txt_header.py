"""A log named ``ratings.txt`` with a header (a tab-separated export) was dispatched to the
FilmTrust reader by its name and refused as "expected 3 fields separated by space", while the
same bytes as ``log.txt`` trained. A first line of column names between commas, tabs or
semicolons, naming a user and a film column, is read as the delimited log's header (no
FilmTrust line is one: its fields are numbers between spaces); a ratings.txt that fails as
FilmTrust's on its first line is told what the name is read as and what to rename it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from helpers import run_cli

from recommender.errors import DataError
from recommender.io import readers
from recommender.io.dataset import Interactions

ROWS = [("u1", "f1", "4", "1600000000"), ("u2", "f1", "3", "1600000100"),
        ("u2", "f2", "5", "1600000200")]


def _write(path: Path, sep: str, header: bool = True) -> Path:
    lines = ([sep.join(("user_id", "film_id", "rating", "timestamp"))] if header else []) + [
        sep.join(r) for r in ROWS]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _same(a: Interactions, b: Interactions) -> None:
    assert a.users.ids.tolist() == b.users.ids.tolist()
    assert a.films.ids.tolist() == b.films.ids.tolist()
    assert np.array_equal(a.rating, b.rating) and np.array_equal(a.timestamp, b.timestamp)


@pytest.mark.parametrize("sep", ["\t", ",", ";"])
def test_a_ratings_txt_with_a_header_reads_as_the_same_bytes_under_another_name(
        tmp_path: Path, sep: str) -> None:
    named = readers.load(_write(tmp_path / "a" / "ratings.txt", sep))
    other = readers.load(_write(tmp_path / "b" / "log.txt", sep))
    _same(named, other)
    assert sorted(named.users.ids.tolist()) == ["u1", "u2"] and named.timestamp is not None
    # a folder holding it (FilmTrust's layout by its name) reads it so too
    _same(readers.load(tmp_path / "a"), other)
    assert readers.log_columns(tmp_path / "a" / "ratings.txt") == [
        "user_id", "film_id", "rating", "timestamp"]


def test_train_reads_it(tmp_path: Path, capsys: object) -> None:
    code, _, err = run_cli(capsys, "train", "--data", _write(tmp_path / "ratings.txt", "\t"),
                           "--no-tune", "--out", tmp_path / "m")
    assert code == 0, err


def test_a_filmtrust_file_is_still_read_as_one(tmp_path: Path) -> None:
    path = tmp_path / "ratings.txt"
    path.write_text("1 1 2\n1 2 3.5\n2 1 4\n", encoding="utf-8")
    got = readers.load(path)
    assert sorted(got.films.ids.tolist()) == ["1", "2"] and got.timestamp is None
    assert sorted(got.rating.tolist()) == [2.0, 3.5, 4.0]


@pytest.mark.parametrize(("sep", "header", "said"), [
    ("\t", False, "expected 3 fields separated by space"),
    (" ", True, "the first line looks like a header")])
def test_what_fails_as_filmtrust_on_its_first_line_is_told_the_name(
        tmp_path: Path, sep: str, header: bool, said: str) -> None:
    path = _write(tmp_path / "ratings.txt", sep, header)
    with pytest.raises(DataError) as e:
        readers.load(path)
    assert e.value.line == 1 and said in e.value.reason, e.value
    assert "a file named ratings.txt is read as FilmTrust's ratings" in e.value.reason
    assert "log.csv or log.tsv" in e.value.reason
