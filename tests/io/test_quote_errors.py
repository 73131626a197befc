"""Quotes RFC 4180 refuses, which pyarrow read leniently and said nothing of: text after a
closing quote (``21,"222"x,2,...`` became a film ``222x`` of one viewer, train exited 0) and a
quote never closed (every later line one field, told as a wrong field count). Each is refused
naming the file, the line and the field. Oracle: the damage planted at a known line."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from reading_helpers import data_error, pairs, write

from recommender.io.readers import load

HEADER = "user_id,film_id,rating,timestamp\n"
ROWS = "".join(f"{u},{(u + k) % 15},3,874951382\n" for u in range(1, 41) for k in range(4))


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_text_after_a_closing_quote_is_refused(tmp_path: Path, newline: str) -> None:
    path = write(tmp_path / "log.csv", HEADER + ROWS + '21,"222"x,2,874951382\n',
                 newline=newline)
    err = data_error(path)
    assert err.line == 162, str(err)
    assert "log.csv, line 162: field 2 (film_id) '\"222\"x' has text after its closing quote" \
        in str(err) and "read as '222x'" in str(err)


def test_text_after_a_closing_quote_spanning_lines_names_the_closing_line(
        tmp_path: Path) -> None:
    err = data_error(write(tmp_path / "log.csv", HEADER + '1,"a\nb"c,3,5\n' + ROWS))
    assert err.line == 3 and "field 2 (film_id) '\"a\\nb\"c'" in str(err), str(err)


def test_a_quote_never_closed_is_named_where_it_opened(tmp_path: Path) -> None:
    lines = ROWS.splitlines(keepends=True)
    lines[99] = '21,"222,2,874951382\n'  # line 101 of the file
    err = data_error(write(tmp_path / "log.csv", HEADER + "".join(lines)))
    assert err.line == 101, str(err)
    assert ("the quote opened on line 101 (field 2, film_id) is never closed: every later "
            "line (60 lines) was swallowed into that one field") in str(err)
    assert "expected 4 fields" not in str(err)


def test_a_quote_never_closed_in_the_last_field_is_refused(tmp_path: Path) -> None:
    """The field count comes out right (the last field swallows the rest): pyarrow read the
    file; a string column would have kept every later line as one value."""
    gz = tmp_path / "log.csv.gz"
    gz.write_bytes(gzip.compress((HEADER + ROWS + '9,9,3,"874951382\n1,2,3,4\n').encode()))
    err = data_error(gz)
    assert err.line == 162 and "the quote opened on line 162 (field 4, timestamp) is never " \
        "closed: every later line (1 line)" in str(err), str(err)


def test_well_formed_quotes_and_quotes_inside_a_field_still_read(tmp_path: Path) -> None:
    text = (HEADER + ROWS + '"u""1","f,1",4,100\nu3,5" reel,2,100\n'
            '"u4","a\nb",1,100\n')
    read = pairs(load(write(tmp_path / "log.csv", text)))
    assert ('u"1', "f,1") in read and ("u3", '5" reel') in read and ("u4", "a\nb") in read


def test_the_vectorised_pass_agrees_with_pythons_strict_csv() -> None:
    """``quote_problem`` refuses exactly what Python's ``csv`` refuses in strict mode (RFC
    4180's rules), on random text of quotes, separators, line ends and letters; the
    vectorised pass alone never passes what ``csv`` refuses."""
    import csv
    import io
    import random

    from recommender.io.quotes import _well_quoted, quote_problem

    rng = random.Random(11)
    for _ in range(3000):
        text = "".join(rng.choice(['"', '"', ",", "\n", "\r\n", "a", "b"])
                       for _ in range(rng.randint(1, 14)))
        try:
            list(csv.reader(io.StringIO(text, newline=""), strict=True))
            refused = False
        except csv.Error:
            refused = True
        assert (quote_problem(Path("x.csv"), text.encode(), ",") is not None) == refused, text
        data = text.encode()
        for size in (1, 2, 3, len(data)):  # read block by block: the same answer
            blocks = [data[at:at + size] for at in range(0, len(data), size)]
            assert not (refused and _well_quoted(blocks, ord(","))), (text, size)
            assert _well_quoted(blocks, ord(",")) == _well_quoted([data], ord(",")), text


def test_a_log_quoted_throughout_passes_the_vectorised_pass_alone() -> None:
    """Every field quoted (as some exports write them), a doubled quote inside, CRLF: no walk
    by Python's ``csv`` (the vectorised pass passes it, block by block too)."""
    from recommender.io.quotes import _well_quoted

    data = b'"user_id","film_id"\r\n' + b"".join(
        b'"u%d","f ""%d"""\r\n' % (u, u) for u in range(50)) + b'"",""\r\n'
    assert _well_quoted([data], ord(","))
    assert _well_quoted([data[at:at + 7] for at in range(0, len(data), 7)], ord(","))
    assert not _well_quoted([data + b'"u9"x,f\r\n'], ord(","))
