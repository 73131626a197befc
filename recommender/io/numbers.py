"""Numbers from arrow columns: optional numeric columns (rating, weight) checked value by value.

A value that does not convert is found by bisection and reported with its line (or row); an
empty value says how many rows have none and that the column is optional.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from recommender.errors import DataError
from recommender.io import arrow_numpy as an
from recommender.io.delimited import Locator, problem


def value_of(arr: pa.Array, row: int) -> str:
    v = arr[row].as_py()
    return "" if v is None else str(v)


def first_failing(arr: pa.Array, convert: Callable[[pa.Array], object]) -> int | None:
    """Index of the first element on which ``convert`` fails (bisection), or None."""
    try:
        convert(arr)
        return None
    except (pa.ArrowException, ValueError):
        pass
    lo, hi = 0, len(arr)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        try:
            convert(arr.slice(lo, mid - lo))
            lo = mid
        except (pa.ArrowException, ValueError):
            hi = mid
    return lo


def _empties(name: str, empty: int, rows: int, left_out: str = "") -> str:
    """How many of ``rows`` have no ``name`` and what to do: the column is optional (a log
    without ratings, weights); ``left_out``: the rows of the file as read that the reader
    left out, said after (``rows`` counts them)."""
    after = f"; {left_out}" if left_out else ""
    if empty >= rows:
        return f" (no row has one: the {name} column is optional, leave it out{after})"
    them = "it in or leave that row" if empty == 1 else "them in or leave those rows"
    return (f" ({empty:,} of the {rows:,} rows{' read' if left_out else ''} "
            f"{'has' if empty == 1 else 'have'} none: fill {them} out; the {name} column is "
            f"optional{after})")


def _to_float(arr: pa.Array) -> pa.Array:
    return pc.cast(arr, pa.float64())


def _comma_hint(value: str) -> str:
    """A hint for a number written with a comma: 4,5 a decimal comma; 1,234 (three digits
    after it, one to three nonzero-led before) a thousands separator as well, where the
    point alone made 1234 minutes 1.234."""
    if not re.fullmatch(r"[-+]?\d*,\d+", value):
        return ""
    point = value.replace(",", ".")
    if re.fullmatch(r"[-+]?[1-9]\d{0,2},\d{3}", value):
        return (f" (a decimal comma or a thousands separator? write {point} or "
                f"{value.replace(',', '')}: numbers take a point and no separator)")
    return f" (a decimal comma? write {point}: numbers take a point)"


def all_held(col: pa.Array | pa.ChunkedArray) -> bool:
    """Whether every value of a float column (nulls aside) is a finite float32, as
    ``float_column`` requires."""
    held = pc.less_equal(pc.abs(col), an.scalar(float(np.finfo(np.float32).max),
                                                 pa.float64()))  # NaN: false
    return bool(pc.all(held).as_py() is not False)


def empty_count(col: pa.Array | pa.ChunkedArray) -> int:
    """How many values of a column are empty: null, or text of blanks only."""
    arr = col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col
    if pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type):
        blank = pc.equal(pc.ascii_trim_whitespace(arr), "")
        return int(pc.sum(blank).as_py() or 0) + arr.null_count
    return arr.null_count


def float_column(path: Path, col: pa.Array | pa.ChunkedArray, name: str,
                 loc: Locator, keep32: bool = False,
                 whole: pa.Array | pa.ChunkedArray | None = None,
                 left_out: str = "") -> NDArray[np.floating]:
    """A numeric column (already numeric or strings) as float64, every value a finite float32.
    ``keep32``: a float32 column without nulls comes back as it is, float32 (the same values:
    no float64 copy of millions of ratings for ``Interactions``, which keeps float32).
    ``whole``: the file's whole column where ``col`` is its first rows (``events import``
    words the first bad row's problem on the rows up to it): an empty value's count of rows
    without one, and its advice, are the whole file's (it said "no row has one: leave it out"
    of a file whose later rows had weights); or the column as read where ``col`` is the rows
    kept of it, ``left_out`` saying which were left out (``--blank-ratings drop``: it said "1
    of the 3 rows" of a file of 4)."""
    counted = col if whole is None else whole
    arr = col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col
    if keep32 and pa.types.is_float32(arr.type) and arr.null_count == 0:
        values32 = np.asarray(an.values(arr), dtype=np.float32)
        if bool(np.isfinite(values32).all()):
            return values32
    if pa.types.is_null(arr.type):  # a Parquet column of nulls alone: every value empty, as
        arr = pa.nulls(len(arr), pa.float64())  # in a CSV (it said "has type null")
    written = None  # the text of a column of strings, for a value refused
    if pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type):
        # surrounding spaces are no part of a number, as on the CSV reader's fast path and in
        # Spark's reader (" 4" was refused here only, e.g. beside a column of ISO times)
        written, arr = arr, pc.ascii_trim_whitespace(arr)
        bad = first_failing(arr, _to_float)
        if bad is not None:
            value = value_of(written, bad)
            if not value.strip():
                raise problem(path, loc, bad, f"empty {name}; expected a number"
                              + _empties(name, empty_count(counted), len(counted), left_out))
            raise problem(path, loc, bad, f"{name} {value!r} is not a number; expected a number"
                          + _comma_hint(value.strip()))
        arr = _to_float(arr)
    elif pa.types.is_integer(arr.type) or pa.types.is_floating(arr.type) or \
            pa.types.is_decimal(arr.type):
        arr = pc.cast(arr, pa.float64())
    else:
        raise DataError(str(path), f"column {name} has type {arr.type}; expected numbers")
    if arr.null_count:
        row = int(np.flatnonzero(pc.is_null(arr).to_numpy(zero_copy_only=False))[0])
        raise problem(path, loc, row, f"empty {name}; expected a number"
                      + _empties(name, empty_count(counted), len(counted), left_out))
    values = np.asarray(an.values(arr), dtype=np.float64)
    held = np.abs(values) <= np.finfo(np.float32).max  # kept as float32: 1e300 was inf
    if not held.all():
        row = int(np.flatnonzero(~held)[0])
        raise problem(path, loc, row, f"{name} {_refused(values[row], written, row)}; "
                      "expected a finite number of at most 3.4e+38")
    return values


def _refused(value: float, written: pa.Array | None, row: int) -> str:
    """A number past what a float32 holds, as written (``1e400``: it said "inf", the float64
    it overflowed to) and why it is refused: out of range, or not finite as written (an
    infinity, a NaN)."""
    said = repr(value_of(written, row)) if written is not None else f"{value:g}"
    text = value_of(written, row).strip().lower().lstrip("+-") if written is not None else ""
    if np.isnan(value) or (np.isinf(value) and (written is None or text in (
            "inf", "infinity"))):
        return f"{said} is not finite"
    return (f"{said} is out of range: past 3.4e+38, the largest 32-bit float (the engine keeps "
            "32-bit floats)")
