"""Reading events into Spark (``recommender.spark.reading``): duplicates merged as the local
reader merges them, and errors that name the file and the problem."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from spark_helpers import SMALL

from recommender.errors import DataError
from recommender.io import readers
from recommender.io.dataset import Interactions

pytestmark = pytest.mark.spark


def _rows(inter: Interactions) -> dict[tuple[str, str], tuple[float, float | None, int | None]]:
    u, f = inter.users.ids[inter.user_idx], inter.films.ids[inter.film_idx]
    out = {}
    for i in range(len(inter)):
        out[(str(u[i]), str(f[i]))] = (
            float(inter.weight[i]),
            None if inter.rating is None else float(inter.rating[i]),
            None if inter.timestamp is None else int(inter.timestamp[i]))
    return out


def _events_file(tmp_path: Path, fmt: str) -> Path:
    """Events with duplicates (same pair re-watched, rating changed), leading-zero ids."""
    rng = np.random.default_rng(5)
    n = 400
    users = np.array([f"{i:04d}" for i in rng.integers(0, 30, n)])
    # ids a CSV writer quotes: a comma, a doubled quote (RFC 4180), a backslash, unicode
    users[:4] = ["a,b", 'u"1', "c\\d", "é ü"]
    films = np.array([f"00{i:05d}" for i in rng.integers(0, 20, n)])
    films[4:6] = ['say "hi"', "tt/0042 é"]
    table = pa.table({
        "user_id": users, "film_id": films,
        "rating": rng.integers(1, 6, n).astype(np.float64),
        "weight": rng.integers(1, 4, n).astype(np.float64),
        "timestamp": rng.integers(1_000_000, 1_000_050, n),  # many ties on purpose
    })
    path = tmp_path / f"events.{fmt}"
    if fmt == "csv":
        pacsv.write_csv(table, path)
    else:
        pq.write_table(table, path)
    return path


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_spark_reader_merges_events_like_the_local_reader(spark: Any, tmp_path: Path,
                                                         fmt: str) -> None:
    from recommender.spark.reading import merge_events, read_source

    path = _events_file(tmp_path, fmt)
    src = read_source(spark, str(path), None, None)
    assert src.has_rating and src.has_timestamp
    merged = merge_events(src.events, True, True).toArrow()
    got = {(r["user_id"], r["film_id"]): (r["weight"], r["rating"], r["timestamp"])
           for r in merged.to_pylist()}
    assert got == _rows(readers.load(path))


# (file, text, what the error says): each names the file and the problem
BAD_FILES = [
    ("bad.csv", "user_id,film_id,rating\nu1,f1,4\nu2,f2,great\n",
     r"1 row with bad rating, e\.g\. 'great'"),
    ("nofilm.csv", "user_id,title\nu1,f1\n", "missing required column film_id"),
    # the local reader's rules: weights >= 0, unix seconds (not milliseconds)
    ("neg.csv", "user_id,film_id,weight,timestamp\nu1,f1,2,5\nu2,f2,-5,5\n",
     "1 row with negative weight"),
    ("ms.csv", "user_id,film_id,timestamp\nu1,f1,1700000000000\nu2,f2,5\n",
     "1 row with late timestamp.*milliseconds"),
    # the unit its size implies, as locally (microseconds were told "divide by 1000")
    ("us.csv", "user_id,film_id,timestamp\nu1,f1,1700000000000000\nu2,f2,5\n",
     r"1 row with late timestamp.*\(microseconds\? divide by 1,000,000\)"),
    ("ns.csv", "user_id,film_id,timestamp\nu1,f1,1700000000000000000\nu2,f2,5\n",
     r"1 row with late timestamp.*\(nanoseconds\? divide by 1,000,000,000\)"),
    # a record of more fields than the header: the message names the problem (it quoted
    # the Java call, "An error occurred while calling o109")
    ("extra.csv", "user_id,film_id\nu1,f1\nu2,f2,f3\n", "malformed CSV record"),
    # an id of blanks only (a ", " separator before an empty cell) is no id, as locally
    ("blank.csv", "user_id,film_id\nu1,f1\nu2, \t\n", "1 row with empty film_id"),
    # a placeholder for a missing id (a MySQL export's NULL, pandas' nan) is no id, as locally
    ("placeholder.csv", "user_id,film_id\nu1,f1\nNULL,f2\nNULL,f3\n",
     r"2 rows with a placeholder for a missing user_id .*e\.g\. 'NULL'; fill in"),
    # past a float32, as the local reader says (a model of infinities came out)
    ("huge.csv", "user_id,film_id,weight\nu1,f1,2\nu2,f2,1e300\n",
     r"1 row with weight past 3\.4e\+38, e\.g\. '1e300'; expected a finite number of at "
     r"most 3\.4e\+38"),
    ("rated.csv", "user_id,film_id,rating\nu1,f1,2\nu2,f2,-1e39\n",
     r"1 row with rating past 3\.4e\+38, e\.g\. '-1e39'"),
    # past a double too: read as infinity, it was a "bad rating", as if written inf
    ("overflow.csv", "user_id,film_id,rating\nu1,f1,2\nu2,f2,1e400\n",
     r"1 row with rating past 3\.4e\+38, e\.g\. '1e400'"),
    ("infinite.csv", "user_id,film_id,weight\nu1,f1,2\nu2,f2,-Infinity\n",
     r"1 row with bad weight, e\.g\. '-Infinity'; expected a finite number"),
    # an infinity beside a tab is an infinity (Spark reads it so, as the local reader does):
    # it was "past 3.4e+38", as 1e39 is, where the local reader says "not finite"
    ("tabbed.csv", "user_id,film_id,weight\nu1,f1,2\nu2,f2,inf\t\n",
     r"1 row with bad weight, e\.g\. 'inf.{1,2}'; expected a finite number"),
    ("summed.csv", "user_id,film_id,weight\nu1,f1,3e38\nu2,f2,1\nu1,f1,3e38\n",
     r"the events of user 'u1' and film 'f1' \(merged into one interaction\) have weights "
     r"summing to 6e\+38, past 3\.4e\+38.*\(1 such pair\)"),
]


def test_spark_reads_quoted_fields_that_span_lines(spark: Any, tmp_path: Path) -> None:
    """A quoted id holding a line break: Spark's line reader cannot split the file, so it is
    read again with Spark's multi-line reader, and the ids are the local reader's."""
    from recommender.io.readers import load
    from recommender.spark.reading import read_source

    path = tmp_path / "multi.csv"
    path.write_text('user_id,film_id\nu1,"f\n1"\nu2,f2\n"u\n3","a ""b"""\n')
    local = load(path)
    events = read_source(spark, str(path), None, None).events.toArrow()
    got = sorted(zip(events.column("user_id").to_pylist(), events.column("film_id").to_pylist(),
                     strict=True))
    want = sorted(zip(local.users.ids[local.user_idx].tolist(),
                      local.films.ids[local.film_idx].tolist(), strict=True))
    assert got == want == sorted([("u1", "f\n1"), ("u2", "f2"), ("u\n3", 'a "b"')])
    # in a column nobody reads, before the rating: the line reader's broken rows would pass
    # as bad ratings or empty ids; the file is read whole instead
    note = tmp_path / "note.csv"
    note.write_text('user_id,film_id,note,rating\nu1,f1,"two\nlines",4\nu2,f2,x,3\n')
    events = read_source(spark, str(note), None, None).events.toArrow()
    assert sorted(zip(events.column("user_id").to_pylist(), events.column("rating").to_pylist(),
                      strict=True)) == [("u1", 4.0), ("u2", 3.0)]


