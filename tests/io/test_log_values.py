"""Values of an interaction log that used to crash training or pass silently: fractional ISO
times, non-finite or wrapping Parquet timestamps, milliseconds, negative weights."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from recommender.errors import DataError
from recommender.io import readers


def csv(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "log.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_iso_times_with_fractions_are_floored(tmp_path: Path) -> None:
    # what JavaScript's toISOString and pandas write; decimal seconds are floored the same way
    data = readers.load(csv(tmp_path, "user_id,film_id,timestamp\n"
                                      "u1,f1,2020-01-31T12:00:00.999Z\nu2,f1,2020-01-31T12:00:01Z\n"))
    assert sorted(data.timestamp.tolist()) == [1580472000, 1580472001]
    naive = readers.load(csv(tmp_path, "user_id,film_id,timestamp\n"
                                       "u1,f1,2020-01-31 12:00:00.500000\nu2,f1,2300-01-01\n"))
    assert sorted(naive.timestamp.tolist()) == [1580472000, 10413792000]
    nano = readers.load(csv(tmp_path, "user_id,film_id,timestamp\n"
                                      "u1,f1,2020-01-31 12:00:00.123456789\n"))
    assert nano.timestamp.tolist() == [1580472000]  # nine digits: pandas with nanoseconds


def test_naive_and_zoned_times_in_one_column(tmp_path: Path) -> None:
    """A log appended to by two systems mixes naive and zoned ISO times: it was refused; now
    each is read as it would be alone (naive as UTC, an offset honoured). Oracle: the unix
    seconds of each time, by hand."""
    data = readers.load(csv(tmp_path, "user_id,film_id,timestamp\n"
                                      "u1,f1,2020-01-31T12:00:00Z\n"
                                      "u2,f1,2020-01-31 13:00:00\n"
                                      "u3,f2,2020-01-31T14:00:00+01:00\n"
                                      "u4,f2,2020-02-01\n"
                                      "u5,f3,2020-01-31T12:00:00.5\n"
                                      "u6,f3,2020-01-31T15+02\n"
                                      "u7,f3,2020-01-31T12Z\n"))
    by_user = dict(zip(data.users.ids[data.user_idx].tolist(), data.timestamp.tolist(),
                       strict=True))
    assert by_user == {"u1": 1580472000, "u2": 1580475600, "u3": 1580475600,
                       "u4": 1580515200, "u5": 1580472000, "u6": 1580475600,
                       "u7": 1580472000}  # an hour alone with its zone too
    with pytest.raises(DataError, match="line 3: timestamp '2020-13-31 13:00:00' is not valid"):
        readers.load(csv(tmp_path, "user_id,film_id,timestamp\nu1,f1,2020-01-31T12:00:00Z\n"
                                   "u2,f1,2020-13-31 13:00:00\n"))


@pytest.mark.parametrize(("rows", "words"), [
    ("1620000000\n2020-01-31", "line 3: timestamp '2020-01-31' is written as ISO 8601 times, "
                               "while the rows before it are written as unix seconds"),
    ("2020-01-31\n1620000000.9", "line 3: timestamp '1620000000.9' is written as decimal unix "
                                 "seconds, while the rows before it are written as ISO 8601"),
    ("1620000000\nbanana", "line 3: timestamp 'banana' is not valid; expected"),
])
def test_a_column_that_mixes_forms_says_so(tmp_path: Path, rows: str, words: str) -> None:
    # the message blamed a valid value ("timestamp '2020-01-31' is not valid")
    a, b = rows.split("\n")
    with pytest.raises(DataError, match=words):
        readers.load(csv(tmp_path, f"user_id,film_id,timestamp\nu1,f1,{a}\nu2,f2,{b}\n"))


@pytest.mark.parametrize(("values", "words"), [
    ([1.5, float("nan")], "row 2: timestamp nan is not a finite number"),
    ([1.5, float("inf")], "row 2: timestamp inf is not a finite number"),
])
def test_parquet_timestamps_that_cannot_be_seconds(tmp_path: Path, values: list[float],
                                                   words: str) -> None:
    path = tmp_path / "log.parquet"
    pq.write_table(pa.table({"user_id": ["a", "b"], "film_id": ["f", "g"],
                             "timestamp": values}), path)
    with pytest.raises(DataError, match=words):
        readers.load(path)
    pq.write_table(pa.table({"user_id": ["a", "b"], "film_id": ["f", "g"],
                             "timestamp": pa.array([5, 2**63 + 5], pa.uint64())}), path)
    with pytest.raises(DataError, match="row 2: timestamp 9223372036854775813 is past"):
        readers.load(path)  # it wrapped to a negative number
    pq.write_table(pa.table({"user_id": ["a", "b"], "film_id": ["f", "g"],
                             "timestamp": [1.0, 1e19]}), path)
    with pytest.raises(DataError, match="row 2: timestamp 1e[+]19 is past the year 5138"):
        readers.load(path)  # the cast to int64 could not hold it
    pq.write_table(pa.table({"user_id": ["a", "b"], "film_id": ["f", "g"],
                             "timestamp": [1.0, -1e19]}), path)
    with pytest.raises(DataError, match="row 2: timestamp -1e[+]19 is out of range"):
        readers.load(path)  # nor this one: it raised pyarrow's ArrowInvalid, a traceback
    pq.write_table(pa.table({"user_id": ["a", "b"], "film_id": ["f", "g"],
                             "timestamp": pa.array([1_600_000_000, 5], pa.uint32())}), path)
    assert sorted(readers.load(path).timestamp.tolist()) == [5, 1_600_000_000]  # narrow ints


def test_milliseconds_and_negative_weights_are_refused(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"line 3: timestamp 1700000000000 .*milliseconds"):
        readers.load(csv(tmp_path, "user_id,film_id,timestamp\nu1,f1,1700000000\n"
                                   "u2,f1,1700000000000\n"))
    with pytest.raises(DataError, match="line 3: weight -5 is negative"):
        readers.load(csv(tmp_path, "user_id,film_id,weight\nu1,f1,2\nu2,f1,-5\n"))
    assert readers.load(csv(tmp_path, "user_id,film_id,weight\nu1,f1,2\nu2,f1,0\n")) \
        .weight.tolist()


def test_dates_written_yyyymmdd_are_refused(tmp_path: Path) -> None:
    """20200131 was read as unix seconds: every interaction in August 1970, without a word.
    Refused when every value reads as such a date; seconds that merely pass through that range
    (one value of a wider log) are read as seconds."""
    with pytest.raises(DataError, match=r"line 2: timestamp 20200131 looks like a date "
                                        "written YYYYMMDD"):
        readers.load(csv(tmp_path, "user_id,film_id,timestamp\nu1,f1,20200131\n"
                                   "u2,f1,20191224\n"))
    wide = readers.load(csv(tmp_path, "user_id,film_id,timestamp\nu1,f1,20200131\n"
                                      "u2,f1,1700000000\n"))
    assert sorted(wide.timestamp.tolist()) == [20200131, 1700000000]
    no_month = readers.load(csv(tmp_path, "user_id,film_id,timestamp\nu1,f1,20201331\n"))
    assert no_month.timestamp.tolist() == [20201331]


@pytest.mark.parametrize(("name", "text"), [
    ("ratings.dat", "user_id::film_id\n1::2\n3::4\n"),
    ("ratings.dat", "UserID::MovieID::Rating::Timestamp\n1::2::5::100\n"),
    ("u.data", "userId\tmovieId\trating\ttimestamp\n1\t2\t3\t4\n"),
])
def test_a_header_in_a_format_without_one_is_refused(tmp_path: Path, name: str,
                                                     text: str) -> None:
    # it was read as an interaction: the user "user_id" watched the film "film_id"
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(DataError, match="line 1: the first line looks like a header"):
        readers.load(path)


def test_seconds_stored_as_a_finer_timestamp_unit_are_refused(tmp_path: Path) -> None:
    """pandas' to_datetime of unix seconds without unit='s' stores them as nanoseconds: every
    time fell in the first two seconds of 1970, all equal once floored, and the log trained
    as one without timestamps (random hold-out, no horizon) without a word, while meta.json
    said has_timestamps. Refused when a timestamp column lies wholly in January 1970 (seconds
    as ms too); numbers that small are still read as seconds, and real times pass."""
    path = tmp_path / "log.parquet"
    seconds = pa.array([1_700_000_000, 1_700_086_400], pa.int64())
    for unit in ("ns", "us", "ms"):  # the seconds' digits, in each finer unit
        pq.write_table(pa.table({"user_id": ["a", "b"], "film_id": ["f", "g"],
                                 "timestamp": seconds.cast(pa.timestamp(unit))}), path)
        with pytest.raises(DataError, match="row 1: timestamp 1970-01-.*every timestamp falls "
                                            "in January 1970"):
            readers.load(path)
    pq.write_table(pa.table({"user_id": ["a", "b"], "film_id": ["f", "g"],
                             "timestamp": pa.array([1_700_000_000 * 10**9, 5],
                                                   pa.timestamp("ns", tz="UTC"))}), path)
    assert sorted(readers.load(path).timestamp.tolist()) == [0, 1_700_000_000]
    pq.write_table(pa.table({"user_id": ["a", "b"], "film_id": ["f", "g"],
                             "timestamp": pa.array([5, 2], pa.int64())}), path)
    assert sorted(readers.load(path).timestamp.tolist()) == [2, 5]  # numbers: seconds


def test_a_far_date_is_named_as_written(tmp_path: Path) -> None:
    """9999-12-31, a warehouse's "no end date", was refused as "timestamp 253402214400 is past
    the year 5138: expected unix seconds (milliseconds? divide by 1000)": a number the file
    does not hold, and a cause it cannot have. A date is named as written."""
    with pytest.raises(DataError, match=r"line 3: timestamp '9999-12-31' is past the year "
                                        r"5138: expected the time of the event \(is it a "
                                        "placeholder"):
        readers.load(csv(tmp_path, "user_id,film_id,timestamp\nu1,f1,2020-01-31\n"
                                   "u2,f1,9999-12-31\n"))
    path = tmp_path / "log.parquet"
    pq.write_table(pa.table({"user_id": ["a", "b"], "film_id": ["f", "g"],
                             "timestamp": pa.array([0, 2_932_896], pa.date32())}), path)
    with pytest.raises(DataError, match="row 2: timestamp '9999-12-31' is past"):
        readers.load(path)
    with pytest.raises(DataError, match="line 3: timestamp 1700000000000 .*milliseconds"):
        readers.load(csv(tmp_path, "user_id,film_id,timestamp\nu1,f1,1700000000\n"
                                   "u2,f1,1700000000000\n"))  # numbers keep their hint


def _parquet_times(tmp_path: Path, values: pa.Array) -> Path:
    path = tmp_path / "times.parquet"
    pq.write_table(pa.table({"user_id": [f"u{i}" for i in range(len(values))],
                             "film_id": ["f"] * len(values), "timestamp": values}), path)
    return path


def _times(path: Path) -> list[int]:
    data = readers.load(path)
    assert data.timestamp is not None
    return [int(t) for _, t in sorted(zip(data.users.ids[data.user_idx].tolist(),
                                          data.timestamp.tolist(), strict=True))]


def test_decimal_category_and_string_view_times_are_read(tmp_path: Path) -> None:
    """Parquet decimals, pandas' categories and Arrow's string views were refused ("column
    timestamp has type decimal128(22, 10)"), where Spark's reader read them and the README
    says decimal seconds are floored. Decimals are floored exactly (a float64 rounds
    1600000000.9999999999 up a second); the others are the text they hold."""
    decimals = pa.array(["1600000000.9999999999", "-1.5"]).cast(pa.decimal128(22, 10))
    assert _times(_parquet_times(tmp_path, decimals)) == [1_600_000_000, -2]
    late = pa.array(["100000000001.5"]).cast(pa.decimal128(14, 1))
    with pytest.raises(DataError, match=r"row 1: timestamp 100000000001.5 is past the year "
                                        r"5138: expected unix seconds \(milliseconds"):
        readers.load(_parquet_times(tmp_path, late))
    early = pa.array(["-1" + "0" * 30]).cast(pa.decimal128(38, 0))
    with pytest.raises(DataError, match="row 1: timestamp -1000.* is out of range"):
        readers.load(_parquet_times(tmp_path, early))
    category = pa.array(["2020-01-31", "2020-02-01T00:00:00Z", "2020-01-31"]).dictionary_encode()
    assert _times(_parquet_times(tmp_path, category)) == [1_580_428_800, 1_580_515_200,
                                                           1_580_428_800]
    view = pa.array(["1600000000", "1600000001.5"], pa.string_view())
    assert _times(_parquet_times(tmp_path, view)) == [1_600_000_000, 1_600_000_001]


def test_spaces_around_a_time_and_hexadecimal_numbers(tmp_path: Path) -> None:
    """Spaces around a value are no part of it: " 1600000000" was read (the CSV reader's fast
    path drops them) and " 2020-01-31" refused. Hexadecimal is neither unix seconds nor a
    time: pyarrow's cast read "0x10" as 16 (Spark's reader refuses it)."""
    spaced = csv(tmp_path, "user_id,film_id,timestamp\nu1,f1, 2020-01-31\nu2,f1,2020-02-01\t\n")
    assert _times(spaced) == [1_580_428_800, 1_580_515_200]
    numbers = _parquet_times(tmp_path, pa.array([" 1600000000", "5 "]))
    assert sorted(_times(numbers)) == [5, 1_600_000_000]
    with pytest.raises(DataError, match="row 1: timestamp '0x10' is not valid"):
        readers.load(_parquet_times(tmp_path, pa.array(["0x10", "1600000000"])))
    with pytest.raises(DataError, match="line 2: timestamp '0x10' is not valid"):
        readers.load(csv(tmp_path, "user_id,film_id,timestamp\nu1,f1,0x10\nu2,f1,+5\n"))


def test_hexadecimal_on_the_fast_path_and_ids_kept(tmp_path: Path) -> None:
    """The CSV reader's fast path parsed timestamps with pyarrow's integer parser, which reads
    "0x10" as 16: a log whose other values were all decimal took it as unix seconds 16 (the
    slow path and Spark refuse it). Ids that look hexadecimal stay the strings written."""
    with pytest.raises(DataError, match="line 3: timestamp '0X1f' is not valid"):
        readers.load(csv(tmp_path, "user_id,film_id,timestamp\nu1,f1,1600000000\n"
                                   "u2,f1,0X1f\n"))
    dat = tmp_path / "ratings.dat"
    dat.write_text("1::2::5::1600000000\n1::3::4::0x10\n", encoding="utf-8")
    with pytest.raises(DataError, match="line 2: timestamp '0x10' is not valid"):
        readers.load(dat)
    data = readers.load(csv(tmp_path, "user_id,film_id,timestamp\n0x10,0X1f,1600000000\n"
                                      "016,31,1600000001\n"))
    assert sorted(data.users.ids.tolist()) == ["016", "0x10"]
    assert sorted(data.films.ids.tolist()) == ["0X1f", "31"]
    assert sorted(data.timestamp.tolist()) == [1_600_000_000, 1_600_000_001]


def test_spaces_around_a_rating_beside_iso_times(tmp_path: Path) -> None:
    """Spaces around a rating are no part of it on the CSV reader's fast path and in Spark's
    reader; the slow path (taken for the whole file when a column is not plain numbers, such
    as ISO times) refused " 4", and named it instead of the value at fault."""
    data = readers.load(csv(tmp_path, "user_id,film_id,rating,timestamp\n"
                                      "u1,f1, 4,2020-01-31\nu2,f1,5 ,2020-02-01\n"))
    assert sorted(data.rating.tolist()) == [4.0, 5.0]
    with pytest.raises(DataError, match="line 3: rating 'abc' is not a number"):
        readers.load(csv(tmp_path, "user_id,film_id,rating\nu1,f1, 4\nu2,f1,abc\n"))
    path = tmp_path / "ratings.parquet"
    pq.write_table(pa.table({"user_id": ["u1"], "film_id": ["f1"], "rating": [" 3.5 "]}), path)
    assert readers.load(path).rating.tolist() == [3.5]


def test_text_times_past_one_string_arrays_limit_are_joined_as_large_text(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The CSV fast path reads times as text; joined into one string array, 2 GiB of it (about
    215M unix times) overflowed Arrow's offsets. Past the limit the chunks are joined as
    large_string (the limit lowered here to reach that path with a small log)."""
    from recommender.io import convert
    from recommender.io.delimited import RowLocator

    for chunks, seconds in (([["1600000000", "1600000060"], ["1600000120"]],
                             [1600000000, 1600000060, 1600000120]),
                            ([["2020-01-31", "2020-02-01"], ["2020-02-02T00:00:01Z"]],
                             [1580428800, 1580515200, 1580601601])):
        times = pa.chunked_array([pa.array(c) for c in chunks])
        with monkeypatch.context() as m:
            m.setattr(convert, "TEXT_LIMIT", 0)
            joined = convert.timestamp_column(tmp_path / "t.csv", times, RowLocator())
        assert joined.tolist() == seconds == convert.timestamp_column(
            tmp_path / "t.csv", times, RowLocator()).tolist()
