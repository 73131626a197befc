"""An id list cut from one of our CSV files: a cell the spreadsheet-safety rule quoted
("'-1" for user "-1", ``csvsafe.safe_cell``) is read as the id it came from when the model
holds that id and not the quoted one; any other id is kept byte for byte."""

from __future__ import annotations

from pathlib import Path

import pytest

from recommender.errors import DataError
from recommender.io.csvsafe import safe_cell
from recommender.io.ids import IdMap
from recommender.io.readers import read_id_list_as_known, read_id_list_index


def test_our_quoted_cells_are_read_as_their_ids(tmp_path: Path) -> None:
    ids = IdMap(["-1", "=SUM(A1)", "'q", "+7", "plain", "@x"])
    cells = [safe_cell(i) for i in ids.ids]  # as our CSV writers write them
    assert cells == ["'-1", "'=SUM(A1)", "''q", "'+7", "plain", "'@x"]
    f = tmp_path / "users.txt"
    f.write_text("user_id\n" + "\n".join(cells) + "\n-1\n")
    assert read_id_list_as_known(f, ids) == list(ids.ids)  # "-1" twice: once
    assert read_id_list_index(f, ids).tolist() == [0, 1, 2, 3, 4, 5]


def test_an_id_the_model_holds_as_written_is_kept(tmp_path: Path) -> None:
    ids = IdMap(["-1", "'-1"])  # both: the line is the quoted one
    f = tmp_path / "users.txt"
    f.write_text("'-1\n")
    assert read_id_list_as_known(f, ids) == ["'-1"]


def test_a_quote_our_writers_do_not_add_is_not_removed(tmp_path: Path) -> None:
    ids = IdMap(["abc", "-1"])
    f = tmp_path / "users.txt"
    f.write_text("'abc\n")  # safe_cell never quotes "abc": not ours, an unknown id
    assert read_id_list_as_known(f, ids) == ["'abc"]
    with pytest.raises(DataError, match="unknown id \"'abc\""):
        read_id_list_index(f, ids)