@pytest.mark.parametrize("end", ["\r\n", "\r", "\n"])
def test_spark_keeps_quoted_line_breaks_byte_for_byte_whatever_ends_the_lines(
        spark: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, end: str) -> None:
    """Spark's multi-line reader, left to detect the line end, turned the one it found into
    an LF inside quoted fields too: from a CRLF file the ids "a\r\nb" and "f\r\n2" came out
    as "a\nb" and "f\n2", from a CR file "a\rb" as "a\nb". Ids are the local reader's,
    from a local file and from a URI (read line by line first, then with the multi-line
    reader)."""
    from recommender.io.readers import load
    from recommender.spark import reading

    rows = [("user_id", "film_id", "rating"), ('"a\r\nb"', "f1", "4"), ("u2", '"f\r\n2"', "3"),
            ('"c\rd"', '"e\nf"', "5"), ('"g""\r"', "f1", "2")]
    path = tmp_path / "ends.csv"
    path.write_bytes((end.join(",".join(r) for r in rows) + end).encode())
    local = load(path)
    want = sorted(zip(local.users.ids[local.user_idx].tolist(),
                      local.films.ids[local.film_idx].tolist(), local.rating.tolist(),
                      strict=True))
    assert want == sorted([("a\r\nb", "f1", 4.0), ("u2", "f\r\n2", 3.0), ("c\rd", "e\nf", 5.0),
                           ('g"\r', "f1", 2.0)])
    for data in (str(path), path.as_uri()):
        if data != str(path):  # a URI, as hdfs:// or s3a:// would be read
            monkeypatch.setattr(reading, "is_uri", lambda _: True)
        events = reading.read_source(spark, data, None, None).events.toArrow()
        got = sorted(zip(events.column("user_id").to_pylist(),
                         events.column("film_id").to_pylist(),
                         events.column("rating").to_pylist(), strict=True))
        assert got == want, data


