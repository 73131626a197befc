"""An id list cut from one of our CSV files: a cell the spreadsheet-safety rule quoted
("'-1" for user "-1", ``csvsafe.safe_cell``) is read as the id it came from when the model
holds that id and not the quoted one; any other id is kept byte for byte."""

from __future__ import annotations

from pathlib import Path

import pytest

from recommender.errors import DataError
from recommender.io.csvsafe import safe_cell
from recommender.io.id_lists import read_id_list_as_known, read_id_list_index
from recommender.io.ids import IdMap


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


def test_a_column_cut_from_a_plan_csv_is_read_as_its_ids(tmp_path: Path) -> None:
    """A plan CSV (pyarrow's writer) quotes every text cell: an opt-out list cut from it
    ('"u00932"') named users the model does not hold, and the plan contacted them."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    ids = IdMap(["u00932", 'say "hi"', "-1", "plain"])
    table = pa.table({"user_id": [safe_cell(i) for i in ids.ids]})
    out = tmp_path / "plan.csv"
    pacsv.write_csv(table, out, pacsv.WriteOptions(quoting_style="all_valid"))
    cells = out.read_text().splitlines()
    assert cells[1:] == ['"u00932"', '"say ""hi"""', "\"'-1\"", '"plain"']
    f = tmp_path / "optouts.txt"
    f.write_text("\n".join(cells[1:]) + "\n")  # cut -d, -f1 plan.csv | tail -n +2
    assert read_id_list_as_known(f, ids) == list(ids.ids)
    # a model holding the quoted id as written keeps it
    both = IdMap(['"u00932"', "u00932"])
    g = tmp_path / "both.txt"
    g.write_text('"u00932"\n')
    assert read_id_list_as_known(g, both) == ['"u00932"']
    # not one quoted cell: kept as written
    h = tmp_path / "odd.txt"
    h.write_text('"a"b"\n"\n')
    assert read_id_list_as_known(h, IdMap(['a"b', "ab"])) == ['"a"b"', '"']


def test_a_plan_cell_is_read_as_the_id_it_was_written_from(tmp_path: Path) -> None:
    """Our plan CSV writes user "-1" as '"\\'-1"' (both quotings): with the model holding
    "'-1" too, the cut cell was read as "'-1", and an opt-out of "-1" left them planned."""
    ids = IdMap(["-1", "'-1", "'q", "''q"])
    f = tmp_path / "optouts.txt"
    f.write_text("\"'-1\"\n\"''q\"\n")  # the plan cells of "-1" and "'q"
    assert read_id_list_as_known(f, ids) == ["-1", "'q"]
