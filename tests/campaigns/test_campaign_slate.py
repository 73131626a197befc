"""Reading SLATE.csv: the films, budgets and values, and errors naming the file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from recommender.campaigns.slate import SlateFilm, read_slate
from recommender.errors import DataError


def write(tmp_path: Path, text: str | bytes) -> Path:
    p = tmp_path / "slate.csv"
    p.write_bytes(text.encode() if isinstance(text, str) else text)
    return p


def test_reads_ids_byte_for_byte(tmp_path: Path) -> None:
    p = write(tmp_path, "\ufefffilm_id,budget,value\n0042,10,2.5\n\"a,b\",0,\n\nx/é,3,1e1\n")
    assert read_slate(p) == [SlateFilm("0042", 10, 2.5), SlateFilm("a,b", 0, 1.0),
                             SlateFilm("x/é", 3, 10.0)]
    assert read_slate(write(tmp_path, "film_id,budget\r\n7,1\r\n")) == [SlateFilm("7", 1)]


@pytest.mark.parametrize(("text", "line", "fragment"), [
    ("film,budget\n1,2\n", 1, "expected the header"),
    ("film_id,budget,value,extra\n1,2,3,4\n", 1, "expected the header"),
    ("film_id,budget\n1,2\n2,x\n", 3, "whole number"),
    # int() takes these: 1,000 contacts from "1_000", a sign, a superscript
    ("film_id,budget\n1,1_000\n", 2, "whole number (digits only)"),
    ("film_id,budget\n1,+5\n", 2, "whole number (digits only)"),
    ("film_id,budget\n1,\u00b2\n", 2, "whole number (digits only)"),
    ("film_id,budget\n1,2\n2,-1\n", 3, "whole number (digits only)"),
    ("film_id,budget\n1,99999999999999999999\n", 2, "(2^48 contacts)"),
    ("film_id,budget,value\n1,2,0\n", 2, "a number in [0.0001, 1e+12] (value units)"),
    ("film_id,budget,value\n1,2,nan\n", 2, "a number in [0.0001, 1e+12]"),
    # 1e308 overflowed the plan's objective to null; 1e-300 lost to the rank tie-break
    ("film_id,budget,value\n1,2,1e308\n", 2, "a number in [0.0001, 1e+12]"),
    ("film_id,budget,value\n1,2,1e-300\n", 2, "a number in [0.0001, 1e+12]"),
    # float() takes these too: a value of 10 from "1_0", 3 from an Arabic-Indic digit, infinity
    ("film_id,budget,value\n1,2,1_0\n", 2, "a number in [0.0001, 1e+12]"),
    ("film_id,budget,value\n1,2,\u0663\n", 2, "a number in [0.0001, 1e+12]"),
    ("film_id,budget,value\n1,2,infinity\n", 2, "a number in [0.0001, 1e+12]"),
    ("film_id,budget\n1,2,3\n", 2, "expected 2 fields"),
    ("film_id,budget\n1,2\n1,3\n", 3, "already on line 2"),
    ("film_id,budget\n,2\n", 2, "film_id is empty"),
])
def test_errors_name_the_line(tmp_path: Path, text: str, line: int, fragment: str) -> None:
    with pytest.raises(DataError) as e:
        read_slate(write(tmp_path, text))
    assert e.value.line == line and fragment in str(e.value)
    assert "slate.csv" in str(e.value)


def test_unreadable_and_empty(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="no film"):
        read_slate(write(tmp_path, "film_id,budget\n"))
    with pytest.raises(DataError, match="UTF-8"):
        read_slate(write(tmp_path, b"film_id,budget\n\xff,1\n"))
    with pytest.raises(DataError, match="cannot read"):
        read_slate(tmp_path / "missing.csv")


@pytest.mark.parametrize("text", ["Film_ID,Budget,Value\n0042,3,2.5\n",
                                  "film_id;budget;value\n0042;3;2.5\n",
                                  "film_id;budget;value\n0042;3;2,5\n",
                                  "film_id;budget;value\r0042;3;2,5\r",  # a Mac's CR
                                  "FILM_ID\tBUDGET\tVALUE\n0042\t3\t2.5\n"])
def test_a_spreadsheets_slate_is_read(tmp_path: Path, text: str) -> None:
    # the header in another case, or ';' or tabs as the separator, was refused, where the
    # interaction readers take them
    p = tmp_path / "slate.csv"
    p.write_text(text, encoding="utf-8")
    (film,) = read_slate(p)
    assert (film.film_id, film.budget, film.value) == ("0042", 3, 2.5)
