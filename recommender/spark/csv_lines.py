"""What Spark is asked about the lines of a CSV log beside reading it: line ends, width, blanks.

A URI's line end for Spark's multi-line reader (``uri_line_sep``), a header past the columns
Spark's CSV reader takes (``refuse_wide_header``), and a URI's lines of blanks alone
(``refuse_blank_lines``: a local file's are found by ``checks.spark_csv_scan``). Each asks
Spark (or Hadoop's file system, for a file's first line): no file is read on the driver.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import unquote

from recommender.errors import DataError

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

EXPECTED = "user_id,film_id[,rating][,weight][,timestamp]"
#: the columns Spark's CSV reader takes (its ``maxColumns`` option's default); a header past
#: it failed as "a malformed CSV record ... its fields differ in number from the header's"
MAX_COLUMNS = 20_480
HEAD_LIMIT = 1 << 20  # bytes of a URI's file read for its first line end
#: a line of bytes up to a space, none a line break (``checks._BlankLines``), in Java's regex
_BLANK_LINE = r"^[\x00-\x09\x0B\x0C\x0E-\x20]+$"


class NoLineEndError(DataError):
    """A URI's file without a line end in its first ``HEAD_LIMIT`` bytes (``uri_line_sep``)."""


class WideHeaderError(DataError):
    """A CSV header past ``MAX_COLUMNS`` (``refuse_wide_header``): no other reader reads it."""


def quote_left_open(name: str, head: bytes, whole: bool, sep: str) -> NoLineEndError | None:
    """``NoLineEndError`` at line 1 of the file ``name`` when ``head`` (its first bytes, all
    of it when ``whole``), which holds no line end outside quotes, holds a line break that a
    quoted field of line 1 (fields split at ``sep``) leaves open: the local reader's words,
    "is a quote left open". None when ``head`` holds no line break (its first line is that
    long), when no field of line 1 is left open by CSV rules (``5"`` is a quote as written,
    as Spark and the local reader read it) or, ``whole``, its quotes all close (a header
    spanning lines)."""
    breaks = head.count(b"\n") + head.count(b"\r") - head.count(b"\r\n")
    if not breaks or (whole and head.count(b'"') % 2 == 0):
        return None
    first = min(i for i in (head.find(b"\n"), head.find(b"\r")) if i >= 0)
    if (opened := _open_quote(head[:first], sep.encode())) is None:
        return None
    where = (f"to the end of the file, over its {breaks:,} line break{'s' * (breaks > 1)}"
             if whole else f"over the {breaks:,} line break{'s' * (breaks > 1)} of its first "
             f"{HEAD_LIMIT:,} bytes (1 MiB)")
    return NoLineEndError(shown(name), f"a quote left open (byte {opened + 1:,} of the line) "
                          f"runs {where}: no record ends (is a quote left open, or is this not "
                          "a delimited text file?)", line=1)


def _open_quote(line: bytes, sep: bytes) -> int | None:
    """The 0-based byte of ``line`` whose quote opens a field left open at its end, by CSV
    rules (a quote opens a field only at its start; ``""`` inside one is a quote), else None.
    A step per field of one line, on the error path only."""
    at = 0
    while True:
        if line.startswith(b'"', at):
            start, at = at, at + 1
            while (at := line.find(b'"', at)) >= 0 and line.startswith(b'"', at + 1):
                at += 2  # a doubled quote inside the field
            if at < 0:
                return start
        if (at := line.find(sep, at)) < 0:
            return None
        at += len(sep)


def uri_line_sep(spark: SparkSession, path: str) -> str:
    """The first line end outside quotes of each file Spark reads at the URI ``path`` (read
    through Hadoop's file system and compression codecs, up to that line end), for Spark's
    multi-line reader; files that disagree are refused (``read_source`` then names the line
    reader's error), a file without one in its first MiB too (``NoLineEndError``; told as a
    quote left open on line 1 where a line break lies inside it, ``quote_left_open``)."""
    from recommender.io.line_ends import first_line_end, line_end_name
    from recommender.spark.checks import csv_sep

    sep = csv_sep(path)
    sc = spark.sparkContext
    jvm, conf = sc._jvm, sc._jsc.hadoopConfiguration()
    assert jvm is not None
    codecs = jvm.org.apache.hadoop.io.compress.CompressionCodecFactory(conf)
    seen: dict[str, str] = {}
    for name in spark.read.text(path).inputFiles():
        file = jvm.org.apache.hadoop.fs.Path(jvm.java.net.URI(name))
        codec = codecs.getCodec(file)
        source = stream = file.getFileSystem(conf).open(file)
        try:
            if codec is not None:
                source = codec.createInputStream(stream)
            head, end = b"", None
            while block := bytes(source.readNBytes(1 << 16)):
                head += block
                if head.endswith(b"\r"):
                    continue  # the LF of a CRLF may follow
                if (end := first_line_end(head)) is not None:
                    break
                if len(head) >= HEAD_LIMIT:
                    raise quote_left_open(name, head, False, sep) or NoLineEndError(
                        shown(name), f"its first line is longer than {HEAD_LIMIT:,} bytes "
                        "(1 MiB): no line end was found there")
            else:
                if (end := first_line_end(head)) is None and (
                        open_quote := quote_left_open(name, head, True, sep)):
                    raise open_quote
        finally:
            source.close()  # and the file under it
        if end is None:
            continue  # a single line: any line end reads it
        for other, other_end in seen.items():
            if other_end != end:
                raise DataError(path, f"{shown(name)} ends its lines in {line_end_name(end)}, "
                                f"{shown(other)} in {line_end_name(other_end)}; a quoted field "
                                "holds a line break, and Spark's multi-line CSV reader, which such "
                                "files need, reads one kind of line end: convert the line ends "
                                "to one kind, or the files to Parquet")
        seen[name] = end
    return next(iter(seen.values()), "\n")


