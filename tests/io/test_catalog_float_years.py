"""A catalog year pandas wrote as a float (``1995.0``: a year column that held a missing
value became float) is that year, in a CSV and in Parquet: it was refused as "not a whole
number". ``1995.5`` is still refused, naming its line.

Oracle: the years written, as ``int(float(text))`` where the fraction is zero (0: unknown)."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from recommender.errors import DataError
from recommender.io.project import read_catalog_csv

YEARS = ["1995.0", "", "2001.00", "1999", " 1987.0 ", "0.0"]


def _oracle(text: str) -> int:
    return 0 if not text.strip() else int(float(text))


def test_a_float_year_of_a_csv_is_its_whole_number(tmp_path: Path) -> None:
    p = tmp_path / "films.csv"
    p.write_text("film_id,title,year,genres\n" + "".join(
        f"f{i},T{i},{y},Drama\n" for i, y in enumerate(YEARS)), encoding="utf-8")
    cat = read_catalog_csv(p, strict=True)
    assert cat.years.tolist() == [_oracle(y) for y in YEARS]


def test_a_float_year_column_in_parquet_is_read(tmp_path: Path) -> None:
    p = tmp_path / "films.parquet"
    values = [1995.0, None, 2001.0]
    pq.write_table(pa.table({"film_id": ["a", "b", "c"], "title": ["A", "B", "C"],
                             "year": pa.array(values, pa.float64())}), p)
    cat = read_catalog_csv(p, strict=True)
    assert cat.years.tolist() == [0 if v is None else int(v) for v in values]


@pytest.mark.parametrize("year", ["1995.5", "1995.", "19950.0", "1e3"])
def test_a_year_with_a_fraction_is_still_refused(tmp_path: Path, year: str) -> None:
    p = tmp_path / "films.csv"
    p.write_text(f"film_id,title,year,genres\nf0,A,1990,Drama\nf1,B,{year},Drama\n",
                 encoding="utf-8")
    with pytest.raises(DataError, match=f"line 3: year {year!r} is not a whole number"):
        read_catalog_csv(p, strict=True)

