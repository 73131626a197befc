"""``--films`` and ``--users`` files: the header each should have, and one of one column."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from recommender.errors import DataError
from recommender.io.project import read_films, read_users


def test_a_catalog_of_film_ids_alone_is_read(tmp_path: Path) -> None:
    """"Only film_id is required", yet a catalog of that column alone was refused as
    "expected columns separated by ',', tab or ';'; found a single column 'film_id'"."""
    films = tmp_path / "films.csv"
    films.write_text('film_id\n0001\n"00,02"\n')
    catalog = read_films(films)
    assert catalog.film_ids.tolist() == ["0001", "00,02"]
    assert catalog.titles.tolist() == ["", ""] and catalog.years.tolist() == [0, 0]
    users = tmp_path / "users.csv"
    users.write_text("User_ID\nu1\n")
    assert read_users(users).user_ids.tolist() == ["u1"]
    films.write_text("title\nHeat\n")  # one column, but not the id: the separator is asked
    with pytest.raises(DataError, match="found a single column 'title'"):
        read_films(films)


@pytest.mark.parametrize(("read", "header"), [(read_films, "film_id,title,year,genres"),
                                              (read_users, "user_id,<attributes>")])
def test_an_empty_catalog_or_user_table_is_told_its_own_header(
        tmp_path: Path, read: Callable[[Path], object], header: str) -> None:
    """An empty --films or --users file was told to hold 'user_id,film_id[,rating]...', the
    interactions log's header."""
    path = tmp_path / "empty.csv"
    path.write_text("")
    with pytest.raises(DataError) as info:
        read(path)
    assert f"expected a header line '{header}'" in info.value.reason, str(info.value)
    assert "rating" not in info.value.reason
