"""An interaction log's columns, read and checked, built into ``Interactions``.

The columns convert independently, so each converts on a thread of its own (the work is in
Arrow and numpy, which release the GIL); a refused value is reported as it was when they
converted one after another: the first column's, in the order user, film, rating, weight,
timestamp.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from recommender.errors import DataError
from recommender.io.columns import FILM_ID, RATING, TIMESTAMP, USER_ID, WEIGHT
from recommender.io.convert import interaction_ids, timestamp_column
from recommender.io.dataset import Interactions
from recommender.io.delimited import (
    ConversionError,
    CsvLocator,
    Delimited,
    Locator,
    problem,
    read_delimited,
)
from recommender.io.numbers import all_held, float_column


def build(path: Path, columns: dict[str, pa.Array | pa.ChunkedArray], loc: Locator,
          first_data_line: int | None) -> Interactions:
    """Validate canonical columns and build ``Interactions`` (merging duplicates)."""
    n = len(columns[USER_ID])
    if n == 0:
        raise DataError(str(path), "no interactions: expected at least one data line",
                        line=first_data_line)
    jobs: dict[str, Callable[[], Any]] = {
        USER_ID: lambda: interaction_ids(path, columns[USER_ID], USER_ID, loc),
        FILM_ID: lambda: interaction_ids(path, columns[FILM_ID], FILM_ID, loc),
        RATING: lambda: float_column(path, columns[RATING], RATING, loc, keep32=True),
        WEIGHT: lambda: float_column(path, columns[WEIGHT], WEIGHT, loc, keep32=True),
        TIMESTAMP: lambda: timestamp_column(path, columns[TIMESTAMP], loc),
    }
    wanted = [c for c in jobs if c in columns]
    done: dict[str, Any] = {}
    with ThreadPoolExecutor(len(wanted), thread_name_prefix="log-column") as pool:
        futures: dict[str, Future[Any]] = {c: pool.submit(jobs[c]) for c in wanted}
        for c in wanted:  # in order: the first refusal raises, as one after another
            done[c] = futures[c].result()
            if c == WEIGHT and (done[c] < 0).any():  # log weighting and ALS need >= 0
                row = int(np.flatnonzero(done[c] < 0)[0])
                raise problem(path, loc, row, f"weight {float(done[c][row]):g} is negative; "
                              "expected a number >= 0 (views, minutes...)")
    return Interactions.from_columns(done[USER_ID], done[FILM_ID], rating=done.get(RATING),
                                     weight=done.get(WEIGHT), timestamp=done.get(TIMESTAMP),
                                     source=str(path))


def load_table(spec: Delimited, wanted: Sequence[str]) -> Interactions:
    """Fast path: typed pyarrow read. Slow path (only after a conversion error): strings, then
    per-column conversion that finds the offending line."""
    # timestamps as text: pyarrow's integer parser reads "0x10" as 16 (``timestamp_column``
    # casts the text, vectorised, and refuses it), and an ISO time is text
    fast = {USER_ID: pa.string(), FILM_ID: pa.string(), RATING: pa.float64(),
            WEIGHT: pa.float64(), TIMESTAMP: pa.string()}
    loc = CsvLocator(spec.path, spec.header, spec.quoting, spec.delimiter)
    first_line = 2 if spec.header else 1
    try:
        table = read_delimited(spec, {c: fast[c] for c in wanted})
        if not all(all_held(table.column(c)) for c in (RATING, WEIGHT) if c in wanted):
            raise ConversionError  # refused as written: '1e400' was read (and said) as inf
    except ConversionError:
        table = read_delimited(spec, {c: pa.string() for c in wanted})
    return build(spec.path, {c: table.column(c) for c in wanted}, loc, first_line)
