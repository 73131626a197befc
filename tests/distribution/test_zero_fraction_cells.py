"""A slate file's bounds and a cinema table's screens take a whole number with a zero fraction."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from recommender.distribution.screens import whole_value
from recommender.distribution.slate_file import SlateFilm, read_slate
from recommender.errors import DataError
from recommender.io.places import read_cinemas


def test_a_slate_file_takes_1_0_as_http_and_the_cli_do(tmp_path: Path) -> None:
    """``min_screens`` ``1.0`` was "must be a whole number from 0 to 2147483647 or empty"
    where ``POST /distribution/slate`` takes ``1.0`` and ``--screens`` takes ``1.0`` (a column
    pandas wrote as floats, for a film with no bound among them, reads ``2.0``)."""
    p = tmp_path / "slate.csv"
    p.write_text("film_id,min_screens,max_screens\na,1.0,\nb,,2.0\nc,0.0,1e1\n")
    assert read_slate(p) == [SlateFilm("a", 1, None), SlateFilm("b", 0, 2),
                             SlateFilm("c", 0, 10)]
    for cell in ("1.5", "1.0000000000000001", "-1.0", "+1", "1_0", "nan", "2147483648.0"):
        p.write_text(f"film_id,min_screens\na,1\nb,{cell}\n")
        with pytest.raises(DataError, match=re.escape(
                "line 3: min_screens must be a whole number from 0 to 2147483647 or empty, "
                f"got '{cell}'")):
            read_slate(p)


def test_a_cinema_table_takes_screens_written_2_0(tmp_path: Path) -> None:
    """A cinema's ``screens`` ``2.0`` was refused where a body's ``"screens": 2.0`` is 2."""
    p = tmp_path / "cinemas.csv"
    p.write_text("cinema_id,screens,seats\nc1,2.0,300.0\nc2,5,0\n")
    got = read_cinemas(p)
    assert got.screens.tolist() == [2, 5] and got.seats.tolist() == [300, 0]
    for cell in ("2.5", "0.0", "1e300"):
        p.write_text(f"cinema_id,screens\nc1,3\nc2,{cell}\n")
        with pytest.raises(DataError, match=re.escape(
                f"line 3: screens must be a whole number >= 1 and at most 2147483647, got "
                f"'{cell}'")):
            read_cinemas(p)


def test_text_reads_as_one_rule_everywhere() -> None:
    """``whole_value`` (the CLI's and a query's text) and the files' cells: the same rule."""
    for text, want in (("3", 3), ("3.0", 3), ("3e0", 3), ("3.5", None), (" 3", None),
                       ("\u0663", None), ("1.0000000000000001", None)):
        assert whole_value(text, 0, 10) == want, text