def test_spark_refuses_mixed_line_ends_where_a_quoted_field_spans_lines(
        spark: Any, tmp_path: Path) -> None:
    """Spark's multi-line reader reads one kind of line end per file: a file that needs it and
    mixes kinds is refused at the first line that differs, not read with ids changed."""
    from recommender.spark.reading import read_source

    path = tmp_path / "mixed.csv"
    path.write_bytes(b'user_id,film_id\n"a\nb",f1\nu2,f2\r\nu3,f3\n')
    with pytest.raises(DataError, match=r"mixed\.csv, line 4: this line ends in CRLF, the "
                       r"lines before it in LF"):
        read_source(spark, str(path), None, None)


def test_spark_reader_errors_name_the_file_and_the_problem(spark: Any, tmp_path: Path) -> None:
    from recommender.spark.training import train_spark

    for name, text, words in BAD_FILES:
        path = tmp_path / name
        path.write_text(text)
        with pytest.raises(DataError, match=re.escape(name) + ".*" + words):
            train_spark(str(path), SMALL, spark=spark)
    with pytest.raises(DataError, match="no such file"):
        train_spark(str(tmp_path / "absent.csv"), SMALL, spark=spark)


def test_the_fingerprint_does_not_follow_the_partitioning(spark: Any) -> None:
    # summed float weights differ in their last bits with the order Spark adds them in: the
    # fingerprint (and the model version) changed with the number of cores
    from recommender.spark.reading import fingerprint

    rows = [(f"u{i % 97}", f"f{i % 89}", 0.1 + (i % 7) / 3.0) for i in range(5000)]
    rows.append(("u-big", "f-big", 2e13))  # past a long's range once in millionths
    df = spark.createDataFrame(rows, "user_id string, film_id string, weight double")
    merged = df.groupBy("user_id", "film_id").sum("weight").withColumnRenamed(
        "sum(weight)", "weight")
    prints = {fingerprint(merged.repartition(n), 98, 90, merged.count()) for n in (1, 3, 8)}
    assert len(prints) == 1


