"""Events from a file: CSV or Parquet in the interactions format, plus an optional event_id.

Columns: ``user_id,film_id`` (MovieLens ``userId,movieId`` accepted), ``timestamp`` (unix
seconds or ISO 8601, required: a conversion is counted by its time), optional ``weight``
(default 1; a number in ``(0, MAX_WEIGHT]``) and optional ``event_id``. Without ``event_id``
each row gets a deterministic one, ``file:<sha256 of the row's fields>:<n>`` (the row's n-th
repeat in the file), so importing the same file twice stores nothing twice. The readers of
``recommender.io`` convert and check the columns; every problem names the file and the line
(CSV) or row (Parquet).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from recommender.campaigns.events import MAX_WEIGHT, EventBatch, first_future, id_too_long
from recommender.errors import DataError
from recommender.io.columns import FILM_ID, TIMESTAMP, USER_ID, WEIGHT
from recommender.io.convert import float_column, string_ids, timestamp_column
from recommender.io.delimited import (
    CsvLocator,
    Delimited,
    Locator,
    RowLocator,
    check_unique_names,
    existing_file,
    problem,
    quoted,
    read_delimited,
    sniff_header,
)
from recommender.io.project import canonical_column

EVENT_ID = "event_id"
EXPECTED = "user_id,film_id,timestamp[,weight][,event_id]"


def _canon(name: str) -> str | None:
    return EVENT_ID if name.strip().lower() == EVENT_ID else canonical_column(name)


def _canon_unique(p: Path, names: list[str]) -> list[str | None]:
    """Each column's field (None: not one of ours). Two columns for one field (user_id and
    userId, event_id twice) are refused, as training refuses them: the reader took the first
    and dropped the other's values without a word."""
    canon = [_canon(n) for n in names]
    check_unique_names(p, names, [c or f"_{i}" for i, c in enumerate(canon)])
    return canon


def read_event_file(path: str | Path) -> EventBatch:
    """Read and check an events file (see the module docstring)."""
    p = existing_file(path)
    loc: Locator
    if p.suffix.lower() == ".parquet":
        try:
            table = pq.read_table(p)
        except (pa.ArrowException, OSError) as e:
            raise DataError(str(p), f"not a readable Parquet file ({e})") from None
        names = list(table.column_names)
        canon = _canon_unique(p, names)
        columns = {c: table.column(n) for n, c in zip(names, canon, strict=True) if c}
        loc = RowLocator()
    else:
        delimiter, names = sniff_header(p)
        canon = _canon_unique(p, names)
        physical = [c or f"_column{i}" for i, c in enumerate(canon)]
        wanted = [c for c in canon if c]
        table = read_delimited(Delimited(p, delimiter, physical, header=True),
                               {c: pa.string() for c in wanted})
        columns = {c: table.column(c) for c in wanted}
        loc = CsvLocator(p, True, delimiter=delimiter)
    missing = [c for c in (USER_ID, FILM_ID, TIMESTAMP) if c not in columns]
    if missing:
        raise DataError(str(p), f"missing column{'s' if len(missing) > 1 else ''} "
                        f"{', '.join(missing)}; expected columns {EXPECTED}; found "
                        f"{quoted(names)}", line=1 if isinstance(loc, CsvLocator) else None)
    n = len(columns[USER_ID])
    if n == 0:
        raise DataError(str(p), "no events: expected at least one data line")
    users = string_ids(p, columns[USER_ID], USER_ID, loc)
    films = string_ids(p, columns[FILM_ID], FILM_ID, loc)
    ts = timestamp_column(p, columns[TIMESTAMP], loc)
    if (ts < 0).any():
        raise problem(p, loc, int(np.flatnonzero(ts < 0)[0]), "timestamp before 1970; "
                      "expected unix seconds >= 0")
    weight = (float_column(p, columns[WEIGHT], WEIGHT, loc) if WEIGHT in columns
              else np.ones(n))
    bad = ~(np.isfinite(weight) & (weight > 0) & (weight <= MAX_WEIGHT))
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise problem(p, loc, row, f"weight {float(weight[row])!r} must be a number in "
                                   f"(0, {MAX_WEIGHT:g}]")
    u, f = users.to_pylist(), films.to_pylist()
    given = string_ids(p, columns[EVENT_ID], EVENT_ID, loc).to_pylist() \
        if EVENT_ID in columns else None
    for name, values in ((USER_ID, u), (FILM_ID, f), (EVENT_ID, given or [])):
        long = next(((i, why) for i, v in enumerate(values)
                     if (why := id_too_long(name, v)) is not None), None)
        if long is not None:
            raise problem(p, loc, *long)
    ids = given if given is not None else _derived_ids(u, f, ts.tolist(), weight.tolist())
    late = first_future(ts)
    if late is not None:
        raise problem(p, loc, *late)
    return EventBatch(ids, u, f, ts.tolist(), weight.tolist())


def row_problem(path: str | Path, row: int, message: str) -> DataError:
    """``DataError`` about data row ``row`` (0-based) of the events file ``path``, placed as
    ``read_event_file`` places its own problems (a CSV file's line, a Parquet file's row)."""
    p = Path(path)
    if p.suffix.lower() == ".parquet":
        return problem(p, RowLocator(), row, message)
    return problem(p, CsvLocator(p, True, delimiter=sniff_header(p)[0]), row, message)


def _derived_ids(u: list[str], f: list[str], ts: list[int], w: list[float]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for row in zip(u, f, ts, w, strict=True):
        digest = hashlib.sha256("\x00".join(map(str, row)).encode()).hexdigest()[:32]
        k = seen.get(digest, 0)
        seen[digest] = k + 1
        out.append(f"file:{digest}:{k}")
    return out