def shown(name: str) -> str:
    """A file's URI as Spark lists it (``inputFiles``, ``_metadata.file_path``: percent-encoded,
    ``with%20space``) as a person names it (Hadoop's ``Path``: ``with space``)."""
    return unquote(name)


def after_no_line_end(error: NoLineEndError, first: DataError) -> DataError:
    """``error`` (the multi-line reader's retry could not start) with what Spark's line reader
    found first (``first``), which a quoted field holding a line break may have caused."""
    return DataError(error.path, f"{error.reason}; Spark's line reader found: {first.reason}, "
                     "and its multi-line reader (which a quoted field holding a line break "
                     "needs) takes the line end from the first line, read on the driver up "
                     f"to 1 MiB; expected CSV with a header, with columns {EXPECTED} (is it a "
                     "CSV log? its line ends?), or convert it to Parquet", line=error.line)


def refuse_wide_header(spark: SparkSession, path: str, read_as: str, sep: str) -> None:
    """``DataError`` naming the CSV at ``path`` (read by Spark as ``read_as``) and its header's
    number of fields by ``sep`` when it is past ``MAX_COLUMNS``; called once Spark failed to
    read it (nothing is asked of a file Spark reads). Counted by Spark, the first line only
    (fields split at each ``sep``, quotes ignored)."""
    from pyspark.sql import functions as sf

    try:
        row = (spark.read.text(read_as).limit(1)
               .select(sf.size(sf.split("value", sep)))  # "," or a tab: no regex
               .collect())
    except Exception:  # noqa: BLE001 - the reader's own failure is said
        return
    n = int(row[0][0]) if row else 0
    if n > MAX_COLUMNS:
        named = "tab" if sep == "\t" else repr(sep)
        raise WideHeaderError(path, f"its header has {n:,} fields split at each {named}, past the "
                        f"{MAX_COLUMNS:,} columns Spark's CSV reader takes; a log has a few "
                        f"columns ({EXPECTED}): a header this wide likely means a wrong "
                        "delimiter or line end (a .csv file is read split at commas, a .tsv "
                        "file at tabs), or a table that is not a log (a column per film)")


def refuse_blank_lines(spark: SparkSession, read_as: str) -> None:
    """``DataError`` at the first line of blanks alone outside quotes of the CSV files Spark
    reads as ``read_as`` (a URI), naming its file and line, as ``checks.spark_csv_scan`` refuses
    a local file's: Spark's CSV reader skips such a line without a word. Lines as Spark's text
    reader splits them (LF, CRLF, a CR alone, as the local reader counts them), ordered by
    file, split and place in the split; a line is inside quotes when the lines of its file
    before it hold an odd number of quotes. Asked before the CSV reader reads the files (its
    multi-line reader reads such a line as a row: "empty film_id"). One pass counts each
    file's lines of blanks; only where there is one are the lines holding one or an odd
    number of quotes ordered."""
    from pyspark.sql import Window
    from pyspark.sql import functions as sf

    value = sf.col("value")
    quotes = sf.length(value) - sf.length(sf.replace(value, sf.lit('"'), sf.lit("")))
    try:
        lines = spark.read.text(read_as).select(
            sf.col("_metadata.file_path").alias("f"),
            sf.col("_metadata.file_block_start").alias("b"),
            sf.monotonically_increasing_id().alias("m"),
            value.rlike(_BLANK_LINE).alias("blank"), (quotes % 2 == 1).alias("odd"))
        if not lines.agg(sf.max(sf.col("blank").cast("int"))).collect()[0][0]:
            return  # no file holds one (or none holds a line)
    except Exception:  # noqa: BLE001 - no such path, ...: the CSV reader's failure is said
        return
    marked = lines.filter("blank or odd")
    before = Window.partitionBy("f").orderBy("b", "m").rowsBetween(
        Window.unboundedPreceding, -1)
    parity = sf.coalesce(sf.sum(sf.col("odd").cast("int")).over(before), sf.lit(0)) % 2
    first = (marked.withColumn("p", parity).filter("blank and p = 0")
             .orderBy("f", "b", "m").limit(1).collect())
    if not first:
        return  # every one inside a quoted field
    f, b, m = first[0]["f"], first[0]["b"], first[0]["m"]
    at = ((sf.col("f") == f) & ((sf.col("b") < b) | ((sf.col("b") == b) & (sf.col("m") < m))))
    line = lines.filter(at).count() + 1
    raise DataError(shown(f), "a line of blanks alone (no data): delete it (the local reader "
                    "refuses it; Spark's CSV reader would skip it without a word)", line=line)
