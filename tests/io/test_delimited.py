"""Delimited text and column conversion: sniffing, ids, timestamps and line-precise errors.

Covers ``recommender.io.delimited`` and ``recommender.io.convert`` through ``load``; the oracle
is hand-written: small files whose answers (values, line numbers, byte offsets) are known.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from reading_helpers import BASIC, data_error, pairs, write

from recommender.io.readers import load

# ---------------------------------------------------------------------------------------------
# reading
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("sep", [",", "\t", ";"])
@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_delimiter_sniffed(tmp_path: Path, sep: str, newline: str) -> None:
    text = BASIC.replace(",", sep)
    inter = load(write(tmp_path / "events.txt", text, newline=newline))
    assert pairs(inter)[("u1", "f1")] == (3.0, 2.0, 10)  # the latest rating, first time
    assert inter.films.ids.tolist() == ["f1", "f2"]  # no stray "\r"


def test_ids_are_kept_exactly(tmp_path: Path) -> None:
    # ("NA", "null"), which pyarrow's reader would take for nulls, are read as written and
    # refused as placeholders for a missing id, by name: tests/io/test_placeholder_ids.py
    text = ("user_id,film_id,rating\n007,0104257,1\n7,104257,2\n1.0,1e3,3\nNAN0,nulls,4\n"
            "\"0042\",\" x \",5\n")
    inter = load(write(tmp_path / "ids.csv", text))
    assert set(pairs(inter)) == {("007", "0104257"), ("7", "104257"), ("1.0", "1e3"),
                                 ("NAN0", "nulls"), ("0042", " x ")}


def test_iso_timestamps(tmp_path: Path) -> None:
    text = ("user_id,film_id,timestamp\na,x,2020-01-01\nb,x,2020-01-01 00:00:10\n"
            "c,x,1970-01-02\n")
    inter = load(write(tmp_path / "iso.csv", text))
    assert {k: v[2] for k, v in pairs(inter).items()} == {
        ("a", "x"): 1577836800, ("b", "x"): 1577836810, ("c", "x"): 86400}
    zoned = "user_id,film_id,timestamp\na,x,2020-01-01T01:00:00+01:00\nb,x,2020-01-01T00:00:05Z\n"
    inter = load(write(tmp_path / "zoned.csv", zoned))
    assert {k: v[2] for k, v in pairs(inter).items()} == {
        ("a", "x"): 1577836800, ("b", "x"): 1577836805}


# ---------------------------------------------------------------------------------------------
# bad input: the file, the line and what was expected
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("sep,name", [("|", "'|'"), (" ", "space")])
def test_wrong_separator_in_header(tmp_path: Path, sep: str, name: str) -> None:
    header = sep.join(["user_id", "film_id", "rating"])
    err = data_error(write(tmp_path / "s.csv", f"{header}\n1{sep}2{sep}3\n"))
    msg = str(err)
    assert "s.csv, line 1" in msg
    assert f"found a single column {header!r}" in msg
    assert f"is the separator {name}?" in msg
    assert "expected columns separated by ','" in msg


@pytest.mark.parametrize("column,value", [("rating", "abc"), ("weight", "x1"),
                                          ("timestamp", "yesterday")])
def test_non_numeric_value(tmp_path: Path, column: str, value: str) -> None:
    rows = {"rating": ["4", "5", value], "weight": ["1", "2", value],
            "timestamp": ["10", "11", value]}[column]
    # blank line 3 must be counted: the bad value sits on line 5
    text = f"user_id,film_id,{column}\na,x,{rows[0]}\n\nb,x,{rows[1]}\nc,y,{rows[2]}\nd,z,1\n"
    err = data_error(write(tmp_path / "bad.csv", text))
    msg = str(err)
    assert err.line == 5 and "bad.csv, line 5" in msg
    assert repr(value) in msg and column in msg
    assert "expected" in msg


def test_empty_rating(tmp_path: Path) -> None:
    err = data_error(write(tmp_path / "e.csv", "user_id,film_id,rating\na,x,1\nb,x,\n"))
    assert "e.csv, line 3" in str(err) and "empty rating" in str(err)
    # how many, and that the column may go (it was refused without a hint to drop it)
    assert str(err).endswith("(1 of the 2 rows has none: line 3; give --blank-ratings drop "
                             "to leave that row out, or --blank-ratings implicit to keep it "
                             "as a view without a rating; or fill it in)")
    text = "user_id,film_id,weight\na,x, \nb,x,\nc,y,2\nd,y,\n"  # a space is empty too
    assert "(3 of the 4 rows have none" in str(data_error(write(tmp_path / "w.csv", text)))
    err = data_error(write(tmp_path / "a.csv", "user_id,film_id,rating\na,x,\nb,x,\n"))
    assert str(err).endswith("empty rating; expected a number (no row has one: the rating "
                             "column is optional, leave it out, or give --blank-ratings "
                             "implicit)")


def test_nan_rating(tmp_path: Path) -> None:
    err = data_error(write(tmp_path / "n.csv", "user_id,film_id,rating\na,x,1\nb,x,nan\n"))
    assert "line 3" in str(err) and "finite" in str(err)


def test_wrong_number_of_fields(tmp_path: Path) -> None:
    err = data_error(write(tmp_path / "f.csv", "user_id,film_id,rating\n1,2,3\n\n4,5\n6,7,8\n"))
    assert err.line == 4 and "f.csv, line 4" in str(err)
    assert "expected 3 fields" in str(err) and "found 2" in str(err)


def test_data_line_with_other_separator(tmp_path: Path) -> None:
    err = data_error(write(tmp_path / "mixed.csv", "user_id,film_id,rating\n1,2,3\n4;5;6\n"))
    assert "mixed.csv, line 3" in str(err) and "is the separator ';'?" in str(err)


def test_undecodable_byte(tmp_path: Path) -> None:
    p = tmp_path / "latin.csv"
    p.write_bytes(b"user_id,film_id\nu1,f1\nu2,Am\xe9lie\n")
    err = data_error(p)
    msg = str(err)
    assert "latin.csv, line 3" in msg
    assert "byte offset 27" in msg and "0xe9" in msg
    assert "UTF-8" in msg and "latin-1" in msg


@pytest.mark.parametrize("column", ["user_id", "film_id"])
def test_missing_id(tmp_path: Path, column: str) -> None:
    row = ",x,1" if column == "user_id" else "a,,1"
    err = data_error(write(tmp_path / "ids.csv", f"user_id,film_id,rating\na,x,1\n{row}\n"))
    assert "ids.csv, line 3" in str(err) and f"empty {column}" in str(err)


@pytest.mark.parametrize(("name", "text", "line"), [
    # a quoted id spanning two lines: the bad rating two records later is on line 5
    ("quoted.csv", 'user_id,film_id,rating\n"a\nb",x,1\nc,y,2\nd,z,abc\n', 5),
    # a doubled quote inside a quoted field does not close it
    ("doubled.csv", 'user_id,film_id,rating\n"a""\nb",x,1\nd,z,abc\n', 4),
    # lines ended by CR alone (old Mac text): line 3, not line 1
    ("cr.csv", "user_id,film_id,rating\ra,x,1\rd,z,abc\r", 3),
    # CRLF and a blank line
    ("crlf.csv", "user_id,film_id,rating\r\na,x,1\r\n\r\nd,z,abc\r\n", 4),
    # a quote inside an unquoted field is a character, as pyarrow reads it
    ("inch.csv", 'user_id,film_id,rating\na,5" reel,1\nd,z,abc\n', 3),
])
def test_lines_are_counted_as_an_editor_shows_them(tmp_path: Path, name: str, text: str,
                                                   line: int) -> None:
    """The line named is where the record starts in an editor, whatever spans or ends the
    lines before it (a quoted field over two lines used to shift every later line by one)."""
    err = data_error(write(tmp_path / name, text))
    assert err.line == line and f"{name}, line {line}" in str(err), str(err)


@pytest.mark.parametrize(("text", "spans"), [
    (b'user_id,film_id\nu1,"f\n1"\n', True),
    (b'user_id,film_id\nu1,"f1"\nu2,f2\n', False),
    (b'user_id,film_id,note\nu1,f1,"a""b\r\nc"\n', True),
    (b'user_id,film_id\r\nu1,"x"\r\n', False),
])
def test_a_quoted_line_break_is_found_across_blocks_and_gzip(tmp_path: Path, text: bytes,
                                                             spans: bool) -> None:
    """The scan that sends a file to Spark's multi-line reader (and line numbers to the slow,
    exact count): quote parity carried from block to block, gzip read through."""
    import gzip

    from recommender.io.delimited import quoted_line_break

    plain, packed = tmp_path / "x.csv", tmp_path / "x.csv.gz"
    plain.write_bytes(text)
    packed.write_bytes(gzip.compress(text))
    for chunk in (3, 7, 1 << 20):
        assert quoted_line_break(plain, chunk) is spans
        assert quoted_line_break(packed, chunk) is spans


@pytest.mark.parametrize("cut_at", ["id", "unread column"])
def test_a_quoted_line_break_at_a_block_end_is_one_field(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch,
                                                          cut_at: str) -> None:
    """pyarrow's multithreaded reader cuts a file into blocks at a line break; told nothing of
    quoted line breaks, it cut inside a quoted field, and a valid file larger than one block
    read ``w9,"a<LF>b,c"`` as two rows (a user ``b`` who never was, w9's film lost) or was
    refused. The block is made small here; the default is 16 MiB."""
    import recommender.io.delimited as delimited

    block = 1 << 12
    monkeypatch.setattr(delimited, "_BLOCK", block)
    head = "user_id,film_id,note\n"
    special = ('w9,"a\nbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb,c",x\n' if cut_at == "id"
               else 'w9,f9,"a\nbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb,c"\n')
    filler = "".join(f"u{i},f{i % 7},n\n" for i in range(250))
    body = head + filler
    inner = special.index("\n")
    pad_len = block - 10 - len(body) - inner  # the quoted break is the block's last one
    pad = "p,f," + "x" * (pad_len - 5) + "\n"  # a long note moves the break
    text = body + pad + special + "w1,f1,n\n" * 300
    assert text.rfind("\n", 0, block) == len(body) + len(pad) + inner
    inter = load(write(tmp_path / "log.csv", text))
    got = pairs(inter)
    film = "a\nbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb,c" if cut_at == "id" else "f9"
    assert ("w9", film) in got
    assert "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbb" not in inter.users.ids.tolist()
    assert len(inter.users) == 250 + 3  # the filler's, the pad's, w9 and w1


def test_a_file_appended_to_while_read_is_refused(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """A log still being written: what pyarrow read ended in a half-written line (``u3,fi``
    of ``u3,film7``), and training kept a film ``fi`` that never was, without a word."""
    import pyarrow.csv as pacsv

    import recommender.io.delimited as delimited

    p = write(tmp_path / "live.csv", "user_id,film_id\nu1,f1\nu2,f2\n")
    real = pacsv.read_csv

    def appending(*args: object, **kwargs: object) -> object:
        with open(p, "a") as fh:  # the writer, between the reader's first look and its read
            fh.write("u3,fi")
        return real(*args, **kwargs)

    monkeypatch.setattr(delimited.pacsv, "read_csv", appending)
    err = data_error(p)
    assert "changed while it was read" in str(err) and str(err).startswith(f"{p}: ")
