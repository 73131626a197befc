"""An interaction log's columns, read and checked, built into ``Interactions``."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from recommender.errors import DataError
from recommender.io.blank_ratings import (
    KeptRows,
    blank_cells,
    current,
    implied_rating,
    refusal,
)
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
    """Validate canonical columns and build ``Interactions`` (merging duplicates); blank
    ratings as ``blank_ratings.current`` says."""
    n = len(columns[USER_ID])
    if n == 0:
        raise DataError(str(path), "no interactions: expected at least one data line",
                        line=first_data_line)
    choice, floor = current()
    blank = blank_cells(columns[RATING]) if RATING in columns else np.zeros(0, bool)
    unrated = int(blank.sum())
    if unrated and choice == "refuse":
        raise refusal(path, loc, blank)
    read, left_out = columns, ""  # the columns as read, and the rows left out of them
    if unrated and choice == "drop":  # the rows left out; later errors place the rest
        if unrated == n:
            raise DataError(str(path), f"every one of the {n:,} rows has a blank rating, and "
                            "--blank-ratings drop leaves them all out: no interaction is "
                            "left; leave the rating column out, or give --blank-ratings "
                            "implicit")
        kept = np.flatnonzero(~blank)
        columns = {c: col.take(pa.array(kept)) for c, col in columns.items()}
        loc, blank = KeptRows(loc, kept), np.zeros(len(kept), bool)
        left_out = (f"--blank-ratings drop left out {unrated:,} row{'s' if unrated > 1 else ''}"
                    ", with a blank rating")
    elif unrated:  # implicit: a number for the reader, NaN (no rating) once read
        columns = {**columns, RATING: _zero_where(columns[RATING], blank)}
    users = interaction_ids(path, columns[USER_ID], USER_ID, loc)
    films = interaction_ids(path, columns[FILM_ID], FILM_ID, loc)
    # a Parquet log's float32 column as it is (no float64 copy of millions of values)
    rating = float_column(path, columns[RATING], RATING, loc, keep32=True) \
        if RATING in columns else None
    if rating is not None and blank.any():
        rating = np.asarray(rating, np.float32).copy()
        rating[blank] = np.nan
    # an empty weight's count of rows without one: the file's as read (``left_out``)
    weight = float_column(path, columns[WEIGHT], WEIGHT, loc, keep32=True,
                          whole=read[WEIGHT] if left_out else None, left_out=left_out) \
        if WEIGHT in columns else None
    if weight is not None and (weight < 0).any():  # log weighting and ALS need >= 0
        row = int(np.flatnonzero(weight < 0)[0])
        raise problem(path, loc, row, f"weight {float(weight[row]):g} is negative; expected "
                      "a number >= 0 (views, minutes...)")
    ts = timestamp_column(path, columns[TIMESTAMP], loc) if TIMESTAMP in columns else None
    inter = Interactions.from_columns(users, films, rating=rating, weight=weight, timestamp=ts,
                                      source=str(path))
    inter.unrated = unrated
    if inter.rating is not None and blank.any():  # the pairs no event rates
        none = np.isnan(inter.rating)
        if none.all():  # no rating at all: a log without ratings
            inter.rating = None
        elif none.any():
            inter.unrated_as = implied_rating(inter.rating[~none], floor)
            inter.rating[none] = inter.unrated_as
    return inter


def _zero_where(col: pa.Array | pa.ChunkedArray, blank: NDArray[np.bool_]) -> pa.Array:
    """The rating column with its ``blank`` cells written 0 (text ``"0"`` in a text column;
    every cell, a column of nulls alone)."""
    arr = col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col
    if pa.types.is_null(arr.type):  # a Parquet column of nulls alone: no value to keep (no
        return pa.array(np.zeros(len(arr)))  # null scalar of 0: it ended in an ArrowInvalid)
    zero = pa.scalar("0" if pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)
                     else 0, arr.type)
    return pc.if_else(pa.array(blank), zero, arr)


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
