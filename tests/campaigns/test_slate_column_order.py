"""A campaign slate's columns are read in any order, as a log's and a distribution slate's."""

from __future__ import annotations

from pathlib import Path

import pytest

from recommender.campaigns.slate import SlateFilm, read_slate
from recommender.errors import DataError


def test_a_slate_with_its_columns_in_another_order_is_read(tmp_path: Path) -> None:
    # a spreadsheet's export puts the title beside the id: 'film_id,title,budget,value' was
    # refused ("expected the header 'film_id,budget', then optionally value and title")
    p = tmp_path / "slate.csv"
    p.write_bytes(b'\xef\xbb\xbfFilm_ID,title,value,budget\r\n'
                  b'F0002571,"Matrix, The (1999)",2,40\r\nF0000356,Forrest Gump (1994),,50\r\n')
    assert read_slate(p) == [SlateFilm("F0002571", 40, 2.0, 2, "Matrix, The (1999)"),
                             SlateFilm("F0000356", 50, 1.0, 3, "Forrest Gump (1994)")]
    assert [(f.line, f.title) for f in read_slate(p)] == [(2, "Matrix, The (1999)"),
                                                          (3, "Forrest Gump (1994)")]
    # the same slate in the documented order reads the same
    q = tmp_path / "ordered.csv"
    q.write_text('film_id,budget,value,title\nF0002571,40,2,"Matrix, The (1999)"\n'
                 'F0000356,50,,Forrest Gump (1994)\n')
    assert read_slate(q) == read_slate(p)
    # budget first: a bad budget is still named as the budget, with its line
    r = tmp_path / "budget_first.csv"
    r.write_text("budget,film_id\n10,a\nx,b\n")
    with pytest.raises(DataError, match=r"line 3.*budget must be a whole number"):
        read_slate(r)


@pytest.mark.parametrize("header", ["title,budget", "film_id,value,title",
                                    "budget,film_id,budget", "film_id,budget,extra"])
def test_a_slate_without_its_columns_or_with_others_is_refused(tmp_path: Path,
                                                                header: str) -> None:
    p = tmp_path / "slate.csv"
    p.write_text(header + "\n" + ",".join("1" for _ in header.split(",")) + "\n")
    with pytest.raises(DataError, match="line 1.*expected the header to name film_id and "
                                        "budget"):
        read_slate(p)


def test_a_budget_of_thousands_of_digits_is_out_of_range_not_a_traceback(tmp_path: Path) -> None:
    """``int()`` refuses a text of over 4,300 digits: a budget of 5,000 nines ended ``campaign
    plan --slate`` in a traceback, where 23 nines were refused as past the largest budget."""
    for digits, shown in ((23, "9" * 23), (5000, "999999999999... (5,000 digits)")):
        p = tmp_path / f"slate{digits}.csv"
        p.write_text(f"film_id,budget\na,10\nb,{'9' * digits}\n")
        with pytest.raises(DataError) as e:
            read_slate(p)
        assert e.value.line == 3, e.value
        assert f"budget must be in [0, {2 ** 48}] (2^48 contacts), got {shown}" in str(e.value)
    p = tmp_path / "zeros.csv"  # leading zeros aside, a budget of few digits is read
    p.write_text(f"film_id,budget\na,{'0' * 5000}7\n")
    assert [f.budget for f in read_slate(p)] == [7]
