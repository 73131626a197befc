"""A project folder's ``users.parquet`` and ``films.parquet`` (and ``--users``/``--films`` as
Parquet) are read as their CSV twins are: the same tables, the same checks, errors naming the
file and the column; an integer id column is read as Arrow casts it to text (``42``, ``-3``).

Oracles: the CSV twin of each table (written by pyarrow from the same columns) read by the CSV
reader, and ids written by hand as the text of the integers.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from recommender.errors import DataError
from recommender.io.readers import folder_metadata, load, read_films, read_users

USER_IDS = [7, -3, 42, 100000000000]
USERS = pa.table({
    "user_id": pa.array(USER_IDS, pa.int64()),
    "region": pa.array(["North", None, "South", "North"]),  # None: no value, as an empty cell
    "Age": pa.array([31, 45, None, 22], pa.int32()),
    "vip": pa.array([True, False, None, True]),
})
FILMS = pa.table({
    "movieId": pa.array([5, 6, 7], pa.int32()),
    "title": pa.array(["Heat", None, "Up (2009)"]),
    "year": pa.array([1995, None, None], pa.int64()),
    "genres": pa.array(["Crime|Drama", "Comedy", None]),
})


def _folder(tmp_path: Path) -> Path:
    d = tmp_path / "data"
    d.mkdir()
    pq.write_table(pa.table({"user_id": pa.array([7, -3, 42, 7], pa.int64()),
                             "film_id": pa.array([5, 5, 6, 7], pa.int64())}),
                   d / "interactions.parquet")
    pq.write_table(USERS, d / "users.parquet")
    pq.write_table(FILMS, d / "films.parquet")
    return d


def _csv_twin(table: pa.Table, path: Path) -> Path:
    pacsv.write_csv(table, path)  # a null is an empty cell, true/false as Arrow writes them
    return path


def test_a_folder_reads_its_parquet_tables_as_their_csv_twins(tmp_path: Path) -> None:
    d = _folder(tmp_path)
    with warnings.catch_warnings():  # a table read is not also said to be unread
        warnings.simplefilter("error")
        inter = load(d)
    users = read_users(_csv_twin(USERS, tmp_path / "users.csv"))
    films = read_films(_csv_twin(FILMS, tmp_path / "films.csv"))
    assert inter.user_table is not None and inter.catalog is not None
    # integer ids as the text of the integers, byte for byte, and the log's ids are theirs
    assert inter.user_table.user_ids.tolist() == [str(u) for u in USER_IDS]
    assert inter.user_table.user_ids.tolist() == users.user_ids.tolist()
    assert inter.users.to_index(inter.user_table.user_ids[:3], strict=False).min() >= 0
    assert set(inter.user_table.attributes) == set(users.attributes) == {
        "region", "age", "vip", "age_band"}
    for name, values in users.attributes.items():
        assert inter.user_table.attributes[name].tolist() == values.tolist(), name
    assert inter.user_table.attributes["region"].tolist() == ["North", "", "South", "North"]
    assert inter.user_table.derived == users.derived == {"age_band": "age"}
    cat = inter.catalog
    assert cat.film_ids.tolist() == films.film_ids.tolist() == ["5", "6", "7"]
    assert cat.titles.tolist() == films.titles.tolist()
    assert cat.years.tolist() == films.years.tolist() == [1995, 0, 0]  # a year column: no title's
    assert cat.genres.tolist() == films.genres.tolist()
    assert folder_metadata(d) == (d / "users.parquet", d / "films.parquet")


def test_users_and_films_options_take_parquet(tmp_path: Path) -> None:
    d = _folder(tmp_path)
    (d / "users.parquet").unlink()
    extra = tmp_path / "extra.parquet"
    pq.write_table(USERS.select(["user_id", "region"]), extra)
    inter = load(d, users=extra)
    assert inter.user_table is not None
    assert inter.user_table.attributes["region"].tolist() == ["North", "", "South", "North"]


def test_both_a_csv_and_a_parquet_table_are_refused(tmp_path: Path) -> None:
    d = _folder(tmp_path)
    _csv_twin(USERS, d / "users.csv")
    with pytest.raises(DataError) as e:
        load(d)
    assert str(e.value) == (f"{d}: holds both users.csv and users.parquet; which users table "
                            "to read is not clear: keep one in the folder")
    (d / "users.csv").unlink()
    _csv_twin(FILMS, d / "films.csv")
    with pytest.raises(DataError, match="holds both films.csv and films.parquet; which films"):
        folder_metadata(d)


@pytest.mark.parametrize(("column", "said"), [
    (pa.array([1.0, 2.0]), "column user_id holds floating-point numbers; store ids as strings "
                           "(or integers)"),
    (pa.array([1, None], pa.int64()), "row 2: missing user_id; expected a non-empty id"),
    (pa.array(["a", " "]), "row 2: empty user_id (' ': blanks only); expected a non-empty id"),
    (pa.array([3, 3], pa.int64()), "row 2: user_id '3' is listed twice (first on row 1)"),
])
def test_bad_ids_are_refused_naming_file_row_and_column(tmp_path: Path, column: pa.Array,
                                                        said: str) -> None:
    p = tmp_path / "users.parquet"
    pq.write_table(pa.table({"user_id": column, "region": ["North", "South"]}), p)
    with pytest.raises(DataError) as parquet:
        read_users(p)
    assert str(parquet.value).startswith(f"{p}: {said}"), str(parquet.value)


def test_columns_and_files_are_checked_as_in_a_csv(tmp_path: Path) -> None:
    p = tmp_path / "users.parquet"
    pq.write_table(pa.table({"id": ["a"], "region": ["North"]}), p)
    with pytest.raises(DataError, match="missing required column user_id; expected columns "
                                        "'user_id,<attributes>'; found columns 'id', 'region'"):
        read_users(p)
    pq.write_table(pa.table({"user_id": ["a"], "tags": pa.array([["x"]])}), p)
    with pytest.raises(DataError, match=r"column 'tags' has type list<.*, which has no text "
                                        "form"):
        read_users(p)
    pq.write_table(pa.table({"user_id": pa.array([], pa.string())}), p)
    with pytest.raises(DataError, match="no users: expected at least one row"):
        read_users(p)
    p.write_bytes(b"")
    with pytest.raises(DataError, match="the file is empty; expected Parquet with columns"):
        read_users(p)
    p.write_bytes(b"user_id,region\na,North\n")
    with pytest.raises(DataError, match="not a readable Parquet file"):
        read_users(p)
    f = tmp_path / "films.parquet"
    pq.write_table(pa.table({"film_id": ["a", "b"], "year": [1995.0, 1995.5]}), f)
    with pytest.raises(DataError, match="row 2: year '1995.5' is not a whole number"):
        read_films(f)


def test_pandas_index_is_not_an_attribute(tmp_path: Path) -> None:
    import pandas as pd

    frame = pd.DataFrame({"user_id": ["a", "b", "c"], "region": ["N", "S", "E"]})
    p = tmp_path / "users.parquet"
    frame[frame.region != "S"].to_parquet(p)  # its index (0, 2) is written as a column
    assert "__index_level_0__" in pq.read_schema(p).names
    table = read_users(p)
    assert list(table.attributes) == ["region"]
    assert table.user_ids.tolist() == ["a", "c"]
    assert np.asarray(table.attributes["region"]).tolist() == ["N", "E"]

