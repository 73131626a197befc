"""Reading events into Spark: files and URIs, validation, merging duplicates, indexing ids."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from recommender.errors import DataError
from recommender.io.columns import FILM_ID, RATING, TIMESTAMP, USER_ID, WEIGHT
from recommender.io.convert import MAX_TIMESTAMP, UNIT_BOUNDS, unit_hint
from recommender.io.dataset import Catalog, Interactions, UserTable
from recommender.spark.checks import (
    REFUSED_ID_TYPES,
    as_typed,
    csv_sep,
    id_checks,
    number_checks,
    refuse_byte_ids,
    short_failure,
    spark_csv_scan,
    with_line,
)
from recommender.spark.csv_lines import EXPECTED as _EXPECTED
from recommender.spark.csv_lines import (
    NoLineEndError,
    WideHeaderError,
    after_no_line_end,
    refuse_blank_lines,
    refuse_wide_header,
    uri_line_sep,
)
from recommender.spark.file_order import with_file_order
from recommender.spark.timestamps import (
    _TS_EXPECTED,
    _check_time_column,
    _nanos_columns,
    _quoted,
    _read_csv,
    _read_parquet,
    _seconds,
    _Time,
)

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame, SparkSession

_CSV_SUFFIXES = (".csv", ".tsv", ".csv.gz", ".tsv.gz")
_PARQUET_SUFFIXES = (".parquet", ".pq")


@dataclass
class Source:
    """Raw events in Spark: user_id, film_id (strings), weight (double), rating (double, when
    present), timestamp (long, when present), _order and, from files, _file (file order)."""

    events: DataFrame
    has_rating: bool
    has_timestamp: bool
    catalog: Catalog | None
    user_table: UserTable | None
    source: str


def is_uri(path: str) -> bool:
    scheme = urlparse(path).scheme
    return len(scheme) > 1 and scheme != "file"


def local_path(path: str) -> Path:
    return Path(urlparse(path).path) if path.startswith("file:") else Path(path)


def spark_path(path: str) -> str:
    """``path`` for Spark's file readers: a local path with Hadoop's glob characters escaped
    (``log[1].csv`` read the glob's ``log1.csv``, ``st*r.csv`` every match); a URI as given."""
    return path if is_uri(path) else re.sub(r"([\\\[\]{}*?])", r"\\\1", path)


def read_source(spark: SparkSession, data: str, films: str | None, users: str | None
                ) -> Source:
    """Dataset folders (and the formats only the local readers know: ``.dat``, MovieLens
    ``u.data``, FilmTrust) go through ``recommender.io.readers.load`` on the driver; CSV and Parquet
    files, Parquet folders and URIs are read by Spark."""
    from recommender.io import readers
    from recommender.io.side_files import read_film_file, read_user_file

    typed = data = str(data)  # messages and the model's data.source name it as typed
    if not is_uri(data):
        p = local_path(data)
        if not p.exists():
            raise DataError(str(p), "no such file or folder")
        spark_file = p.is_file() and p.name.lower().endswith(_CSV_SUFFIXES + _PARQUET_SUFFIXES)
        parquet_dir = p.is_dir() and not _has_layout(p) and any(
            q.suffix.lower() in _PARQUET_SUFFIXES for q in p.rglob("*"))
        if not (spark_file or parquet_dir):
            from recommender.io.blank_ratings import refusal_engine

            with refusal_engine("spark"):  # a blank rating's choices: those Spark takes
                inter = readers.load(p, films=films, users=users)
            return source_from_interactions(spark, inter)
        data = str(p.resolve())  # Spark reads it by its absolute path
    catalog = read_film_file(films) if films else None  # u.item, movies.dat: by name
    user_table = read_user_file(users) if users else None
    csv = data.lower().rstrip("/").endswith(_CSV_SUFFIXES)
    # a quoted field that spans lines: Spark's line reader splits it into broken rows (in a
    # column nobody reads it may even pass), its multi-line reader does not (one task per
    # file). A local file is scanned for one; a URI is read line by line first and again
    # with the multi-line reader when that fails. A local file is also checked to be UTF-8
    # in that pass: Spark would read each undecodable byte as U+FFFD, silently (distinct ids
    # merged into one)
    local = None if is_uri(data) else local_path(data)  # a CSV or Parquet file, named by row
    try:
        multiline = csv and local is not None and spark_csv_scan(
            local, sep=csv_sep(data))
        if csv and local is None:  # a URI's lines of blanks alone, as a local file's (Spark)
            refuse_blank_lines(spark, data)
        try:
            events, has_rating, has_ts = _read_events(
                spark, data, line_sep=_line_sep(spark, data) if multiline else None)
        except DataError as first:  # named by line where the local reader can find it
            if not csv or multiline or isinstance(first, WideHeaderError):
                raise with_line(first, local) from None  # no other reader reads that header
            try:
                events, has_rating, has_ts = _read_events(spark, data,
                                                          line_sep=_line_sep(spark, data))
            except NoLineEndError as e:  # a URI's first MiB without a record end: no retry
                raise after_no_line_end(e, first) from None
            except Exception:
                raise with_line(first, local) from None
    except DataError as e:
        raise as_typed(e, data, typed) from None
    return Source(events, has_rating, has_ts, catalog, user_table, typed)


def _has_layout(folder: Path) -> bool:
    from recommender.io.readers import FOLDER_LAYOUTS

    dirs = [folder] + [d for d in folder.iterdir() if d.is_dir()]
    return any((d / f).is_file() for d in dirs for _, files in FOLDER_LAYOUTS for f in files)


def source_from_interactions(spark: SparkSession, inter: Interactions) -> Source:
    cols: dict[str, Any] = {
        USER_ID: pa.array(inter.users.ids).take(pa.array(inter.user_idx)),
        FILM_ID: pa.array(inter.films.ids).take(pa.array(inter.film_idx)),
        WEIGHT: pa.array(inter.weight.astype(np.float64)),
    }
    if inter.rating is not None:
        cols[RATING] = pa.array(inter.rating.astype(np.float64))
    if inter.timestamp is not None:
        cols[TIMESTAMP] = pa.array(inter.timestamp.astype(np.int64))
    cols["_order"] = pa.array(np.arange(len(inter), dtype=np.int64))
    events = spark.createDataFrame(pa.table(cols))
    return Source(events, inter.rating is not None, inter.timestamp is not None,
                   inter.catalog, inter.user_table, inter.source)


def _line_sep(spark: SparkSession, path: str) -> str:
    """The line end of the CSV records at ``path``, for Spark's multi-line reader: left to
    detect it, that reader also turns the line end it detects into an LF inside quoted fields
    (a CRLF file's id ``"a\r\nb"`` was read as ``a\nb``, a CR file's ``"a\rb"`` as ``a\nb``);
    told it (``lineSep``), it keeps quoted fields byte for byte. It reads one kind of line
    end per file, so a file whose records end in two kinds is refused, at the line of the
    first that differs."""
    from recommender.io.line_ends import line_end_name, record_line_ends

    if is_uri(path):
        return uri_line_sep(spark, path)
    ends = record_line_ends(local_path(path))
    if ends.other is not None:
        assert ends.first is not None
        raise DataError(path, f"this line ends in {line_end_name(ends.other)}, the lines "
                        f"before it in {line_end_name(ends.first)}; a quoted field of this "
                        "file holds a line break, and Spark's multi-line CSV reader, which "
                        "such a file needs, reads one kind of line end per file: convert the "
                        "line ends to one kind, train with the local engine, or convert the "
                        "file to Parquet", line=ends.other_line)
    return ends.first or "\n"


def _read_events(spark: SparkSession, path: str, line_sep: str | None = None
                 ) -> tuple[DataFrame, bool, bool]:
    """``line_sep``: read with Spark's multi-line reader, records ending in it."""
    from pyspark.sql import functions as sf
    from pyspark.sql import types as st

    name = path.lower().rstrip("/")
    nanos_read = False  # Parquet nanosecond timestamps read as their longs
    try:
        if name.endswith(_CSV_SUFFIXES):
            sep = csv_sep(name)
            # a quote inside a quoted field is doubled (RFC 4180, as the local reader and
            # every CSV writer here have it), not escaped with a backslash (Spark's default)
            reader = (spark.read.option("header", True).option("sep", sep)
                      .option("inferSchema", False).option("mode", "FAILFAST")
                      .option("quote", '"').option("escape", '"')
                      .option("multiLine", line_sep is not None)
                      .option("encoding", "UTF-8"))
            if line_sep is not None:  # see _line_sep: quoted line breaks kept as they are
                reader = reader.option("lineSep", line_sep)
            raw = _read_csv(spark, reader, spark_path(path))  # film_id=0042/: 0042
        else:
            raw, nanos_read = _read_parquet(spark, path)
        names = raw.columns
    except DataError:
        raise
    except Exception as e:
        if name.endswith(_CSV_SUFFIXES):  # past Spark's columns: said, not "fields differ"
            refuse_wide_header(spark, path, spark_path(path), csv_sep(name))
        raise DataError(path, f"Spark could not read it ({short_failure(e)}); expected CSV with a "
                        f"header or Parquet, with columns {_EXPECTED}") from None
    from recommender.io.project import header_is_data
    from recommender.io.readers import canonical_column

    canon = [canonical_column(n) for n in names]
    picked: dict[str, str] = {}
    for n, c in zip(names, canon, strict=True):
        if c is None:
            continue
        if c in picked:
            raise DataError(path, f"columns {picked[c]!r} and {n!r} both mean {c}; keep one")
        picked[c] = n
    missing = [c for c in (USER_ID, FILM_ID) if c not in picked]
    if missing and name.endswith(_CSV_SUFFIXES) and (err := header_is_data(path, names)):
        raise err
    if missing:
        raise DataError(path, f"missing required column{'s' if len(missing) > 1 else ''} "
                        f"{' and '.join(missing)}; expected columns {_EXPECTED}; found columns "
                        f"{', '.join(repr(n) for n in names)}")
    nanos = _nanos_columns(spark, raw, path, list(picked.values())) if nanos_read else set()
    for c in (USER_ID, FILM_ID, RATING, WEIGHT):
        if c in picked and picked[c] in nanos:
            raise DataError(path, f"column {picked[c]!r} holds nanosecond timestamps; "
                            f"expected {'ids' if c in (USER_ID, FILM_ID) else 'numbers'}")
    fields = {f.name: f.dataType for f in raw.schema.fields}
    for c in (USER_ID, FILM_ID):
        if (what := REFUSED_ID_TYPES.get(type(fields[picked[c]]).__name__)) is not None:
            raise DataError(path, f"column {c} holds {what}; store ids as strings (or "
                            "integers)")

    def col(c: str) -> Column:
        return sf.col(_quoted(picked[c]))

    refuse_byte_ids(raw, fields, picked, (USER_ID, FILM_ID), path, _failure)

    def as_double(c: str) -> Column:
        if isinstance(fields[picked[c]], st.NumericType):  # a float's value, not its text
            return col(c).cast("double")  # (a float32 4.1 read as 4.1, locally 4.099999904)
        return sf.expr(f"try_cast(try_cast({_quoted(picked[c])} as string) as double)")

    select: dict[str, Column] = {
        USER_ID: col(USER_ID).cast("string"),
        FILM_ID: col(FILM_ID).cast("string"),
        WEIGHT: as_double(WEIGHT) if WEIGHT in picked else sf.lit(1.0),
    }
    if RATING in picked:
        select[RATING] = as_double(RATING)
    time: _Time | None = None
    if TIMESTAMP in picked:
        time = _seconds(raw, picked[TIMESTAMP], fields[picked[TIMESTAMP]],
                        picked[TIMESTAMP] in nanos, path)
        raw = time.events
        select[TIMESTAMP] = sf.col("__ts.s")
    numeric = [c for c in (RATING, WEIGHT, TIMESTAMP) if c in picked]
    hidden = [f"_raw_{c}" for c in numeric] + (["_ts_form"] if time is not None else [])
    events = raw.select(*[v.alias(k) for k, v in select.items()],
                        *[sf.expr(f"try_cast({_quoted(picked[c])} as string)").alias(f"_raw_{c}")
                          for c in numeric],
                        *([sf.col("__ts.f").alias("_ts_form")] if time is not None else []))
    _validate_events(events, path, picked, time)
    events = with_file_order(events.drop(*hidden), raw.inputFiles())
    return events, RATING in picked, TIMESTAMP in picked


def _validate_events(events: DataFrame, path: str, picked: dict[str, str],
                     time: _Time | None = None) -> None:
    """One pass over the data: empty ids, non-numeric numbers, unreadable timestamps, and
    the local reader's checks of the whole timestamp column (one form, no dates written
    YYYYMMDD, no seconds stored as a finer unit)."""
    from pyspark.sql import functions as sf

    # (what, the column its example is shown from, condition, what was expected)
    checks: list[tuple[str, str, Column, str]] = [*id_checks(USER_ID), *id_checks(FILM_ID)]
    for c in (RATING, WEIGHT):
        if c in picked:
            checks += number_checks(c)
    if WEIGHT in picked:  # as the local reader: log weighting and ALS need >= 0
        checks.append(("negative weight", f"_raw_{WEIGHT}", sf.col(WEIGHT) < 0,
                       "expected a number >= 0"))
    ts, form = sf.col(TIMESTAMP), sf.col("_ts_form")
    if time is not None:
        checks += [
            ("bad timestamp", f"_raw_{TIMESTAMP}", ts.isNull(), _TS_EXPECTED),
            *[("late timestamp", f"_raw_{TIMESTAMP}", (ts > MAX_TIMESTAMP) & (form == 0) & (
                ts >= low) & (ts < high), "expected unix seconds up to the year 5138 "
                f"{unit_hint(low)}")  # the unit its size implies, as the local reader says
              for low, high in zip((0.0, *UNIT_BOUNDS), (*UNIT_BOUNDS, float("inf")), strict=True)],
            # a date or time this late (9999-12-31, "no end date") is no unit slip: as locally
            ("late timestamp", f"_raw_{TIMESTAMP}", (ts > MAX_TIMESTAMP) & (form != 0),
             "expected the time of the event, up to the year 5138 (is it a placeholder for an "
             "unknown time?)"),
        ]
    aggs = [sf.count(sf.lit(1)).alias("_n")]
    for i, (_, _, cond, _) in enumerate(checks):
        aggs.append(sf.sum(sf.when(cond, 1).otherwise(0)).alias(f"c{i}"))
    if time is not None:
        month, day = sf.pmod(sf.floor(ts / 100), 100), sf.pmod(ts, 100)  # as YYYYMMDD
        aggs += [sf.min(ts).alias("_min"), sf.max(ts).alias("_max"),
                 sf.sum(sf.when(form == 0, 1).otherwise(0)).alias("_numbers"),
                 sf.sum(sf.when(form == 1, 1).otherwise(0)).alias("_times"),
                 sf.sum(sf.when((month < 1) | (month > 12) | (day < 1) | (day > 31), 1)
                        .otherwise(0)).alias("_not_dates")]
    try:
        row = events.agg(*aggs).collect()[0]
    except Exception as e:
        raise DataError(path, _failure(e)) from None
    if row["_n"] == 0:
        raise DataError(path, "no interactions: expected at least one data row")
    for i, (what, src, cond, expected) in enumerate(checks):
        n_bad = int(row[f"c{i}"] or 0)
        if n_bad:
            example = events.filter(cond).select(src).limit(1).collect()
            value = None if not example else example[0][0]
            cut = value if value is None or len(value) <= 40 else value[:40] + "..."  # long id
            shown = "" if cut is None else f", e.g. {cut!r}"
            raise DataError(path, f"{n_bad:,} row{'s' if n_bad > 1 else ''} with {what}"
                            f"{shown}; {expected}")
    if time is not None:
        _check_time_column(events, path, row, time)


def _failure(e: BaseException) -> str:
    """A Spark failure while reading the rows, in words."""
    text = str(e)
    if "PARQUET_COLUMN_DATA_TYPE_MISMATCH" in text or "TIMESTAMP(NANOS" in text:
        return (f"its Parquet files store a column in different types ({short_failure(e)}); write "
                "every file with one schema (pandas: to_parquet(..., "
                "coerce_timestamps='us'))")
    return (f"Spark could not parse it ({short_failure(e)}); expected CSV with a header or "
            f"Parquet, with columns {_EXPECTED}")


def index_ids(events: DataFrame, column: str) -> tuple[DataFrame, NDArray[np.str_]]:
    """Consecutive integer indices for the distinct values of ``column``, computed in Spark
    (partition offsets + ``monotonically_increasing_id``, no single-partition window).

    Returns a persisted DataFrame ``(id, idx)`` and the ids in index order (on the driver).
    """
    from pyspark import StorageLevel
    from pyspark.sql import functions as sf

    spark = events.sparkSession
    ids = (events.select(sf.col(column).alias("id")).distinct()
           .select("id", sf.spark_partition_id().alias("_p"),
                   sf.monotonically_increasing_id().alias("_m"))
           .persist(StorageLevel.MEMORY_AND_DISK))
    counts = sorted((int(r["_p"]), int(r["count"])) for r in ids.groupBy("_p").count().collect())
    starts = np.cumsum([0] + [c for _, c in counts])[:-1]
    offsets = spark.createDataFrame(
        pa.table({"_p": pa.array([p for p, _ in counts], pa.int32()),
                  "_off": pa.array(starts.astype(np.int64), pa.int64())}))
    indexed = (ids.join(sf.broadcast(offsets), "_p")
               .select("id", (sf.col("_off") + sf.col("_m")
                              - sf.shiftleft(sf.col("_p").cast("long"), 33)).cast("int")
                       .alias("idx"))
               .persist(StorageLevel.MEMORY_AND_DISK))
    table = indexed.toArrow()
    n = table.num_rows
    order = np.asarray(table.column("idx").to_numpy(), np.int64)
    if n and not np.array_equal(np.sort(order), np.arange(n)):
        raise RuntimeError(f"internal error: Spark id indexing of {column} is not consecutive")
    out = np.empty(n, dtype=object)
    out[order] = table.column("id").to_numpy(zero_copy_only=False)
    ids.unpersist()
    return indexed, out.astype(str)


ROWS = "_rows"  # ``merge_events``: the log's rows merged into each (user, film) pair


def merge_events(events: DataFrame, has_rating: bool, has_ts: bool) -> DataFrame:
    """One row per (user_id, film_id), as ``Interactions.from_columns`` merges: weights
    summed, the rating of the latest event (timestamp, then file order: files by path, not
    Spark's largest first), the first timestamp; ``ROWS``: the log's rows merged into it."""
    from pyspark.sql import functions as sf

    latest = sf.struct(sf.coalesce(sf.col(TIMESTAMP), sf.lit(-(2**63))) if has_ts else sf.lit(0),
                       *[sf.col(c) for c in ("_file", "_order") if c in events.columns])
    aggs = [sf.sum(WEIGHT).alias(WEIGHT), sf.count(sf.lit(1)).alias(ROWS)]
    if has_rating:
        aggs.append(sf.max_by(RATING, latest).alias(RATING))
    if has_ts:
        aggs.append(sf.min(TIMESTAMP).alias(TIMESTAMP))
    return events.groupBy(USER_ID, FILM_ID).agg(*aggs)


def fingerprint(merged: DataFrame, n_users: int, n_films: int, nnz: int) -> tuple[str, int]:
    """An order-independent sha256 of the merged interactions (xor of per-row xxhash64), and
    the log's rows read (``ROWS`` summed, in the same pass: meta.json's ``rows_read``). A
    weight counts to 6 decimals: a merged pair's summed weight, and the total, are float sums
    whose last bits follow how Spark partitioned them (the fingerprint changed with the
    number of cores)."""
    from pyspark.sql import functions as sf

    cols = [c for c in (USER_ID, FILM_ID, WEIGHT, RATING, TIMESTAMP) if c in merged.columns]
    micro = sf.round(sf.col(WEIGHT), 6).cast("decimal(38,6)")  # exact, and no overflow
    hashed = [micro if c == WEIGHT else sf.col(c) for c in cols]
    row = merged.agg(sf.bit_xor(sf.xxhash64(*hashed)).alias("h"),
                     sf.sum(micro).alias("w"),  # a frame without ROWS: a row per pair read
                     (sf.sum(ROWS) if ROWS in merged.columns else sf.count(sf.lit(1))).alias("n")
                     ).collect()[0]
    text = f"{n_users}:{n_films}:{nnz}:{row['h']}:{row['w']!r}:{','.join(cols)}"
    return hashlib.sha256(text.encode()).hexdigest(), int(row["n"] or 0)

