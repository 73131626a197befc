"""The lines of a CSV log that Spark's readers took without a clear word: a header past
Spark's 20,480 columns (a "malformed CSV record ... fields differ in number" error), a URI
whose first line is past 1 MiB (the line reader's error, which the multi-line retry could
not follow, was told as the file's problem: "1 row with empty film_id"), or whose first line
holds a quote left open (told as a first line past 1 MiB), and a URI's lines of blanks alone
(skipped by Spark without a word, where a local file's are refused by line).

A URI is a ``file:`` one here, read by the URI path (``reading.is_uri`` made to say so): the
same Hadoop file system calls as hdfs:// or s3a://. Oracle: the header's width as written,
and, for lines of blanks, the local engine's scan of the same bytes
(``checks.spark_csv_scan``), which refuses the same line, or none.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from recommender.errors import DataError

pytestmark = [pytest.mark.spark]


@pytest.fixture
def as_uri(monkeypatch: pytest.MonkeyPatch) -> None:
    from recommender.spark import reading

    real = reading.is_uri
    monkeypatch.setattr(reading, "is_uri", lambda p: p.startswith("file:") or real(p))


def test_a_header_past_sparks_columns_is_named_with_its_width(spark: Any, tmp_path: Path
                                                               ) -> None:
    from recommender.spark.reading import read_source

    width = 20_481  # Spark's CSV reader takes 20,480
    path = tmp_path / "wide.csv"
    path.write_text("user_id,film_id," + ",".join(f"c{i}" for i in range(width - 2)) + "\n"
                    + "u1,f1" + ",1" * (width - 2) + "\n")
    with pytest.raises(DataError) as e:
        read_source(spark, str(path), None, None)
    assert e.value.path == str(path)
    assert f"header has {width:,} fields" in e.value.reason
    assert "delimiter" in e.value.reason and "malformed" not in e.value.reason


def test_a_header_past_sparks_columns_is_refused_without_a_second_read(
        spark: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The line reader's failure at such a header was followed by the multi-line reader's
    (which reads the same header) and a second count of its fields: two reads for one."""
    from recommender.spark import reading

    calls: list[str] = []
    real = reading._read_csv

    def counted(spark: Any, reader: Any, path: str) -> Any:
        calls.append(path)
        return real(spark, reader, path)

    monkeypatch.setattr(reading, "_read_csv", counted)
    width = 20_481
    path = tmp_path / "wide.csv"
    path.write_text(",".join(f"c{i}" for i in range(width)) + "\n" + ",1" * (width - 1) + "\n")
    with pytest.raises(DataError) as e:
        reading.read_source(spark, str(path), None, None)
    assert f"header has {width:,} fields" in e.value.reason
    assert calls == [str(path)]


def test_a_uri_whose_first_line_is_past_a_mib_is_named_so(spark: Any, tmp_path: Path,
                                                          as_uri: None) -> None:
    from recommender.spark.reading import read_source

    path = tmp_path / "long.csv"  # a quoted line break: the line reader fails, a retry is due
    path.write_text("user_id,film_id,x" + "y" * (1 << 21) + '\nu1,f1,"a\nb"\nu2,f2,c\n')
    with pytest.raises(DataError) as e:
        read_source(spark, path.as_uri(), None, None)
    assert e.value.path.endswith("/long.csv")
    assert "first line is longer than 1,048,576 bytes" in e.value.reason


@pytest.mark.parametrize("rows", [200_000, 20])  # past the MiB read for a line end; within
def test_a_uris_quote_left_open_on_its_first_line_is_named_so(spark: Any, tmp_path: Path,
                                                              as_uri: None, rows: int) -> None:
    """Line 1's quote never closes, so no record ends: it was told as "its first line is
    longer than 1 MiB" (a line of 22 bytes), or, in a smaller file, as the line reader's
    error alone. The line reader fails here on the empty film_id of line 3."""
    from recommender.spark.reading import read_source

    first = 'user_id,film_id,"note'
    text = first + "\nu1,f1,x\nu2,,x\n" + "u3,f3,c\n" * rows
    path = tmp_path / "open.csv"
    path.write_text(text)
    with pytest.raises(DataError) as e:
        read_source(spark, path.as_uri(), None, None)
    assert e.value.path.endswith("/open.csv") and e.value.line == 1
    at = first.index('"') + 1
    assert f"quote left open (byte {at} of the line)" in e.value.reason
    assert "longer than" not in e.value.reason
    breaks = text.count("\n") if rows < 1000 else text.encode()[:1 << 20].count(b"\n")
    assert f"{breaks:,} line breaks" in e.value.reason


