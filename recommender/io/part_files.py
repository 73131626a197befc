"""A folder of Parquet part files (a table as Spark and warehouses write it) read as one log.

Two layouts are read: part files side by side (``part-00000.parquet``, ``part-00001...``) and
Hive partitions (``date=2024-01-01/part-0.parquet``), whose ``key=value`` folders become text
columns (``date``; a ``film_id=0042`` folder's ids kept byte for byte, as Spark reads them with
its partition type inference off). Files and folders named ``_*`` or ``.*`` (``_SUCCESS``,
``.part-0.parquet.crc``) are not data, as for Spark. The parts are read in the order of their
paths (each path compared folder by folder), so the rows, the ids' order and the data's
fingerprint are the same at every read. A folder whose parts do not share one layout (some at
the top and some in partition folders, two partition keys, a folder of another name) or one
column set, or that mixes other files in, is refused naming two that differ.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from recommender.errors import DataError
from recommender.io.columns import FILM_ID, USER_ID
from recommender.io.dataset import Interactions
from recommender.io.delimited import EXPECTED_HEADER, Locator, check_unique_names, quoted
from recommender.io.log_table import build
from recommender.io.project import canonical_column

PARQUET_SUFFIXES = (".parquet", ".pq")


@dataclass(frozen=True)
class Parts:
    """The part files of ``folder`` in reading order, their partition keys (outermost first),
    each part's column names as stored and its number of rows."""

    folder: Path
    files: list[Path]
    keys: list[str]
    names: list[str]
    rows: list[int]

    def shown(self, i: int) -> str:
        """Part ``i`` as messages name it: its path in the folder."""
        return self.files[i].relative_to(self.folder).as_posix()


class PartsLocator(Locator):
    """A row of the parts read together -> ``<part>, row N: `` (N counts from 1 in the part)."""

    def __init__(self, parts: Parts) -> None:
        self.parts = parts

    def where(self, row: int) -> tuple[int | None, str]:
        ends = np.cumsum(self.parts.rows)
        i = min(int(np.searchsorted(ends, row, side="right")), len(ends) - 1)
        return None, f"{self.parts.shown(i)}, row {row - int(ends[i] - self.parts.rows[i]) + 1}: "


def _hidden(name: str) -> bool:
    return name.startswith((".", "_"))


def _files(folder: Path) -> list[Path]:
    """The files under ``folder`` that may be data, in path order (folder by folder): none
    named ``_*`` or ``.*`` or inside a model folder (one holding ``meta.json``: ``train --out
    data/model`` beside the parts)."""
    found = []
    for root, dirs, names in os.walk(folder):
        dirs[:] = [d for d in dirs if not _hidden(d) and not (Path(root, d) / "meta.json").exists()]
        found += [Path(root, n) for n in names if not _hidden(n)]
    return sorted(found, key=lambda f: f.relative_to(folder).parts)


def _partition(folder: str) -> str | None:
    """The key of a Hive partition folder's name (``date`` of ``date=2024-01-01``), or None."""
    key, eq, _ = folder.partition("=")
    return key if eq and key else None


def find_parts(folder: Path) -> Parts | None:
    """The Parquet parts of ``folder`` (see the module docstring); None when it holds no
    Parquet file; ``DataError`` when it holds them in no one layout (naming two parts that
    differ, or a file that is not a part)."""
    inside = [e for e in folder.iterdir() if not _hidden(e.name)
              and not (e / "meta.json").exists()]
    if len(inside) == 1 and inside[0].is_dir() and _partition(inside[0].name) is None:
        return find_parts(inside[0])  # the one folder an archive or a copy put it in
    files = _files(folder)
    parts = [f for f in files if f.name.lower().endswith(PARQUET_SUFFIXES)]
    if not parts:
        return None
    where = "a folder of Parquet parts (part-*.parquet, or key=value/part-*.parquet)"
    others = [f for f in files if not f.name.lower().endswith(PARQUET_SUFFIXES)]
    if others:
        raise DataError(str(folder), f"holds Parquet parts ({_rel(folder, parts[0])}) and "
                        f"other files ({_rel(folder, others[0])}); expected {where} alone: "
                        "move the other files out, or give one file as --data")
    layouts = [[_partition(d) for d in f.relative_to(folder).parts[:-1]] for f in parts]
    for f, keys in zip(parts, layouts, strict=True):
        if None in keys:
            raise DataError(str(folder), f"the part {_rel(folder, f)} is in a folder not named "
                            f"key=value; expected {where}")
        if keys != layouts[0]:
            raise DataError(str(folder), f"mixes layouts: {_rel(folder, parts[0])} is "
                            f"{_layout(layouts[0])}, {_rel(folder, f)} {_layout(keys)}; "
                            f"expected {where}, each part alike")
    names, rows = _footers(folder, parts)
    columns = [str(k) for k in layouts[0]]  # the partition keys, each a column
    both = [k for k in columns if k in names]
    if both:
        raise DataError(str(folder), f"the partition column {both[0]!r} is also a column of "
                        f"the parts ({_rel(folder, parts[0])}); expected each column once")
    return Parts(folder, parts, columns, names, rows)


