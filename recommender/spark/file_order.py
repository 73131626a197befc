"""The order of a log's files as Spark reads them: by path, whatever their sizes.

Spark packs a folder's files into tasks largest first, so a row id
(``monotonically_increasing_id``) put a small last part's rows before a large first part's:
the "latest" rating of a pair's events without a later time followed the files' sizes.
``with_file_order`` adds ``_file``, the rank of each row's file among the DataFrame's
``inputFiles()`` sorted by path, by a broadcast join on ``input_file_name()`` in the reading
stage, so that only a small integer, not the path, travels with the row to the merge.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa

if TYPE_CHECKING:
    from pyspark.sql import DataFrame


def with_file_order(events: DataFrame, files: list[str]) -> DataFrame:
    """``events`` with ``_order`` (its row id) and ``_file`` (int: the rank of its file among
    ``files`` sorted), for ``reading.merge_events``; a log of one file gets no ``_file`` (its
    row ids are its order)."""
    from pyspark.sql import functions as sf

    events = events.withColumn("_order", sf.monotonically_increasing_id())
    if len(files) < 2:
        return events
    paths = sorted(files)
    ranks = events.sparkSession.createDataFrame(pa.table({
        "_path": pa.array(paths, pa.string()),
        "_file": pa.array(np.arange(len(paths), dtype=np.int32))}))
    return (events.withColumn("_path", sf.input_file_name())
            .join(sf.broadcast(ranks), "_path", "left").drop("_path"))