def test_spark_refuses_timestamps_that_are_no_number(spark: Any, tmp_path: Path) -> None:
    """A NaN timestamp (Parquet doubles, or "NaN" in a CSV) was floored to 0, 1970-01-01,
    without a word, where the local reader refuses it; an infinity overflowed the cast
    (ARITHMETIC_OVERFLOW) and 1e19 too. Each is now a bad (or late) timestamp, as locally."""
    from recommender.spark.reading import read_source

    cases = [([1.7e9, float("nan")], "1 row with bad timestamp, e.g. 'NaN'"),
             ([1.7e9, float("inf")], "1 row with bad timestamp, e.g. 'Infinity'"),
             ([1.7e9, float("-inf")], "1 row with bad timestamp, e.g. '-Infinity'"),
             ([1.7e9, 1e19], "1 row with late timestamp"),
             ([1.7e9, -1e19], "1 row with bad timestamp")]
    for i, (values, words) in enumerate(cases):
        path = tmp_path / f"t{i}.parquet"
        pq.write_table(pa.table({"user_id": ["a", "b"], "film_id": ["f", "g"],
                                 "timestamp": pa.array(values, pa.float64())}), path)
        with pytest.raises(DataError, match=words):
            read_source(spark, str(path), None, None)
        with pytest.raises(DataError):  # the local reader refuses each as well
            readers.load(path)
    text = tmp_path / "nan.csv"
    text.write_text("user_id,film_id,timestamp\na,f,1700000000\nb,g,NaN\n")
    with pytest.raises(DataError, match="1 row with bad timestamp, e.g. 'NaN'"):
        read_source(spark, str(text), None, None)
    fine = tmp_path / "fine.parquet"
    pq.write_table(pa.table({"user_id": ["a", "b"], "film_id": ["f", "g"],
                             "timestamp": [1.7e9 + 0.5, -1.5]}), fine)
    got = read_source(spark, str(fine), None, None).events.toArrow()
    assert sorted(got.column("timestamp").to_pylist()) == [-2, 1_700_000_000]


def test_spark_names_a_far_date_without_the_milliseconds_hint(spark: Any,
                                                              tmp_path: Path) -> None:
    """9999-12-31 (a warehouse's "no end date") is no number of milliseconds: the local
    reader names it as a placeholder, Spark said "milliseconds? divide by 1000". Numbers
    keep the hint."""
    from recommender.spark.reading import read_source

    text = tmp_path / "far.csv"
    text.write_text("user_id,film_id,timestamp\nu1,f1,2020-01-31\nu2,f1,9999-12-31\n")
    with pytest.raises(DataError, match="1 row with late timestamp, e.g. '9999-12-31'") as e:
        read_source(spark, str(text), None, None)
    assert "milliseconds" not in str(e.value) and "placeholder" in str(e.value)
    with pytest.raises(DataError):  # the local reader refuses it too
        readers.load(text)
    text.write_text("user_id,film_id,timestamp\nu1,f1,1700000000\nu2,f1,1700000000000\n")
    with pytest.raises(DataError, match="milliseconds"):
        read_source(spark, str(text), None, None)


def test_spark_refuses_a_csv_that_is_not_utf8_as_the_local_reader_does(
        spark: Any, tmp_path: Path) -> None:
    """Spark's CSV reader replaced each undecodable byte with U+FFFD without a word: the
    latin-1 users ``caf\\xe9`` and ``caf\\xe8`` trained as one user ``caf\\ufffd``. A local
    file (gzipped too, and one whose quoted field spans lines) is now refused at the line and
    column of its first such byte, in the local reader's words."""
    import gzip

    from recommender.spark.reading import read_source

    raw = b"user_id,film_id\nu1,f1\nu2,f1\ncaf\xe9,f2\ncaf\xe8,f1\n"
    where = r"line 4: byte 0xe9 at byte offset 31 \(column 4\) is not valid UTF-8"
    plain = tmp_path / "latin1.csv"
    plain.write_bytes(raw)
    with pytest.raises(DataError, match=where):
        readers.load(plain)  # the local reader's words
    packed = tmp_path / "latin1.csv.gz"
    packed.write_bytes(gzip.compress(raw))
    spans = tmp_path / "spans.csv"
    spans.write_bytes(b'user_id,film_id\n"u\n1",f1\nu2,f1\n' + "é".encode() + b"\xe9,f2\n")
    for path, words in ((plain, where), (packed, where),
                        (spans, r"line 5: byte 0xe9 at byte offset 33 \(column 3\)")):
        with pytest.raises(DataError, match=re.escape(path.name) + ", " + words):
            read_source(spark, str(path), None, None)
    fine = tmp_path / "fine.csv"  # U+FFFD written as UTF-8 is an id like any other
    fine.write_bytes("user_id,film_id\ncaf\ufffd,f1\nu2,f1\n".encode())
    got = read_source(spark, str(fine), None, None).events.toArrow()
    assert sorted(got.column("user_id").to_pylist()) == ["caf\ufffd", "u2"]


