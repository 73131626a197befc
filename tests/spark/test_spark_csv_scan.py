"""The driver's scan of a local CSV before Spark reads it (``checks.spark_csv_scan``): text
after a closing quote is found wherever the file's blocks are cut, the quote in the last
byte of one block and the text in the next included; a quote inside an unquoted field and
doubled quotes pass (both readers read them alike); a line of blanks alone is refused at the
line the local reader names, wherever the blocks are cut."""

from __future__ import annotations

from pathlib import Path

import pytest

from recommender.errors import DataError
from recommender.io.readers import load
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


@pytest.mark.parametrize("compression", ["deflated", "stored"])
def test_a_zip_given_as_a_csv_is_named_as_the_local_reader_names_it(
        tmp_path: Path, compression: str) -> None:
    """An .xlsx or a dataset's zip saved as log.csv: Spark's scan said 'probably latin-1,
    re-save it as UTF-8 (iconv)', the local reader 'a zip archive (as an .xlsx is)'."""
    import zipfile

    from recommender.io.binary import check_text_file

    log = tmp_path / "log.csv"
    how = zipfile.ZIP_DEFLATED if compression == "deflated" else zipfile.ZIP_STORED
    with zipfile.ZipFile(log, "w", how) as z:
        z.writestr("ratings.csv", "user_id,film_id\n" + "".join(
            f"{i},{i % 7}\n" for i in range(3000)))
    with pytest.raises(DataError) as local:
        check_text_file(log)
    with pytest.raises(DataError) as spark:
        spark_csv_scan(log, chunk=1024)
    assert "zip archive" in str(local.value) and str(spark.value) == str(local.value)


def test_a_line_of_blanks_is_refused_at_the_line_the_local_reader_names(tmp_path: Path) -> None:
    """Spark skips a line of spaces or tabs alone, the local reader refuses it by line: the
    scan refused nothing and the engines read different files. Oracle: the local reader, on
    files of rows, empty lines, lines of blanks and quoted fields holding such lines (data
    to both readers), with LF or CRLF line ends, every block cut."""
    import random

    rng = random.Random(5)
    pieces = ["u1,f1", "u2,f2", "", "   ", "\t", " \t\x0b", '"a\n  \nb",f3', '"x\n\t",f4',
              'u5,"x""y"']
    f = tmp_path / "log.csv"
    refused = read = 0
    for _ in range(60):
        end = rng.choice(["\n", "\r\n"])
        lines = ["user_id,film_id"] + [rng.choice(pieces) for _ in range(rng.randint(1, 6))]
        lines.insert(rng.randint(1, len(lines)), "u0,f0")  # a row at least
        body = (end.join(lines) + rng.choice([end, ""])).encode()
        f.write_bytes(body)
        try:
            load(f)
            want = None
        except DataError as e:
            assert "a line of blanks alone" in str(e), str(e)
            want = e.line
        refused, read = refused + (want is not None), read + (want is None)
        for chunk in range(1, len(body) + 1):
            if want is None:
                spark_csv_scan(f, chunk=chunk)
                continue
            with pytest.raises(DataError, match=r"a line of blanks alone \(no data\): "
                                                r"delete it") as e:
                spark_csv_scan(f, chunk=chunk)
            assert e.value.line == want, (body, chunk)
    assert refused > 10 and read > 10
