"""An id of blanks only (``u2, `` read with a ", " separator, a cell of spaces) is refused as
an empty one is, naming the line (it was a user or film of its own, ``' '``, trained and
listed; the Spark reader refuses it too, tests/spark/test_spark_reading.py)."""

from __future__ import annotations

import re
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from recommender.errors import DataError
from recommender.io import readers


@pytest.mark.parametrize("blank", [" ", "\t", "  \t "])
def test_a_blank_id_is_refused_naming_its_line(tmp_path: Path, blank: str) -> None:
    path = tmp_path / "log.csv"
    path.write_text(f"user_id,film_id,rating\nu1,f1,4\nu2,{blank},3\n", encoding="utf-8")
    said = re.escape(f"line 3: empty film_id ({blank!r}: blanks only)")
    with pytest.raises(DataError, match=said):
        readers.load(path)


def test_a_blank_parquet_user_id_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "log.parquet"
    pq.write_table(pa.table({"user_id": ["u1", " "], "film_id": ["f1", "f2"]}), path)
    with pytest.raises(DataError, match="empty user_id"):
        readers.load(path)


def test_ids_with_blanks_around_other_text_are_kept(tmp_path: Path) -> None:
    path = tmp_path / "log.csv"
    path.write_text("user_id,film_id\nu1, f1\nu1,f1\n", encoding="utf-8")
    assert sorted(readers.load(path).films.ids.tolist()) == [" f1", "f1"]


@pytest.mark.parametrize("value", ["", " ", "\t", " a", "\x0b", "\x0c\r\n", "é", "\xa0", "x"])
def test_the_local_check_refuses_what_the_spark_pattern_refuses(tmp_path: Path,
                                                                value: str) -> None:
    """The local reader tells a blank id by arrow's ASCII blanks, Spark by ``BLANK_ID``: one
    answer for each value (a non-breaking space is no blank to either)."""
    from recommender.io.convert import BLANK_ID

    path = tmp_path / "log.parquet"
    pq.write_table(pa.table({"user_id": ["u1", value], "film_id": ["f1", "f2"]}), path)
    if re.fullmatch(BLANK_ID, value):
        with pytest.raises(DataError, match="empty user_id"):
            readers.load(path)
    else:
        assert value in readers.load(path).users.ids.tolist()