def test_spark_refuses_parquet_byte_ids_that_are_not_utf8(spark: Any, tmp_path: Path) -> None:
    """A Parquet id column of bytes that are not UTF-8 ended training in a pyarrow traceback
    (exit 1) once the ids came back to the driver; it is now a DataError naming the column,
    as the local reader refuses it. Bytes that are UTF-8 are read as their text."""
    from recommender.spark.reading import read_source
    from recommender.spark.training import train_spark

    path = tmp_path / "bytes.parquet"
    pq.write_table(pa.table({"user_id": pa.array([b"\xff\xfe", b"ok"], pa.binary()),
                             "film_id": ["a", "b"]}), path)
    with pytest.raises(DataError):
        readers.load(path)
    with pytest.raises(DataError, match=r"bytes\.parquet: 1 row whose user_id is not UTF-8 "
                       r"text .*e\.g\. 0xFFFE"):
        train_spark(str(path), SMALL, spark=spark)
    fine = tmp_path / "fine.parquet"
    pq.write_table(pa.table({"user_id": pa.array([b"ok", "é".encode()], pa.binary()),
                             "film_id": ["a", "b"]}), fine)
    got = read_source(spark, str(fine), None, None).events.toArrow()
    assert sorted(got.column("user_id").to_pylist()) == ["ok", "é"]


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_spark_refuses_the_ids_the_local_reader_refuses(spark: Any, tmp_path: Path,
                                                        fmt: str) -> None:
    """Ids holding a NUL byte or past 1,000 UTF-8 bytes, which the local reader refuses, were
    read by Spark: the model listed 'u1\x00' as a second 'u1' (its ids lose a trailing NUL)
    and kept a 2,000-byte id that the campaign store cannot hold."""
    from recommender.spark.reading import index_ids, merge_events, read_source

    for users, words in ((["u1\x00", "u1"], r"1 row with user_id holding a NUL byte, e\.g\. "
                                            r"'u1\\x00'; expected text ids"),
                         ([f"{'é' * 501}", "u1"], r"1 row with user_id past 1,000 UTF-8 bytes, "
                                                 r"e\.g\. 'é{40}\.\.\.'; expected an id of at "
                                                 r"most 1,000 bytes")):
        table = pa.table({"user_id": users, "film_id": ["f1", "f2"]})
        path = tmp_path / f"ids.{fmt}"
        if fmt == "csv":
            pacsv.write_csv(table, path)
        else:
            pq.write_table(table, path)
        with pytest.raises(DataError):
            readers.load(path)  # the oracle: the local reader refuses it
        with pytest.raises(DataError, match=re.escape(str(path)) + ": " + words):
            read_source(spark, str(path), None, None)
    # the longest id either reader takes: 1,000 bytes, read as written
    path = tmp_path / "longest.parquet"
    pq.write_table(pa.table({"user_id": ["é" * 500, "u1"], "film_id": ["f1", "f2"]}), path)
    assert len(readers.load(path).users.ids) == 2
    merged = merge_events(read_source(spark, str(path), None, None).events, False, False)
    assert sorted(index_ids(merged, "user_id")[1].tolist()) == sorted(["é" * 500, "u1"])


def test_a_malformed_csv_record_is_shown_and_not_said_to_be_readable_locally(
        spark: Any, tmp_path: Path) -> None:
    """A row of fewer fields than the header: Spark names no line, and the message said only
    "a field or quote ... the local engine may read it", which the local reader does not (it
    refuses the row by line). The record Spark names is now shown, with the likely cause."""
    from recommender.spark.reading import read_source

    path = tmp_path / "short.csv"
    path.write_text('user_id,film_id,rating\nu1,f1,3\n" 42","q""x"\nu3,f2,4\n')
    with pytest.raises(DataError, match=r"line 3: expected 3 fields"):
        readers.load(path)
    with pytest.raises(DataError) as e:
        read_source(spark, str(path), None, None)
    said = str(e.value)
    assert "malformed CSV record '\" 42\",\"q\"\"x\"'" in said, said  # the line as written
    assert "fields differ in number from the header's" in said
    assert "may read it" not in said


