"""An id list exported as a CSV (a CRM's ``user_id,email``) is read by its id column."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from recommender.errors import DataError
from recommender.io.id_lists import read_id_list, read_id_list_index, read_opt_outs
from recommender.io.ids import IdMap


def test_a_csv_export_is_read_by_its_id_column(tmp_path: Path) -> None:
    # 'user_id,email' and its rows were each read as one id ('user_id,email', 'M1,a@x'):
    # a seed list from a CRM export named no user of the model
    p = tmp_path / "seeds.csv"
    p.write_bytes(b'\xef\xbb\xbfemail,user_id,name\r\na@x,M1,"Smith, Ann"\r\n\r\n'
                  b'b@x,M2,Bo\r\nc@x,M1,again\r\nd@x,,no id\r\n')
    assert read_id_list(p) == ["M1", "M2"]
    ids = IdMap(["M0", "M1", "M2"])
    assert read_id_list_index(p, ids).tolist() == [1, 2]
    assert read_opt_outs(p, ids) == ["M1", "M2"]
    # an unknown id is named by the line of its row
    p.write_text("User_ID;segment\nM2;x\nM9;y\n")  # any case, as the Studio reads it
    with pytest.raises(DataError, match=r"line 3: unknown id 'M9'"):
        read_id_list_index(p, ids)
    # a cell's own spaces are kept where the model holds the id with them
    p.write_text('film_id,title\n" f1",One\nf2,Two\n')
    assert read_id_list_index(p, IdMap(["f1", " f1", "f2"])).tolist() == [1, 2]


def test_a_one_column_list_reads_as_before(tmp_path: Path) -> None:
    # ids holding the separator, under no header or the bare header, stay whole
    p = tmp_path / "ids.txt"
    p.write_text("a,b\nc;d\n")
    assert read_id_list(p) == ["a,b", "c;d"]
    p.write_text("user_id\na,b\n")
    assert read_id_list(p) == ["a,b"]
    p.write_text("name,email\nx,y\n")  # no id column: the lines are ids, as before
    assert read_id_list(p) == ["name,email", "x,y"]
    assert np.array_equal(read_id_list_index(p, IdMap(["x,y", "name,email"])), [1, 0])


@pytest.mark.parametrize("text", ["film_id,user_id\nf,u\n", "user_id,user_id\nu,v\n"])
def test_a_csv_naming_several_id_columns_is_refused(tmp_path: Path, text: str) -> None:
    # a plan CSV (film_id and user_id) as an opt-out list: which column is meant is unknown
    p = tmp_path / "plan.csv"
    p.write_text(text)
    with pytest.raises(DataError, match="line 1: expected one id per line, or a CSV with one "
                                        "id column"):
        read_id_list(p)


def test_a_csv_exports_header_cell_past_the_csv_modules_field_limit_is_read(
        tmp_path: Path) -> None:
    # a header cell of 200,000 characters beside user_id: Python's csv module raised its own
    # csv.Error ('field larger than field limit (131072)') out of the reader, no DataError
    p = tmp_path / "seeds.csv"
    p.write_text("user_id," + "x" * 200_000 + "\nM1,a\nM2,b\n", encoding="utf-8")
    assert read_id_list(p) == ["M1", "M2"]


def test_every_reader_reads_the_column_named(tmp_path: Path) -> None:
    # the column chosen by name (``--id-column``): each reader of an id list takes it
    p = tmp_path / "crm.csv"
    p.write_text("Email,Customer Code,Name\na@x,M2,Ann\nb@x,M1,Bo\n")
    ids = IdMap(["M0", "M1", "M2"])
    assert read_id_list(p, column="customer code") == ["M2", "M1"]
    assert read_id_list_index(p, ids, column="Customer Code").tolist() == [2, 1]
    assert read_opt_outs(p, ids, column="CustomerCode") == ["M2", "M1"]
    # a column named is never silently unread: not in a plain list's first line, nor past a
    # blank first line
    for text in ("M1\nM2\n", "\nEmail,Customer Code\na,M1\n"):
        p.write_text(text)
        with pytest.raises(DataError, match="has no column named 'Customer Code'"):
            read_id_list(p, column="Customer Code")