@pytest.mark.parametrize("first", ['user_id,film_id,"a""b', 'user_id,film_id,size 5"'])
def test_a_uris_first_line_is_read_by_csv_rules_for_its_open_quote(
        spark: Any, tmp_path: Path, as_uri: None, first: str) -> None:
    """The quote said left open was the last one before the first line break: the second of
    a doubled quote (byte 20 of ``"a""b``, opened at byte 17), or a quote inside a field
    (``size 5"``), which Spark and the local reader read as written: that header was refused
    as a quote left open, not the row the line reader found. Oracle: Python's csv module
    (does line 1's record take line 2 in?), the first quote as the field's opening."""
    import csv
    import io

    from recommender.spark.reading import read_source

    text = first + "\nu1,f1,x\nu2,,x\n"
    path = tmp_path / "quotes.csv"
    path.write_text(text)
    spans = next(csv.reader(io.StringIO(text, newline="")))[-1].count("\n") > 0
    with pytest.raises(DataError) as e:
        read_source(spark, path.as_uri(), None, None)
    if spans:
        at = first.index('"') + 1  # the field's opening quote
        assert e.value.line == 1
        assert f"quote left open (byte {at} of the line)" in e.value.reason
    else:
        assert "quote left open" not in e.value.reason
        assert "empty film_id" in e.value.reason


@pytest.mark.parametrize("text", [
    b"user_id,film_id\r\nu1,f1\r\n \t \r\nu2,f2\r\n",
    b'user_id,film_id,note\nu1,f1,"a\n   \nb"\nu2,f2,c\n\x20\nu3,f3,d\n',  # the 2nd only
    b'user_id,film_id,note\nu1,f1,"a\n   \nb"\nu2,f2,c\n',  # inside quotes: none
])
def test_a_uris_lines_of_blanks_are_refused_as_a_local_files(spark: Any, tmp_path: Path,
                                                             as_uri: None, text: bytes) -> None:
    from recommender.spark.checks import spark_csv_scan
    from recommender.spark.reading import read_source

    path = tmp_path / "log.csv"
    path.write_bytes(text)
    try:
        spark_csv_scan(path)
        local_line = None
    except DataError as e:
        local_line = e.line
        assert local_line is not None
    if local_line is None:
        source = read_source(spark, path.as_uri(), None, None)
        assert source.events.count() == text.count(b"\nu")
        return
    with pytest.raises(DataError) as e:
        read_source(spark, path.as_uri(), None, None)
    assert e.value.path.endswith("/log.csv") and e.value.line == local_line
    assert "a line of blanks alone" in e.value.reason


def test_a_file_is_named_as_it_is_called_not_percent_encoded(spark: Any, tmp_path: Path,
                                                            as_uri: None) -> None:
    """Spark lists a URI's files percent-encoded (``with%20space``): the error named a file
    that is not there. Oracle: the file the error names exists."""
    from urllib.parse import urlparse

    from recommender.spark.checks import spark_csv_scan
    from recommender.spark.reading import read_source

    folder = tmp_path / "with space"
    folder.mkdir()
    blank = folder / "blank.csv"
    blank.write_bytes(b"user_id,film_id\nu1,f1\n \t\nu2,f2\n")
    long = folder / "long.csv"
    long.write_text("user_id,film_id,x" + "y" * (1 << 21) + '\nu1,f1,"a\nb"\nu2,f2,c\n')
    with pytest.raises(DataError) as local:
        spark_csv_scan(blank)
    for path, line in ((blank, local.value.line), (long, None)):
        uri = "file:" + str(path)  # as typed: Spark's own URI form, the space as it is
        with pytest.raises(DataError) as e:
            read_source(spark, uri, None, None)
        assert Path(urlparse(e.value.path).path) == path, e.value
        assert e.value.line == line, e.value


@pytest.mark.parametrize(("breaks", "whole"), [(1, False), (2, False), (1, True), (3, True)])
def test_a_quote_left_open_counts_its_line_breaks_in_words(breaks: int, whole: bool) -> None:
    """'over the 1 line breaks' read for a first MiB holding one break inside the quote."""
    from recommender.spark.csv_lines import quote_left_open

    head = b'user_id,film_id,"note' + b"\nx" * breaks + (b"" if whole else b"y" * 100)
    error = quote_left_open("f.csv", head, whole, ",")
    assert error is not None
    said = rf"\b{breaks} line break{'s' if breaks != 1 else ''}(?!s)"
    assert re.search(said, error.reason), error.reason
