"""``recommender.io.readers``: format detection, dispatch, the entry points, garbage in.

The oracle is hand-written: small files whose answers are known.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from reading_helpers import data_error, make_project, write

from recommender.errors import DataError
from recommender.io.ids import IdMap
from recommender.io.readers import (
    ID_LIST_HEADERS,
    load,
    read_id_list,
    read_id_list_as_known,
    read_id_list_index,
)

# ---------------------------------------------------------------------------------------------
# detection and dispatch
# ---------------------------------------------------------------------------------------------


def test_missing_path(tmp_path: Path) -> None:
    err = data_error(tmp_path / "nope.csv")
    assert "nope.csv" in str(err) and "no such file" in str(err)


@pytest.mark.parametrize("content", ["", "\n\n  \n"])
@pytest.mark.parametrize("name", ["empty.csv", "empty.dat", "u.data", "empty.parquet"])
def test_empty_file(tmp_path: Path, content: str, name: str) -> None:
    err = data_error(write(tmp_path / name, content))
    assert name in str(err)
    assert "empty" in str(err) or "Parquet" in str(err)


def test_unknown_folder_layout(tmp_path: Path) -> None:
    write(tmp_path / "data" / "notes.txt", "hello")
    err = data_error(tmp_path / "data")
    msg = str(err)
    for looked_for in ("interactions.csv", "u.data", "ratings.dat", "ratings.csv",
                       "ratings.txt"):
        assert looked_for in msg
    assert "notes.txt" in msg


def test_folder_holding_one_dataset_folder(tmp_path: Path) -> None:
    make_project(tmp_path / "outer" / "inner")
    assert len(load(tmp_path / "outer")) == 3


def test_garbage_never_escapes_as_raw_exception(tmp_path: Path) -> None:
    rng = random.Random(7)
    alphabet = [b"user_id", b"film_id", b"rating", b",", b";", b"\t", b"\n", b"\r", b"\"",
                b"::", b"1", b"x", b"\xff", b"\xc3\xa9", b" ", b"timestamp", b"-", b"."]
    for i in range(60):
        blob = b"".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
        for name in (f"g{i}.csv", f"g{i}.dat", f"g{i}.parquet"):
            p = tmp_path / name
            p.write_bytes(blob)
            try:
                load(p)
            except DataError as e:
                assert name in str(e)


# ---------------------------------------------------------------------------------------------
# id lists
# ---------------------------------------------------------------------------------------------


def test_read_id_list(tmp_path: Path) -> None:
    p = write(tmp_path / "ids.txt", "\ufeff0104257\n  007 \n\n1.0\r\nF 1\n")
    assert read_id_list(p) == ["0104257", "007", "1.0", "F 1"]


def test_an_id_list_breaks_lines_only_at_line_ends(tmp_path: Path) -> None:
    """Ids holding U+2028, U+0085 or \\x1c (which str.splitlines breaks at) were read as two
    ids each: a film "a\\u2028b" of the model was asked for as unknown films 'a' and 'b'."""
    ids = ["a\u2028b", "x\x85y", "p\x1cq", "r\x0bs"]
    p = tmp_path / "ids.txt"
    p.write_bytes(("\n".join(ids) + "\r\nlast\rone\n").encode())
    assert read_id_list(p) == [*ids, "last", "one"]
    known = IdMap(["zero", *ids])
    assert read_id_list_index(p, IdMap([*known.ids, "last", "one"])).tolist() == [1, 2, 3, 4,
                                                                                   5, 6]
    with pytest.raises(DataError, match=r"ids.txt, line 5: unknown id 'last'"):
        read_id_list_index(p, known)


def test_read_id_list_errors(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="nope.txt: no such file"):
        read_id_list(tmp_path / "nope.txt")
    with pytest.raises(DataError, match="blank.txt: .*no id"):
        read_id_list(write(tmp_path / "blank.txt", "\n \n"))
    (tmp_path / "bin.txt").write_bytes(b"a\nb\xff\n")
    with pytest.raises(DataError, match=r"bin.txt, line 2: .*byte offset 3"):
        read_id_list(tmp_path / "bin.txt")
    # a NUL byte (UTF-16 without a byte-order mark) read as ids 'u\x001\x00': refused with
    # its line, as every other reader refuses it
    (tmp_path / "utf16.txt").write_bytes("u1\nu2\n".encode("utf-16-le"))
    with pytest.raises(DataError, match=r"utf16.txt, line 1: NUL byte"):
        read_id_list(tmp_path / "utf16.txt")
    (tmp_path / "bom16.txt").write_bytes("u1\n".encode("utf-16"))
    with pytest.raises(DataError, match=r"bom16.txt, line 1: .*UTF-16"):
        read_id_list(tmp_path / "bom16.txt")


@pytest.mark.parametrize("header", ID_LIST_HEADERS)
def test_read_id_list_skips_a_header_line(tmp_path: Path, header: str) -> None:
    assert read_id_list(write(tmp_path / "h.txt", f"\ufeff{header}\n0104257\n7\n")) == [
        "0104257", "7"]
    # only as the first line; in any case, as a CSV export's header and the Studio's pasted
    # list are read (``USER_ID`` was read as an unknown id) ...
    assert read_id_list(write(tmp_path / "m.txt", f"7\n{header}\n")) == ["7", header]
    upper = write(tmp_path / "c.txt", f"{header.upper()}\n7\n")
    assert read_id_list(upper) == ["7"]
    assert read_id_list_index(upper, IdMap(["7", "8"])).tolist() == [0]
    # ... unless the model holds that spelling as an id (ids are kept byte for byte)
    assert read_id_list_index(upper, IdMap(["7", header.upper()])).tolist() == [1, 0]
    assert read_id_list_as_known(upper, IdMap([header.upper(), "7"])) == [header.upper(), "7"]
    with pytest.raises(DataError, match=r"only.txt: .*no id"):
        read_id_list(write(tmp_path / "only.txt", f"{header}\n\n"))


def test_read_id_list_index(tmp_path: Path) -> None:
    ids = IdMap(["0104257", "7", "F 1", "id"])
    p = write(tmp_path / "ids.txt", "film_id\n7\n\n 0104257\nF 1\n7\n")
    assert read_id_list_index(p, ids, "film_id").tolist() == [1, 0, 2]  # 7 twice: once
    # an id repeated with other spaces around it is the same id, read once
    spaced = write(tmp_path / "spaced.txt", "7\n7 \n\t7\n")
    assert read_id_list_index(spaced, ids, "film_id").tolist() == [1]
    assert read_id_list(spaced) == ["7"]
    # a model that holds an id only with its spaces finds it by the line as written; the
    # bare id beside it is another (unknown) id
    spaced_only = IdMap([" u1", "u2"])
    assert read_id_list_as_known(write(tmp_path / "b.txt", " u1\nu1\n u1\n"),
                                 spaced_only) == [" u1", "u1"]
    one = write(tmp_path / "one.txt", "user_id\n7\n\n104257\nF 1\n")
    with pytest.raises(DataError) as e:
        read_id_list_index(one, ids, "user_id")
    assert str(e.value) == (f"{one}, line 4: unknown user_id '104257' (1 of the file's 3 ids is "
                            f"unknown); did you mean '0104257'?")
    assert e.value.path == str(one) and e.value.line == 4
    many = write(tmp_path / "many.txt", "7\n" + "".join(f"x{i}\n" for i in range(12)))
    with pytest.raises(DataError) as e:
        read_id_list_index(many, ids, "film_id")
    shown = ", ".join(f"'x{i}'" for i in range(10))
    assert str(e.value) == (f"{many}, line 2: unknown film_id 'x0' (12 of the file's 13 ids are "
                            f"unknown: {shown} and 2 more)")
    with pytest.raises(DataError, match="nope.txt: no such file"):
        read_id_list_index(tmp_path / "nope.txt", ids)
    # ids kept byte for byte: one the model holds with spaces is found by its line as written
    # (' 7' still means '7' when the model holds no ' 7'), Windows line endings included
    padded = IdMap([" pad ", "7", "  sp"])
    p = write(tmp_path / "pad.txt", " pad \r\n 7\r\n  sp\r\n")
    assert read_id_list_index(p, padded, "film_id").tolist() == [0, 1, 2]
    # a model holding both ' a' and 'a': each line is the id it is as written (a line ' a'
    # was stripped to 'a' first, so an opted-out ' a' stayed in a plan and 'a' left it)
    both = IdMap(["a", " a", "b"])
    p = write(tmp_path / "both.txt", " a\nb \na\n")
    assert read_id_list_index(p, both, "user_id").tolist() == [1, 2, 0]
    assert read_id_list_as_known(p, both) == [" a", "b", "a"]


def test_an_id_list_from_a_pipe_or_standard_input(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """A pipe (/dev/stdin, a shell's <(...)) was "expected a file, found a folder"; ``-``
    was "no such file"."""
    import io
    import os

    r, w = os.pipe()
    os.write(w, b"u1\nu2\nu1\n")
    os.close(w)
    try:
        assert read_id_list(f"/dev/fd/{r}") == ["u1", "u2"]
    finally:
        os.close(r)

    class Stdin:
        buffer = io.BytesIO(b"user_id\nu3\nu3\n")

    monkeypatch.setattr("sys.stdin", Stdin())
    assert read_id_list("-") == ["u3"]
    with pytest.raises(DataError, match="found a folder"):
        read_id_list(tmp_path)
    with pytest.raises(DataError, match="no such file"):
        read_id_list(tmp_path / "none.txt")
