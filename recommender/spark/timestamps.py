"""Timestamps on Spark, read into whole unix seconds as the local reader reads them.

As ``recommender.io.convert`` does: Parquet in nanoseconds, decimals, text in the local
grammar (unix seconds or ISO 8601), whole-column checks; whatever the session's time zone."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from recommender.errors import DataError
from recommender.io.columns import TIMESTAMP
from recommender.io.convert import MAX_TIMESTAMP, TIME_SEPARATOR, UTC_DESIGNATOR
from recommender.io.iso_forms import ISO_TIMES
from recommender.spark.parquet_parts import parquet_parts, part_schema, refuse_mixed_columns

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame, DataFrameReader, SparkSession


_TS_EXPECTED = f"expected unix seconds or {ISO_TIMES}"


def _quoted(name: str) -> str:
    """A column name for Spark SQL text."""
    return "`" + name.replace("`", "``") + "`"


#: Spark's switch that reads a Parquet timestamp in nanoseconds as its long (by default Spark 4
#: refuses the file: "[PARQUET_TYPE_ILLEGAL] INT64 (TIMESTAMP(NANOS,...))")
_NANOS_AS_LONG = "spark.sql.legacy.parquet.nanosAsLong"
#: Spark's switch that reads partition folder values as numbers or dates when they look so: a
#: log partitioned by film_id (``film_id=0042/``) had its ids read as 42, and 0042 and 042 merged
_NO_PARTITION_TYPES = "spark.sql.sources.partitionColumnTypeInference.enabled"


def _read_parquet(spark: SparkSession, path: str) -> tuple[DataFrame, bool]:
    """Parquet at ``path``, and whether nanosecond timestamps (pandas' default unit) were
    read as their longs: Spark refuses them, so a file holding one (in any column, read or
    not) is read with ``_NANOS_AS_LONG`` on. Local files are looked at with pyarrow first; a
    URI is read as it is first, and again when Spark refuses it for such a column. The
    switch is needed while Spark reads the schema only; it is restored at once. Partition
    folders (``film_id=0042/``) are read as text, ids byte for byte (``_NO_PARTITION_TYPES``)."""
    from recommender.spark import reading  # its is_uri, as patched in tests of URIs

    uri = reading.is_uri(path)
    if not uri:  # Spark takes one file's columns for every file of a folder
        refuse_mixed_columns(reading.local_path(path), path)
    with _conf(spark, _NO_PARTITION_TYPES, "false"):
        if not uri and not _local_nanos(reading.local_path(path)):
            return spark.read.parquet(reading.spark_path(path)), False
        if uri:
            try:
                return spark.read.parquet(reading.spark_path(path)), False
            except Exception as e:
                text = str(e)
                if "PARQUET_TYPE_ILLEGAL" not in text or "TIMESTAMP(NANOS" not in text:
                    raise
        with _conf(spark, _NANOS_AS_LONG, "true"):
            return spark.read.parquet(reading.spark_path(path)), True


def _read_csv(spark: SparkSession, reader: DataFrameReader, path: str) -> DataFrame:
    """``reader.csv(path)`` with partition folders read as text, as ``_read_parquet`` reads
    them: a CSV folder partitioned by film_id (``film_id=0042/``) had its ids read as 42."""
    with _conf(spark, _NO_PARTITION_TYPES, "false"):
        return reader.csv(path)


@contextmanager
def _conf(spark: SparkSession, key: str, value: str) -> Iterator[None]:
    """The session's ``key`` set to ``value`` while the block runs, then as it was."""
    previous = spark.conf.get(key, None)
    spark.conf.set(key, value)
    try:
        yield
    finally:
        if previous is None:
            spark.conf.unset(key)
        else:
            spark.conf.set(key, previous)


def _local_nanos(path: Path) -> bool:
    """Whether a local Parquet file, or a file of a Parquet folder (those Spark reads: not
    named ``_*`` or ``.*``), holds a column of nanosecond timestamps (any column: Spark refuses
    the file for one it does not read too). A file pyarrow cannot read is left to Spark."""
    files = [path] if path.is_file() else parquet_parts(path)
    for file in files:
        if (schema := part_schema(file)) is None:
            continue
        if any(pa.types.is_timestamp(f.type) and f.type.unit == "ns" for f in schema):
            return True
    return False


def _nanos_columns(spark: SparkSession, raw: DataFrame, path: str, columns: list[str]
                   ) -> set[str]:
    """Which of ``columns`` (read with ``_NANOS_AS_LONG``) hold nanosecond timestamps, from
    the footer of every file read: Spark takes the schema from one file, so a column stored
    as nanoseconds in one file and as plain integers (or another unit) in another would be
    read as nanoseconds in both; such files are refused, naming two that differ."""
    from pyspark.sql import types as st

    sc = spark.sparkContext
    jvm, conf = sc._jvm, sc._jsc.hadoopConfiguration()
    assert jvm is not None
    longs = {f.name for f in raw.schema.fields if isinstance(f.dataType, st.LongType)}
    wanted = {c.lower(): c for c in columns}
    seen: dict[str, tuple[str, str]] = {}  # column -> (a file, how it stores the column)
    nanos: set[str] = set()
    for name in raw.inputFiles():
        file = jvm.org.apache.parquet.hadoop.util.HadoopInputFile.fromPath(
            jvm.org.apache.hadoop.fs.Path(jvm.java.net.URI(name)), conf)
        reader = jvm.org.apache.parquet.hadoop.ParquetFileReader.open(file)
        try:
            schema = reader.getFooter().getFileMetaData().getSchema()
        finally:
            reader.close()
        for field in schema.getFields():
            column = wanted.get(str(field.getName()).lower())
            if column is None:
                continue
            note = field.getLogicalTypeAnnotation()
            kind = (str(field.asPrimitiveType().getPrimitiveTypeName().toString())
                    if field.isPrimitive() else "a group")
            stored = kind + ("" if note is None else f" {note.toString()}")
            other, before = seen.setdefault(column, (name, stored))
            if ("TIMESTAMP(NANOS" in stored) != ("TIMESTAMP(NANOS" in before):
                raise DataError(path, f"{other} stores column {column!r} as {before}, "
                                f"{name} as {stored}; write every file with one type "
                                "(pandas: to_parquet(..., coerce_timestamps='us'))")
            if "TIMESTAMP(NANOS" in stored and column in longs:
                nanos.add(column)
    return nanos


@dataclass
class _Time:
    """The timestamp column parsed: ``events`` (the raw rows) with a column ``__ts``,
    ``struct(s, f)``: unix seconds (long, floored; null where unreadable) and the form of the
    value (0 a number, 1 a time: ISO 8601 text or a Parquet time or date)."""

    events: DataFrame
    kind: str  # "text", "number", "time" (a Parquet timestamp type) or "date"


def _with_time(raw: DataFrame, seconds: Column, form: int) -> DataFrame:
    from pyspark.sql import functions as sf

    with_seconds = raw.withColumn("__ts_s", seconds.cast("long"))
    return with_seconds.withColumn("__ts", sf.struct(
        sf.col("__ts_s").alias("s"), sf.when(sf.col("__ts_s").isNotNull(), form).alias("f")))


#: what the local reader takes as text (pyarrow's casts; ``recommender.io.convert``), once
#: stripped of surrounding ASCII whitespace: a decimal number (no hexadecimal, no "1.5d", no
#: infinity), or an ISO 8601 date with an optional time of day (hour, minutes, seconds, a
#: fraction of up to nine digits) and, after a time, an optional zone (Z, +hh, +hhmm, +hh:mm)
_SPACE = r"[ \t\n\x0B\f\r]*"
# \z, not $: Java's $ also matches before a line end that ends the text ("16\u2028")
_NUMBER = rf"^{_SPACE}[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?{_SPACE}\z"
_INTEGER = rf"^{_SPACE}-?[0-9]+{_SPACE}\z"
# "t" and "z" too (RFC 3339 allows either case), as the local reader takes them (rfc3339_upper)
_ISO = (rf"^{_SPACE}([0-9]{{4}})-([0-9]{{2}})-([0-9]{{2}})(?:{TIME_SEPARATOR}([0-9]{{2}})"
        r"(?::([0-9]{2})(?::([0-9]{2})(?:\.[0-9]{1,9})?)?)?"
        rf"(?:{UTC_DESIGNATOR}|([+-])([0-9]{{2}})(?::?([0-9]{{2}}))?)?)?{_SPACE}\z")
#: 400 Gregorian years in seconds: a date is built 400 years later (the same calendar) and
#: moved back, since Spark builds no date in the year 0 that ISO 8601 (and pyarrow) allow
_CYCLE = 146_097 * 86_400


def _floor_div(sql: str, n: int) -> Column:
    from pyspark.sql import functions as sf

    return sf.expr(f"(({sql}) - pmod(({sql}), {n}L)) div {n}L")


def _text_seconds(raw: DataFrame, text: Column) -> DataFrame:
    """``raw`` with ``__ts`` (see ``_Time``) from timestamps written as text, read as the
    local reader reads them: a number floored, an ISO time at its offset (naive ones as UTC,
    whatever Spark's session time zone), fractions floored (before 1970 too: 23:59:59.5 is
    -1); null where the text is neither. Spark's casts run only on text the patterns accept
    (a cast that fails is slow: it throws), surrounding spaces are the casts' to drop, and
    each step is a column of its own, so that Spark evaluates it once a row."""
    from pyspark.sql import functions as sf

    def c(name: str) -> Column:
        return sf.col(f"__ts_{name}")

    late = sf.lit(float(MAX_TIMESTAMP + 1))
    df = raw.withColumn("__ts_number", text.rlike(_NUMBER))
    df = df.withColumn("__ts_exact",  # an integer exactly, as pyarrow's cast reads it
                       sf.when(c("number") & text.rlike(_INTEGER), text).try_cast("long"))
    df = df.select(
        "*",
        sf.when(c("number") & c("exact").isNull(), text).try_cast("double").alias("__ts_double"),
        # the parts of an ISO time in one match: year,month,day,hour,minute,second,sign,hh,mm
        # (text that does not match comes back as it was, and a time holds no comma)
        sf.regexp_replace(sf.when(~c("number"), text), _ISO, "$1,$2,$3,$4,$5,$6,$7,$8,$9")
        .alias("__ts_iso"))
    df = df.withColumn("__ts_parts", sf.when(c("iso") != text, sf.split(c("iso"), ",")))
    names = ("year", "month", "day", "hour", "minute", "second", "sign", "zone_h", "zone_m")
    parts = [c("parts").getItem(i) for i in range(len(names))]
    df = df.select("*", *[
        (p if name == "sign" else sf.when(p != "", p).otherwise("0").try_cast("int"))
        .alias(f"__ts_{name}") for name, p in zip(names, parts, strict=True)])
    built = sf.try_make_timestamp(c("year") + 400, c("month"), c("day"), c("hour"),
                                  c("minute"), c("second"), sf.lit("UTC"))
    shift = (c("zone_h") * 3600 + c("zone_m") * 60) * sf.when(c("sign") == "-", -1).otherwise(1)
    dbl = c("double")
    number = sf.coalesce(c("exact"), sf.when(~sf.isnan(dbl) & (dbl >= -(2.0**63))
                                             & (dbl < float("inf")),
                                             sf.floor(sf.least(dbl, late))))
    iso = sf.when(c("parts").isNotNull() & (c("second") < 60) & (c("zone_h") < 24)
                  & (c("zone_m") < 60), sf.unix_seconds(built) - sf.lit(_CYCLE) - shift)
    df = df.withColumn("__ts_s", sf.when(c("number"), number).otherwise(iso).cast("long"))
    df = df.withColumn("__ts", sf.struct(
        c("s").alias("s"),
        sf.when(c("s").isNotNull(), sf.when(c("number"), 0).otherwise(1)).alias("f")))
    return df


def _seconds(raw: DataFrame, name: str, dtype: Any, nanos: bool, path: str) -> _Time:
    """The timestamp column ``name`` of Spark type ``dtype`` as unix seconds, as the local
    reader has them (``recommender.io.convert.timestamp_column``)."""
    from pyspark.sql import functions as sf
    from pyspark.sql import types as st

    c, q = sf.col(_quoted(name)), _quoted(name)
    if nanos:  # a Parquet timestamp in nanoseconds, read as its long
        return _Time(_with_time(raw, _floor_div(q, 10**9), 1), "time")
    if isinstance(dtype, st.TimestampType):  # an instant: tz-free
        return _Time(_with_time(raw, _floor_div(f"unix_micros({q})", 10**6), 1), "time")
    if isinstance(dtype, st.TimestampNTZType):  # wall-clock fields, read as UTC
        text = raw.withColumn("__ts_text", c.cast("string"))
        return _Time(_text_seconds(text, sf.col("__ts_text")), "time")
    if isinstance(dtype, st.DateType):
        return _Time(_with_time(raw, sf.unix_date(c).cast("long") * 86_400, 1), "date")
    if isinstance(dtype, st.ByteType | st.ShortType | st.IntegerType | st.LongType):
        return _Time(_with_time(raw, c, 0), "number")
    if isinstance(dtype, st.DecimalType):  # floored exactly (a double rounds 0.9999999999 up)
        f = sf.floor(c)
        return _Time(_with_time(raw, sf.when(f >= sf.lit(-(2**63)),
                                             sf.least(f, sf.lit(MAX_TIMESTAMP + 1))), 0),
                     "number")
    if isinstance(dtype, st.FloatType | st.DoubleType):
        # a number that is no time (NaN, an infinity, or below what a long holds) is a bad
        # timestamp, as the local reader has it: NaN was floored to 0 (1970-01-01) without a
        # word, and an infinity overflowed the cast ("ARITHMETIC_OVERFLOW"); a number past
        # MAX_TIMESTAMP stays past it, for the late-timestamp check
        v = c.cast("double")
        return _Time(_with_time(raw, sf.when(
            ~sf.isnan(v) & (v >= -(2.0**63)) & (v < float("inf")),
            sf.floor(sf.least(v, sf.lit(float(MAX_TIMESTAMP + 1))))), 0), "number")
    if isinstance(dtype, st.StringType):
        return _Time(_text_seconds(raw, c), "text")
    raise DataError(path, f"column {name!r} has type {dtype.simpleString()}; expected unix "
                    f"seconds or {ISO_TIMES}")


def _check_time_column(events: DataFrame, path: str, row: Any, time: _Time) -> None:
    """The local reader's checks of a whole timestamp column (``recommender.io.convert``):
    one form (numbers or times, not both), not every value a date written YYYYMMDD, and a
    timestamp type or ISO 8601 text whose every time falls in January 1970."""
    from pyspark.sql import functions as sf

    def example(form: int) -> str:
        got = events.filter(sf.col("_ts_form") == form).select(f"_raw_{TIMESTAMP}").limit(1)
        return repr(got.collect()[0][0])

    if row["_numbers"] and row["_times"]:
        raise DataError(path, f"the timestamp column mixes forms: {row['_numbers']:,} "
                        f"row{'s' if row['_numbers'] > 1 else ''} written as unix seconds "
                        f"(e.g. {example(0)}), {row['_times']:,} as ISO 8601 times (e.g. "
                        f"{example(1)}); a column holds one form: {_TS_EXPECTED}")
    low, high = int(row["_min"]), int(row["_max"])
    if low >= 19000101 and high <= 21001231 and not row["_not_dates"]:
        raise DataError(path, f"timestamp {low} looks like a date written YYYYMMDD (as unix "
                        "seconds, every timestamp falls in August 1970); write dates as "
                        "2020-01-31 (ISO 8601's extended form), or unix seconds")
    # a timestamp type, or ISO 8601 text (such times written out by to_csv), as locally
    written = time.kind == "text" and row["_times"] and not row["_numbers"]
    if (time.kind == "time" or written) and low >= 0 and high < 31 * 86_400:
        how = ("turned into times as a finer unit, then written as text" if written
               else "stored as a finer unit")
        raise DataError(path, "every timestamp falls in January 1970, so they look like unix "
                        f"seconds or milliseconds {how} (pandas' to_datetime of numbers "
                        "without unit='s' reads them as nanoseconds); "
                        f"{'write' if written else 'store'} the times themselves, or unix "
                        "seconds as numbers")