def _rel(folder: Path, f: Path) -> str:
    return f.relative_to(folder).as_posix()


def _layout(keys: list[str | None]) -> str:
    return f"partitioned by {', '.join(str(k) for k in keys)}" if keys else "at the top"


def _footers(folder: Path, parts: list[Path]) -> tuple[list[str], list[int]]:
    """The parts' column names (the same in each, else ``DataError`` naming two) and rows."""
    names: list[str] = []
    rows: list[int] = []
    for i, f in enumerate(parts):
        try:
            meta = pq.ParquetFile(f).metadata
            held = list(meta.schema.to_arrow_schema().names)
        except (pa.ArrowException, OSError) as e:
            raise DataError(str(folder), f"the part {_rel(folder, f)} is not a readable "
                            f"Parquet file ({e})") from None
        if i and held != names:
            raise DataError(str(folder), f"the parts hold different columns: "
                            f"{_rel(folder, parts[0])} {quoted(names)}, {_rel(folder, f)} "
                            f"{quoted(held)}; expected the same columns in every part")
        names, rows = held, [*rows, meta.num_rows]
    return names, rows


def read_parts(parts: Parts, columns: dict[str, str]) -> dict[str, pa.ChunkedArray]:
    """The ``columns`` (canonical name -> name as stored, a file's or a partition key) of
    every part, in order, as one table's columns; partition values as text."""
    import pyarrow.dataset as ds

    scheme = (ds.partitioning(pa.schema([(k, pa.string()) for k in parts.keys]),
                              flavor="hive") if parts.keys else None)
    try:
        data = ds.dataset([str(f) for f in parts.files], format="parquet",
                          partitioning=scheme, partition_base_dir=str(parts.folder))
        table = data.to_table(columns=list(columns.values()), use_threads=True)
    except (pa.ArrowException, OSError) as e:
        raise DataError(str(parts.folder), f"could not read the Parquet parts ({e}){_differ(parts)}"
                        f"; expected parts with columns {EXPECTED_HEADER} of one type each"
                        ) from None
    return {c: table.column(n) for c, n in columns.items()}


def _differ(parts: Parts) -> str:
    """Two parts that store a column in two types, as words (error path only), or ""."""
    first = pq.read_schema(parts.files[0])
    for i, f in enumerate(parts.files[1:], 1):
        schema = pq.read_schema(f)
        for field in schema:
            other = first.field(field.name).type
            if other != field.type:
                return (f": the column {field.name!r} is {other} in {parts.shown(0)} and "
                        f"{field.type} in {parts.shown(i)}")
    return ""


def parts_columns(p: Path) -> list[str]:
    """``log_columns`` of a folder of Parquet parts: the parts' and the partition keys."""
    try:
        parts = find_parts(p)
    except DataError:
        return []
    return [] if parts is None else parts.names + parts.keys


def load_parts(parts: Parts) -> Interactions:
    """The interactions of a folder of Parquet parts (``part_files``), the columns matched
    by name as a Parquet file's; a problem names the part and its row (from 1)."""
    names = parts.names + parts.keys
    canon = [canonical_column(n) for n in names]
    check_unique_names(parts.folder, names, [c or f"_{i}" for i, c in enumerate(canon)],
                       line=None)
    missing = [c for c in (USER_ID, FILM_ID) if c not in canon]
    if missing:
        raise DataError(str(parts.folder), f"missing required column"
                        f"{'s' if len(missing) > 1 else ''} {' and '.join(missing)}; expected "
                        f"columns {EXPECTED_HEADER} in the parts (or as partition folders); "
                        f"found columns {quoted(names)}")
    pick = {c: n for n, c in zip(names, canon, strict=True) if c is not None}
    return build(parts.folder, read_parts(parts, pick), PartsLocator(parts), None)