def test_a_spark_read_error_names_the_line_of_a_local_file(spark: Any, tmp_path: Path) -> None:
    """Spark's checks count the bad rows and show an example but named no line, where the
    local reader names it: for a local file the message now adds the line the local reader
    stops at (oracle: the line written bad here)."""
    from recommender.spark.training import train_spark

    rows = [f"u{i},f{i % 7},{1 + i % 5}" for i in range(60)]
    rows[40] = "u40,f5,great"  # file line 42: the header is line 1
    path = tmp_path / "late_bad.csv"
    path.write_text("user_id,film_id,rating\n" + "\n".join(rows) + "\n")
    with pytest.raises(DataError, match=r"1 row with bad rating, e\.g\. 'great'.*the local "
                                        r"reader stops at line 42: .*great"):
        train_spark(str(path), SMALL, spark=spark)


def test_a_spark_read_error_names_the_row_of_a_local_parquet_file(spark: Any,
                                                                  tmp_path: Path) -> None:
    """A bad value in a local Parquet file: the local reader names its row, Spark's check
    named none; the message now adds the row the local reader stops at (oracle: the row
    written bad here)."""
    from recommender.spark.reading import read_source

    weights = [1.0] * 9
    weights[6] = float("nan")  # row 7
    path = tmp_path / "bad_weight.parquet"
    pq.write_table(pa.table({"user_id": [f"u{i}" for i in range(9)], "film_id": ["f1"] * 9,
                             "weight": weights}), path)
    with pytest.raises(DataError, match=r"bad_weight\.parquet: 1 row with bad weight.*the "
                                        r"local reader stops at row 7: weight nan"):
        read_source(spark, str(path), None, None)


def test_spark_says_an_empty_csv_is_empty_as_the_local_reader_does(spark: Any,
                                                                   tmp_path: Path) -> None:
    """An empty file was "missing required columns ...; found columns " (none) on Spark; the
    local reader says the file is empty (oracle: the local reader's own refusal)."""
    from recommender.spark.reading import read_source

    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    with pytest.raises(DataError) as local:
        readers.load(path)
    with pytest.raises(DataError) as on_spark:
        read_source(spark, str(path), None, None)
    assert on_spark.value.reason == local.value.reason
    assert "found columns" not in str(on_spark.value)


@pytest.mark.parametrize(("name", "body"), [
    ("spaces.csv", "user_id,film_id\nu1,f1\n   \nu2,f2\n"),
    ("tab_crlf.csv", "user_id,film_id\r\nu1,f1\r\n\t\r\nu2,f2\r\n"),
    ("last.csv", "user_id,film_id\nu1,f1\nu2,f2\n  "),
    ("blanks.tsv", "user_id\tfilm_id\nu1\tf1\n \t \nu2\tf2\n"),
])
def test_spark_refuses_a_line_of_blanks_at_the_line_the_local_reader_names(
        spark: Any, tmp_path: Path, name: str, body: str) -> None:
    """A line of spaces or tabs alone: the local reader refuses it at its line, Spark's CSV
    reader skipped it and trained on the rest (oracle: the local reader's refusal, its line).
    A quoted field holding such a line is data to both, and still read alike."""
    from recommender.spark.reading import read_source

    path = tmp_path / name
    path.write_bytes(body.encode())
    with pytest.raises(DataError) as local:
        readers.load(path)
    with pytest.raises(DataError, match=r"a line of blanks alone \(no data\): delete it"
                       ) as on_spark:
        read_source(spark, str(path), None, None)
    assert local.value.line is not None and on_spark.value.line == local.value.line
    assert on_spark.value.path == local.value.path == str(path)
    quoted = tmp_path / "quoted.csv"
    quoted.write_bytes(b'user_id,film_id\nu1,"f\n   \nx"\nu2,f2\n')
    source = read_source(spark, str(quoted), None, None)
    got = sorted((r[0], r[1]) for r in source.events.select("user_id", "film_id").collect())
    assert got == sorted(_rows(readers.load(quoted))) == [("u1", "f\n   \nx"), ("u2", "f2")]


