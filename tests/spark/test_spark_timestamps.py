"""The Spark reader's timestamps (``recommender.spark.reading``) are the local reader's
(``recommender.io.convert.timestamp_column``), value for value, or both refuse the column:
never another time without a word, never a raw Spark error. Oracles: the unix seconds of each
value, by hand, and the local reader on the same file."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from recommender.errors import DataError
from recommender.io import readers

pytestmark = pytest.mark.spark

Maker = Callable[[Path], Path]


def parquet(values: pa.Array, **extra: pa.Array) -> Maker:
    def make(folder: Path) -> Path:
        n = len(values)
        path = folder / "log.parquet"
        pq.write_table(pa.table({"user_id": [f"u{i}" for i in range(n)],
                                 "film_id": [f"f{i}" for i in range(n)],
                                 "timestamp": values, **extra}), path)
        return path
    return make


def csv(*values: str) -> Maker:
    def make(folder: Path) -> Path:
        path = folder / "log.csv"
        path.write_text("user_id,film_id,timestamp\n" + "".join(
            f"u{i},f{i},{v}\n" for i, v in enumerate(values)))
        return path
    return make


def local_times(path: Path) -> list[int]:
    inter = readers.load(path)
    assert inter.timestamp is not None
    users = inter.users.ids[inter.user_idx]
    return [int(t) for _, t in sorted(zip(users.tolist(), inter.timestamp.tolist(),
                                          strict=True))]


def spark_times(spark: Any, path: Path | str) -> list[int]:
    from recommender.spark.reading import read_source

    table = read_source(spark, str(path), None, None).events.toArrow()
    return [int(t) for _, t in sorted(zip(table.column("user_id").to_pylist(),
                                          table.column("timestamp").to_pylist(), strict=True))]


NS = 1_600_000_000_123_456_789  # 2020-09-13T12:26:40.123456789Z
READ = {
    # pandas' default unit: Spark 4 refused the file ("[PARQUET_TYPE_ILLEGAL] INT64
    # (TIMESTAMP(NANOS,false))"); now read, fractions floored (before 1970 too)
    "nanoseconds": (parquet(pa.array([NS, -1], pa.timestamp("ns"))), [1_600_000_000, -1]),
    "nanoseconds, UTC": (parquet(pa.array([NS, -1], pa.timestamp("ns", "UTC"))),
                         [1_600_000_000, -1]),
    # an unread column of nanoseconds refused the whole file
    "nanoseconds, unread": (parquet(pa.array([1_600_000_000, 5], pa.int64()),
                                    event_time=pa.array([NS, 0], pa.timestamp("ns"))),
                            [1_600_000_000, 5]),
    # one microsecond before 1970 was read as 0 (truncated, not floored)
    "microseconds": (parquet(pa.array([NS // 1000, -1], pa.timestamp("us"))),
                     [1_600_000_000, -1]),
    "milliseconds": (parquet(pa.array([NS // 10**6, -1], pa.timestamp("ms", "UTC"))),
                     [1_600_000_000, -1]),
    "seconds": (parquet(pa.array([1_600_000_000, -1], pa.timestamp("s"))), [1_600_000_000, -1]),
    "dates": (parquet(pa.array([18_000, -1], pa.date32())), [1_555_200_000, -86_400]),
    # a float32's shortest text, "1.60000013E9", was read: 1600000130 for 1600000128
    "float32": (parquet(pa.array([1_600_000_128.0, 1_700_000_000.0], pa.float32())),
                [1_600_000_128, 1_700_000_000]),
    # decimals floored exactly (through a double, .9999999999 rounded up a second); the
    # local reader refused the type
    "decimal": (parquet(pa.array(["1600000000.9999999999", "-1.5"]).cast(pa.decimal128(22, 10))),
                [1_600_000_000, -2]),
    # pandas' category and Arrow's string view: the text they hold (refused locally)
    "category": (parquet(pa.array(["2020-01-31", "2020-02-01T00:00:00Z"]).dictionary_encode()),
                 [1_580_428_800, 1_580_515_200]),
    "string view": (parquet(pa.array(["1600000000", "1600000001"], pa.string_view())),
                    [1_600_000_000, 1_600_000_001]),
    # 23:59:59.5 the day before 1970 was read as 0: Spark's unix_timestamp truncates
    "before 1970": (csv("1969-12-31T23:59:59.5Z", "1969-12-31T23:59:59.999999999"),
                    [-1, -1]),
    # an offset past Spark's +-18:00 (pyarrow reads to +-23:59), a half-hour one, the year 0
    "offsets": (csv("2020-01-31T12:00:00+19:00", "2020-01-31T12:00:00.5-05:30",
                    "2020-01-31T12+0100", "2020-01-31 12:00Z"),
                [1_580_403_600, 1_580_491_800, 1_580_468_400, 1_580_472_000]),
    "year 0": (csv("0000-01-01", "2020-01-31"), [-62_167_219_200, 1_580_428_800]),
    # RFC 3339 allows a lowercase "t" and "z": both readers refused them
    "lowercase t and z": (csv("2020-01-31t00:00:00z", "2020-01-31T12:00:00z",
                              "2020-01-31t12:00:00+01:00", "2020-01-31 12:00z"),
                          [1_580_428_800, 1_580_472_000, 1_580_468_400, 1_580_472_000]),
    # surrounding spaces are no part of a value: " 2020-01-31" was refused locally
    "spaces": (csv(" 2020-01-31", "2020-02-01\t"), [1_580_428_800, 1_580_515_200]),
    "spaced numbers": (csv(" 1600000000", "+5 ", "1.5e9"), [1_600_000_000, 5, 1_500_000_000]),
}


@pytest.mark.parametrize("case", list(READ))
def test_spark_reads_each_timestamp_as_the_local_reader(spark: Any, tmp_path: Path,
                                                        case: str) -> None:
    make, seconds = READ[case]
    path = make(tmp_path)
    assert local_times(path) == seconds
    assert spark_times(spark, path) == seconds


REFUSED = {
    # a column of one form: Spark read each value in its own
    "mixed forms": (csv("1600000000", "2020-01-31"), "the timestamp column mixes forms"),
    "mixed category": (parquet(pa.array(["1600000000", "2020-01-31"]).dictionary_encode()),
                       "mixes forms"),
    # what pyarrow refuses, Spark's parser took
    "short date": (csv("2020-1-3", "2020-01-31"), "bad timestamp, e.g. '2020-1-3'"),
    "month": (csv("2020-01", "2020-01-31"), "bad timestamp, e.g. '2020-01'"),
    "zone name": (csv("2020-01-31T12:00:00 UTC"), "bad timestamp"),
    "double suffix": (csv("1600000000d", "5"), "bad timestamp, e.g. '1600000000d'"),
    "second 60": (csv("2020-01-31T12:00:60"), "bad timestamp"),
    "offset 24": (csv("2020-01-31T12:00:00+24:00"), "bad timestamp"),
    # hexadecimal is no unix seconds (pyarrow's cast read 0x10 as 16)
    "hexadecimal": (parquet(pa.array(["0x10", "1600000000"])), "bad timestamp, e.g. '0x10'"),
    # ... and the CSV reader's fast path, pyarrow's integer parser, read it so too
    "hexadecimal CSV": (csv("1600000000", "0x10"), "bad timestamp, e.g. '0x10'"),
    # the local reader's checks of the whole column, which Spark did not make
    "YYYYMMDD": (csv("20200131", "20191224"), "looks like a date written YYYYMMDD"),
    "seconds as microseconds": (parquet(pa.array([1_600_000_000, 1_600_086_400],
                                                 pa.timestamp("us"))), "January 1970"),
    "seconds as nanoseconds": (parquet(pa.array([1_600_000_000, 1_600_086_400],
                                                pa.timestamp("ns"))), "January 1970"),
    # the same times written out as ISO text by to_csv (seconds as ns; as ms, unit='ms' given)
    "seconds as nanoseconds, written": (csv("1970-01-01 00:00:01.600000000",
                                            "1970-01-01 00:00:01.600086400"),
                                        "January 1970.*written as text"),
    "seconds as milliseconds, written": (csv("1970-01-19 12:26:40.000000",
                                             "1970-01-19 12:28:06.400000"),
                                         "January 1970.*written as text"),
    "placeholder date": (csv("2020-01-31", "9999-12-31"), "placeholder for an unknown time"),
    "booleans": (parquet(pa.array([True, False])), "has type boolean"),
    "infinity": (csv("inf", "5"), "bad timestamp"),
}


@pytest.mark.parametrize("case", list(REFUSED))
def test_spark_refuses_what_the_local_reader_refuses(spark: Any, tmp_path: Path,
                                                     case: str) -> None:
    from recommender.spark.reading import read_source

    make, words = REFUSED[case]
    path = make(tmp_path)
    with pytest.raises(DataError):
        readers.load(path)
    with pytest.raises(DataError, match=f"{path.name}: .*{words}"):
        read_source(spark, str(path), None, None)


def test_nanoseconds_read_from_a_uri(spark: Any, tmp_path: Path,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """A URI (hdfs://, s3a://) is not looked at with pyarrow first: Spark's refusal is the
    sign, and the file is read again; the footers are read through Hadoop."""
    from recommender.spark import reading

    path = parquet(pa.array([NS, -1], pa.timestamp("ns")))(tmp_path)
    monkeypatch.setattr(reading, "is_uri", lambda _: True)
    assert spark_times(spark, path.as_uri()) == [1_600_000_000, -1]
    assert spark.conf.get("spark.sql.legacy.parquet.nanosAsLong", None) in (None, "false")


def test_files_that_store_the_time_in_different_types_are_refused(spark: Any,
                                                                  tmp_path: Path) -> None:
    """Spark takes the schema from one file: read as nanoseconds, a file of unix seconds as
    plain integers would have become times of 1970, and a file of microseconds beside one of
    nanoseconds failed in Spark's words."""
    from recommender.spark.reading import read_source

    def write(folder: Path, name: str, values: pa.Array) -> None:
        folder.mkdir(exist_ok=True)
        pq.write_table(pa.table({"user_id": ["u"], "film_id": [name],
                                 "timestamp": values}), folder / f"{name}.parquet")

    for i, other in enumerate([pa.array([1_600_000_000], pa.int64()),
                               pa.array([NS // 1000], pa.timestamp("us"))]):
        folder = tmp_path / f"log{i}"
        write(folder, "a", pa.array([NS], pa.timestamp("ns")))
        write(folder, "b", other)
        with pytest.raises(DataError, match="stores column 'timestamp' as .*write every file "
                                            "with one type"):
            read_source(spark, str(folder), None, None)
    ids = tmp_path / "ids.parquet"
    pq.write_table(pa.table({"user_id": pa.array([NS], pa.timestamp("ns")),
                             "film_id": ["f"]}), ids)
    with pytest.raises(DataError, match="column 'user_id' holds nanosecond timestamps"):
        read_source(spark, str(ids), None, None)


def test_times_do_not_follow_the_session_time_zone(spark: Any, tmp_path: Path) -> None:
    """A naive time is UTC, as locally, whatever the session's time zone (a notebook's
    session, passed to train_spark): in New York's, 2020-01-31 was read 5 hours late, and a
    Parquet date or naive timestamp too."""
    cases = [(csv("2020-01-31", "2020-01-31 12:00:00.5"), [1_580_428_800, 1_580_472_000]),
             (parquet(pa.array([1_600_000_000, -1], pa.timestamp("s"))), [1_600_000_000, -1]),
             (parquet(pa.array([18_000, -1], pa.date32())), [1_555_200_000, -86_400])]
    zone = spark.conf.get("spark.sql.session.timeZone")
    spark.conf.set("spark.sql.session.timeZone", "America/New_York")
    try:
        for i, (make, seconds) in enumerate(cases):
            folder = tmp_path / str(i)
            folder.mkdir()
            path = make(folder)
            assert local_times(path) == seconds
            assert spark_times(spark, path) == seconds
    finally:
        spark.conf.set("spark.sql.session.timeZone", zone)


def test_a_nanosecond_log_trains_as_its_unix_seconds_do(spark: Any, tmp_path: Path) -> None:
    """pandas' to_parquet of datetimes: the Spark-trained data is the same interactions (the
    same fingerprint) as the same log with unix seconds."""
    from recommender.spark.reading import fingerprint, merge_events, read_source

    n = 60
    users = [f"u{i % 7}" for i in range(n)]
    films = [f"f{i % 5}" for i in range(n)]
    seconds = [1_600_000_000 + 3_600 * i for i in range(n)]
    prints = []
    for name, times in (("s.parquet", pa.array(seconds, pa.int64())),
                        ("ns.parquet", pa.array([s * 10**9 + 999 for s in seconds],
                                                pa.timestamp("ns")))):
        path = tmp_path / name
        pq.write_table(pa.table({"user_id": users, "film_id": films, "timestamp": times}),
                       path)
        merged = merge_events(read_source(spark, str(path), None, None).events, False, True)
        prints.append(fingerprint(merged, 7, 5, merged.count()))
    assert prints[0] == prints[1]


def test_float32_ratings_and_weights_are_their_values(spark: Any, tmp_path: Path) -> None:
    """A float32 column was read through its shortest text: a rating of 4.1 stored as float32
    (4.099999904632568) was 4.1 on Spark, so --min-rating 4.1 kept it there and not locally."""
    from recommender.spark.reading import read_source

    path = tmp_path / "f32.parquet"
    pq.write_table(pa.table({"user_id": ["a", "b"], "film_id": ["f", "g"],
                             "rating": pa.array([4.1, 3.3], pa.float32()),
                             "weight": pa.array([0.7, 2.0], pa.float32())}), path)
    inter = readers.load(path)
    assert inter.rating is not None
    table = read_source(spark, str(path), None, None).events.toArrow().sort_by("user_id")
    assert table.column("rating").to_pylist() == inter.rating.tolist()
    assert table.column("weight").to_pylist() == inter.weight.tolist()
    assert table.column("rating").to_pylist()[0] < 4.1
