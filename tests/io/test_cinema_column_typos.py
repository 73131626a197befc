"""The cinema table leaves other columns unread (a name, an address), but a column a letter or
two from one it reads is the typo it likely is: ``seat`` left every seat count at 0 and
``cty`` every cinema without a city (so no cap by city), without a word."""

from __future__ import annotations

from pathlib import Path

import pytest

from recommender.errors import DataError
from recommender.io.places import read_cinemas


@pytest.mark.parametrize(("header", "meant"), [("seat", "seats"), ("cty", "city"),
                                               ("Regions", "region")])
def test_a_misspelt_column_is_refused_naming_the_one_meant(tmp_path: Path, header: str,
                                                           meant: str) -> None:
    p = tmp_path / "cinemas.csv"
    p.write_text(f"cinema_id,screens,{header}\nc1,3,North\n")
    with pytest.raises(DataError, match=f"column {header.lower()!r} is not one the table "
                                        f"reads: did you mean {meant!r}") as e:
        read_cinemas(p)
    assert e.value.line == 1 and str(p) in str(e.value)


def test_other_columns_are_left_unread(tmp_path: Path) -> None:
    p = tmp_path / "cinemas.csv"
    p.write_text("cinema_id,name,city,region,screens,seats,address\n"
                 "c1,Odeon,Leeds,North,3,400,1 High St\n")
    cinemas = read_cinemas(p)
    assert cinemas.ids.tolist() == ["c1"] and cinemas.seats.tolist() == [400]
    assert cinemas.city.tolist() == ["Leeds"] and cinemas.screens.tolist() == [3]
