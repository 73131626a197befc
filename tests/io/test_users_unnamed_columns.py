"""A users file's unnamed columns are not read, as a log's are not.

The index ``DataFrame.to_csv`` writes (``,user_id,region``) became an attribute named ""
holding a row number per user (listed by ``attributes``, a value that singles each user out),
and a spreadsheet's trailing commas (``user_id,region,,``) were refused as "columns '' and ''
both name ; expected each column once".
"""

from __future__ import annotations

from pathlib import Path

from reading_helpers import write

from recommender.io.readers import load, read_users


def test_pandas_index_is_not_an_attribute(tmp_path: Path) -> None:
    table = read_users(write(tmp_path / "u.csv", ",user_id,region\n0,u1,North\n1,u2,South\n"))
    assert table.user_ids.tolist() == ["u1", "u2"]
    assert {k: v.tolist() for k, v in table.attributes.items()} == {"region": ["North", "South"]}


def test_trailing_commas_are_read(tmp_path: Path) -> None:
    log = write(tmp_path / "log.csv", "user_id,film_id\nu1,f1\n")
    users = write(tmp_path / "u.csv", "user_id,region,,\r\nu1,North,,\r\n")
    table = load(log, users=users).user_table
    assert table is not None and list(table.attributes) == ["region"]
    assert table.attributes["region"].tolist() == ["North"]
