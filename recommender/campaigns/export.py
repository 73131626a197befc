"""Plan rows written out: a CSV or Parquet file (atomically) and CSV bytes for streaming.

Both render through pyarrow's CSV writer with the same options, so a plan downloaded from
``GET /campaigns/{plan_id}/plan.csv`` has the bytes of ``recommender plan --out PLAN.csv``.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterable, Iterator

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from recommender.campaigns.plan import PLAN_SCHEMA
from recommender.errors import InvalidParameterError
from recommender.io.atomic import atomic_file
from recommender.io.csvsafe import safe_table


def plan_format(path: str | os.PathLike[str]) -> str:
    """``csv`` or ``parquet`` from the file's suffix; anything else is bad input."""
    name = os.fspath(path).lower()
    for fmt in ("csv", "parquet"):
        if name.endswith("." + fmt):
            return fmt
    raise InvalidParameterError(f"{os.fspath(path)}: the plan must end in .csv or .parquet")


def _options(header: bool) -> pacsv.WriteOptions:
    try:
        return pacsv.WriteOptions(include_header=header, quoting_header="none")
    except TypeError:  # pyarrow < 21 has no header quoting option
        return pacsv.WriteOptions(include_header=header)


def csv_chunks(tables: Iterable[pa.Table]) -> Iterator[bytes]:
    """CSV bytes of ``tables`` (``PLAN_SCHEMA``): the header, then each table's rows."""
    first = True
    for table in tables:
        buf = io.BytesIO()
        pacsv.write_csv(safe_table(table), buf, _options(first))  # formula-safe text cells
        first = False
        yield buf.getvalue()
    if first:  # no rows at all: the header alone
        buf = io.BytesIO()
        pacsv.write_csv(PLAN_SCHEMA.empty_table(), buf, _options(True))
        yield buf.getvalue()


def write_plan(rows: pa.Table, path: str | os.PathLike[str]) -> int:
    """Write the plan's rows to ``path`` (CSV or Parquet by suffix), atomically; returns the
    number of rows."""
    fmt = plan_format(path)
    with atomic_file(path) as tmp:
        if fmt == "parquet":
            pq.write_table(rows, tmp)
        else:
            with open(tmp, "wb") as f:
                for chunk in csv_chunks(pa.Table.from_batches([b], schema=PLAN_SCHEMA)
                                        for b in rows.to_batches(max_chunksize=65536)):
                    f.write(chunk)
    return rows.num_rows
