"""The batch audiences' folder: film ids that fit its names, what it may replace, read back.

``scoring._write_partitioned`` writes the rows partitioned by film and the export's context
(``CONTEXT_FILE``) beside them; a film id whose partition folder name would be too long, or
be read back as a null, is refused before Spark starts, and so is an ``--out`` that holds
something Spark did not write.
"""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from recommender.errors import InvalidParameterError
from recommender.io.columns import AUDIENCE_COLUMNS, FILM_ID, RANK
from recommender.model.model import Model
from recommender.query.export import AUDIENCE_SCHEMA
from recommender.spark.reading import is_uri, local_path

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


#: the export's context (``query.export.audiences_context``) in its folder: Spark's and
#: pyarrow's dataset readers skip files whose name starts with ``_``
CONTEXT_FILE = "_recommender.json"


def refuse_to_replace(out: str) -> None:
    """Refuse a local ``out`` that holds something Spark did not write (a file, a folder
    without ``_SUCCESS``), named as given."""
    dest = None if is_uri(out) else local_path(out)
    if dest is not None and dest.exists() and not (dest.is_dir() and (
            (dest / "_SUCCESS").exists() or not any(dest.iterdir()))):
        _refuse(out, dest.is_dir())


def _refuse(out: str, folder: bool) -> None:
    what = "a folder Spark did not write" if folder else "a file (a local export?)"
    raise InvalidParameterError(
        f"{out}: {what} is there, refusing to overwrite it: --engine spark writes a "
        "folder and replaces only one it wrote; remove it or give another --out")


def _refuse_to_replace_uri(spark: SparkSession, out: str) -> None:
    """``refuse_to_replace`` for a URI, through Hadoop's file system: Spark's overwrite
    deleted whatever was there (a folder of other files, a file) before writing the rows."""
    jvm: Any = spark.sparkContext._jvm
    path = jvm.org.apache.hadoop.fs.Path(out)
    system = path.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())
    if not system.exists(path):
        return
    folder = system.getFileStatus(path).isDirectory()
    if not folder or not (system.exists(jvm.org.apache.hadoop.fs.Path(path, "_SUCCESS"))
                          or len(system.listStatus(path)) == 0):
        _refuse(out, folder)


def put_text(spark: SparkSession, uri: str, text: str) -> None:
    """Write ``text`` (UTF-8) to ``uri`` through Hadoop's file system (hdfs://, s3a://...)."""
    jvm = spark.sparkContext._jvm
    assert jvm is not None
    path = jvm.org.apache.hadoop.fs.Path(uri)
    stream = path.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration()).create(path, True)
    try:
        stream.write(bytearray(text.encode("utf-8")))
    finally:
        stream.close()


#: the most bytes of a folder name (ext4, xfs, APFS...): ``film_id=<escaped id>``
MAX_NAME_BYTES = 255
#: the partition folder value of a null (Hive's, Spark's and pyarrow's)
HIVE_NULL = "__HIVE_DEFAULT_PARTITION__"
_ESCAPED = set('"#%\'*/:=?\\\x7f{[]^') | {chr(c) for c in range(1, 32)}


def _partition_names_fit(model: Model, films: NDArray[np.int64]) -> None:
    """Refuse, before Spark starts, a film whose partition folder name (``film_id=`` and the
    id as Hive escapes it: ``%XX`` for each character of ``_ESCAPED``) would pass
    ``MAX_NAME_BYTES``: Spark's write failed on it midway (the local export writes it); and
    the film id ``HIVE_NULL``, the name Hive gives a null partition value (written as is,
    it read back as a null film_id, in ``read_audiences``, pyarrow and Spark alike)."""
    for fid in map(str, model.films.ids[films]):
        if fid == HIVE_NULL:
            raise InvalidParameterError(
                f"film_id {fid!r} is the folder name Hive gives a null partition value: "
                "its rows would read back with a null film_id; export it with the local "
                "engine (no --engine spark), which writes one file")
        size = len(f"{FILM_ID}=".encode()) + sum(
            3 if c in _ESCAPED else len(c.encode("utf-8")) for c in fid)
        if size > MAX_NAME_BYTES:
            raise InvalidParameterError(
                f"film_id {fid[:40]!r}... makes a {size}-byte partition folder name, past the "
                f"file system's {MAX_NAME_BYTES}: export it with the local engine (no "
                "--engine spark), which writes one file")


def read_audiences(path: str | os.PathLike[str]) -> pa.Table:
    """Read a ``batch_audiences_spark`` output back as one table with the export columns
    (``film_id`` from the partition folders, kept a string), sorted by film_id and rank; its
    context (``read_audiences_context``) is its schema metadata ``recommender``, as a local
    Parquet export's."""
    import pyarrow.dataset as ds

    from recommender.query.export import context_metadata

    part = ds.partitioning(pa.schema([(FILM_ID, pa.string())]), flavor="hive")
    table = ds.dataset(str(path), format="parquet", partitioning=part).to_table()
    table = table.select(list(AUDIENCE_COLUMNS)).cast(AUDIENCE_SCHEMA)  # nullable, as locally
    context = read_audiences_context(path)
    if context is not None:
        table = table.replace_schema_metadata(context_metadata(context))
    return table.sort_by([(FILM_ID, "ascending"), (RANK, "ascending")])


def read_audiences_context(path: str | os.PathLike[str]) -> dict[str, Any] | None:
    """The context a ``batch_audiences_spark`` output keeps in ``CONTEXT_FILE`` (the model
    version, store events, parameters, films with nothing fitted...); None without one (an
    export written before it had one)."""
    from pyarrow import fs

    where = str(path)
    if not is_uri(where):
        file = local_path(where) / CONTEXT_FILE
        return json.loads(file.read_text("utf-8")) if file.is_file() else None
    system, base = fs.FileSystem.from_uri(where)
    try:
        with system.open_input_stream(f"{base.rstrip('/')}/{CONTEXT_FILE}") as stream:
            return json.loads(stream.read().decode("utf-8"))
    except FileNotFoundError:
        return None
