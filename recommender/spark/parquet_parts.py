"""The files of a local Parquet folder hold the same log columns, checked before Spark reads it.

Spark takes a Parquet folder's schema from one of its files: a column (``rating``,
``timestamp``...) that some files hold and that one lacks was dropped from every row without
a word (the model trained without ratings or times), or, the other way round, read as null in
the rows of the files without it ("300 rows with bad rating"). The local reader reads one
file, so it meets no such folder.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

import pyarrow as pa

from recommender.errors import DataError


def parquet_parts(folder: Path) -> list[Path]:
    """The files Spark reads in a local Parquet folder (none named ``_*`` or ``.*``)."""
    return [f for f in sorted(folder.rglob("*")) if f.is_file()
            and not any(part.startswith(("_", ".")) for part in f.relative_to(folder).parts)]


def part_schema(file: Path) -> pa.Schema | None:
    """The schema in a Parquet file's footer, None when pyarrow cannot read it (left to
    Spark). Kept by the file's path, inode, size and times of change: this check and the timestamp
    check (``timestamps._local_nanos``) each read every footer of a folder (0.5 s each at
    5,000 files), now once."""
    try:
        st = os.stat(file)
    except OSError:
        return None
    return _schema(str(file), (st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns))


@functools.lru_cache(maxsize=65_536)
def _schema(file: str, _version: tuple[int, int, int, int]) -> pa.Schema | None:
    import pyarrow.parquet as pq

    try:
        return pq.read_schema(file)
    except (pa.ArrowException, OSError):
        return None


def refuse_mixed_columns(path: Path, shown: str) -> None:
    """Raise ``DataError`` (naming ``shown``, two files and the columns each holds) when the
    files of the local Parquet folder ``path`` do not hold the same log columns (those the
    readers know: ``project.COLUMN_ALIASES``); a file pyarrow cannot read is left to Spark."""
    from recommender.io.project import canonical_column

    if not path.is_dir():
        return
    first: tuple[Path, dict[str, str]] | None = None
    for file in parquet_parts(path):
        if (schema := part_schema(file)) is None:
            continue
        names = schema.names
        held = {c: n for n in names if (c := canonical_column(n)) is not None}
        if first is None:
            first = (file, held)
        elif _lower(held) != _lower(first[1]):
            (a, cols_a), (b, cols_b) = first, (file, held)
            if len(cols_a) > len(cols_b):
                (a, cols_a), (b, cols_b) = (b, cols_b), (a, cols_a)
            only = sorted(set(cols_a) ^ set(cols_b))
            # the same column under two of its names (timestamp, rating_timestamp) is read
            # as null in one file's rows as surely as a column one file lacks
            renamed = sorted(c for c in set(cols_a) & set(cols_b)
                             if cols_a[c].lower() != cols_b[c].lower())
            why = (f"{', '.join(only)} missing from some files" if only else
                   f"{', '.join(renamed)} named differently")
            raise DataError(shown, (
                f"its Parquet files hold different columns: {a.relative_to(path)} has "
                f"{', '.join(sorted(cols_a.values())) or 'none of the log columns'}, "
                f"{b.relative_to(path)} has {', '.join(sorted(cols_b.values()))} "
                f"({why}: Spark takes one file's columns for all); write every file with the "
                "same columns"))


def _lower(held: dict[str, str]) -> dict[str, str]:
    """Each log column's name as Spark matches it (case-insensitively, by default)."""
    return {c: n.lower() for c, n in held.items()}
