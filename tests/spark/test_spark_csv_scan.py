"""The driver's scan of a local CSV before Spark reads it (``checks.spark_csv_scan``): text
after a closing quote is found wherever the file's blocks are cut, the quote in the last
byte of one block and the text in the next included; a quote inside an unquoted field and
doubled quotes pass (both readers read them alike)."""

from __future__ import annotations

from pathlib import Path

import pytest

from recommender.errors import DataError
from recommender.spark.checks import spark_csv_scan


def test_text_after_a_quote_is_found_at_every_block_cut(tmp_path: Path) -> None:
    f = tmp_path / "log.csv"
    body = b'user_id,film_id\nu1,f1\n"ab"c,f2\n'
    f.write_bytes(body)
    for chunk in range(1, len(body) + 1):
        with pytest.raises(DataError, match="text follows the closing quote") as e:
            spark_csv_scan(f, chunk=chunk)
        assert e.value.line == 3, chunk


def test_quotes_both_readers_read_alike_pass(tmp_path: Path) -> None:
    f = tmp_path / "log.csv"
    body = b'user_id,film_id\na"b,f1\n"x""y",f2\n"q",f3\n'
    f.write_bytes(body)
    for chunk in range(1, len(body) + 1):
        spark_csv_scan(f, chunk=chunk)


@pytest.mark.parametrize("field", [b'""c', b'"a"""c', b'"a""b"c'])
@pytest.mark.parametrize("sep", [",", "\t"])
def test_text_after_a_quote_that_follows_a_quote_is_found(tmp_path: Path, field: bytes,
                                                          sep: str) -> None:
    # pyarrow reads ``""c`` as c and ``"a"""c`` as a"c; Spark as ""c and "a""c: the quote
    # closing the field follows a quote, not a byte of text
    f = tmp_path / "log.csv"
    s = sep.encode()
    body = b"user_id" + s + b"film_id\nu1" + s + b"f1\n" + field + s + b"f2\nu3" + s + field + b"\n"
    f.write_bytes(body)
    for chunk in range(1, len(body) + 1):
        with pytest.raises(DataError, match="text follows the closing quote") as e:
            spark_csv_scan(f, chunk=chunk, sep=sep)
        assert e.value.line == 3, chunk


@pytest.mark.parametrize("field", [b'"a,"c', b'"a\n"c', b'"a,""b,"c'])
def test_text_after_a_field_that_ends_in_its_separator_or_a_line_break_is_found(
        tmp_path: Path, field: bytes) -> None:
    # pyarrow reads ``"a,"c`` as a,c, Spark as "a,"c: the closing quote follows a comma, as
    # an opening quote does
    f = tmp_path / "log.csv"
    body = b"user_id,film_id\nu1,f1\nu2," + field + b"\n"
    f.write_bytes(body)
    for chunk in range(1, len(body) + 1):
        with pytest.raises(DataError, match="text follows the closing quote"):
            spark_csv_scan(f, chunk=chunk)