def test_spark_names_a_file_as_given(spark: Any, tmp_path: Path,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """Spark reads a local file by its absolute path; its messages and the model's
    ``data.source`` named that path where the local engine names the path as typed."""
    from recommender.spark.reading import read_source

    monkeypatch.chdir(tmp_path)
    Path("events.csv").write_text("user_id,film_id\nu1,f1\nu2,f2\n")
    Path("bad.csv").write_text("who,what\nu1,f1\n")
    assert read_source(spark, "events.csv", None, None).source == "events.csv"
    with pytest.raises(DataError) as err:
        read_source(spark, "bad.csv", None, None)
    assert err.value.path == "bad.csv" and str(err.value).startswith("bad.csv: ")


def test_spark_says_a_log_without_its_header_starts_with_data_as_the_local_reader_does(
        spark: Any, tmp_path: Path) -> None:
    """A log saved without its header line (string ids beside numbers) was "missing required
    columns user_id and film_id; ... found columns 'u00001', ..." on Spark (oracle: the local
    reader's refusal); a header of unknown names, none a number, is still named as one."""
    from recommender.spark.reading import read_source

    for name, text, said in (("ids.csv", "u00001,0104257,3.5,1731662743\nu2,f,4,1\n",
                              "looks like data"),
                             ("names.csv", "customer,product\nu1,f1\n", "missing required")):
        path = tmp_path / name
        path.write_text(text)
        with pytest.raises(DataError) as local:
            readers.load(path)
        with pytest.raises(DataError) as on_spark:
            read_source(spark, str(path), None, None)
        assert said in on_spark.value.reason and said in local.value.reason
        if said == "looks like data":
            assert on_spark.value.reason == local.value.reason


def test_spark_refuses_text_after_a_closing_quote_which_the_readers_read_apart(
        spark: Any, tmp_path: Path) -> None:
    """``"ab"c`` (text after a closing quote, no RFC 4180) read as ``abc`` locally and as
    ``"ab"c`` by Spark, ``"x"  `` as ``x  `` and ``x``: the engines trained different ids from
    one file, without a word. Spark's path now refuses it at its line (TSV, gzip and a file
    Spark reads with its multi-line reader too); a quote inside an unquoted field (``a"b``)
    and a doubled quote in a quoted one are read alike, and pass."""
    import gzip

    from recommender.spark.checks import spark_csv_scan
    from recommender.spark.reading import read_source

    cases = {"after.csv": b'user_id,film_id\nu1,f1\n"ab"c,f2\n',
             "spaces.csv": b'user_id,film_id\nu1,f1\nu2,f1\n"x"  ,f2\n',
             "after.tsv": b'user_id\tfilm_id\nu1\tf1\n"ab"c\tf2\n',
             "spans.csv": b'user_id,film_id\n"u\n1",f1\nu2,"f"2\n'}
    lines = {"after.csv": 3, "spaces.csv": 4, "after.tsv": 3, "spans.csv": 4}
    for name, raw in cases.items():
        path = tmp_path / name
        path.write_bytes(raw)
        with pytest.raises(DataError, match=f"line {lines[name]}: text follows the closing"):
            read_source(spark, str(path), None, None)
        for p in (path, tmp_path / (name + ".gz")):
            if p.name.endswith(".gz"):
                p.write_bytes(gzip.compress(raw))
            with pytest.raises(DataError, match=re.escape(p.name) + f", line {lines[name]}: "
                               "text follows the closing quote"):
                spark_csv_scan(p, chunk=3, sep="\t" if ".tsv" in name else ",")
    fine = tmp_path / "fine.csv"
    fine.write_bytes(b'user_id,film_id\na"b,f1\n"c""d",f1\n"e,f",f2\n')
    got = read_source(spark, str(fine), None, None).events.toArrow()
    local = readers.load(fine)
    assert sorted(got.column("user_id").to_pylist()) == sorted(local.users.ids) == \
        ['a"b', 'c"d', "e,f"]


def test_spark_reads_a_file_whose_name_holds_glob_characters_as_that_file(
        spark: Any, tmp_path: Path) -> None:
    """Spark's readers take a path as a Hadoop glob: ``log[1].csv`` trained from its
    neighbour ``log1.csv``, ``st*r.csv`` from every file it matches, without a word. A local
    path now names its one file (a Parquet folder and its nanosecond timestamps too). Oracle:
    the local reader of the same file, pyarrow's of the folder's file."""
    from recommender.spark.reading import read_source

    def pairs(path: str) -> list[tuple[str, str]]:
        got = read_source(spark, path, None, None).events.toArrow()
        return sorted(zip(got.column("user_id").to_pylist(), got.column("film_id").to_pylist(),
                          strict=True))

    for name, neighbour in (("log[1].csv", "log1.csv"), ("st*r.csv", "stXr.csv"),
                            ("b{a,c}.csv", "ba.csv"), ("q?.csv", "qX.csv")):
        (tmp_path / name).write_text("user_id,film_id\nu1,f1\nu2,f2\n", encoding="utf-8")
        (tmp_path / neighbour).write_text("user_id,film_id\nn9,n9\n", encoding="utf-8")
        local = readers.load(tmp_path / name)
        assert pairs(str(tmp_path / name)) == sorted(zip(
            local.users.ids[local.user_idx], local.films.ids[local.film_idx], strict=True))
    (tmp_path / "pq[1]").mkdir()
    (tmp_path / "pq1").mkdir()
    ns = pa.array([1_600_000_000_000_000_000, 1_600_000_100_000_000_000], pa.timestamp("ns"))
    pq.write_table(pa.table({"user_id": ["u1", "u2"], "film_id": ["f1", "f2"], "timestamp": ns}),
                   tmp_path / "pq[1]" / "part-0.parquet")
    pq.write_table(pa.table({"user_id": ["n9"], "film_id": ["n9"], "timestamp": ns[:1]}),
                   tmp_path / "pq1" / "part-0.parquet")
    # a space too: the files Spark listed came back as URIs (pq%5B1%5D, p%20q), which the
    # check of their nanosecond columns took as names (FileNotFoundException, exit 1)
    (tmp_path / "p q").mkdir()
    pq.write_table(pq.read_table(tmp_path / "pq[1]" / "part-0.parquet"),
                   tmp_path / "p q" / "part-0.parquet")
    for name in ("pq[1]", "p q"):
        folder = pq.read_table(tmp_path / name / "part-0.parquet")
        assert pairs(str(tmp_path / name)) == sorted(zip(
            folder.column("user_id").to_pylist(), folder.column("film_id").to_pylist(),
            strict=True))


def test_a_csv_in_a_folder_named_tsv_is_read_as_csv(spark: Any, tmp_path: Path) -> None:
    """The separator came from ``.tsv`` anywhere in the path: ``old.tsv.d/log.csv`` was read
    as TSV (one column 'user_id,film_id': no id column). Oracle: the local reader."""
    from recommender.spark.reading import read_source

    folder = tmp_path / "old.tsv.d"
    folder.mkdir()
    for name, text in (("log.csv", "user_id,film_id\nu1,f1\n"),
                       ("log.tsv", "user_id\tfilm_id\nu1\tf1\n")):
        (folder / name).write_text(text, encoding="utf-8")
        got = read_source(spark, str(folder / name), None, None).events.toArrow()
        local = readers.load(folder / name)
        assert got.column("film_id").to_pylist() == list(local.films.ids) == ["f1"]


def test_spark_refuses_a_parquet_id_column_of_booleans(spark: Any, tmp_path: Path) -> None:
    """As the local reader: a column of true/false values read as ids was two users,
    'true' and 'false' (Spark read them so too)."""
    from recommender.spark.training import train_spark

    path = tmp_path / "flags.parquet"
    pq.write_table(pa.table({"user_id": [True, False], "film_id": ["f1", "f2"]}), path)
    with pytest.raises(DataError, match="user_id holds true/false values"):
        readers.load(path)
    with pytest.raises(DataError, match="user_id holds true/false values"):
        train_spark(str(path), SMALL, spark=spark)
