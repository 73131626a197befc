"""The minimum cell rule: no breakdown shows a group of fewer users than the minimum cell size."""

from __future__ import annotations

import os

import numpy as np
from numpy.typing import NDArray

MIN_CELL_ENV = "RECOMMENDER_MIN_CELL"
DEFAULT_MIN_CELL = 10
OTHER = "other"


def min_cell_from_env(default: int = DEFAULT_MIN_CELL) -> int:
    """``RECOMMENDER_MIN_CELL`` as an integer >= 1, else ``default``."""
    raw = os.environ.get(MIN_CELL_ENV, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"{MIN_CELL_ENV}={raw!r} is not an integer") from None
    if value < 1:
        raise ValueError(f"{MIN_CELL_ENV}={raw!r} must be at least 1")
    return value


def small_cells(counts: NDArray[np.int64], min_cell: int) -> NDArray[np.bool_]:
    """True for the cells holding fewer than ``min_cell`` users (to be merged or suppressed)."""
    return np.asarray(counts) < min_cell


def merged_cells(counts: NDArray[np.int64], min_cell: int,
                 always: NDArray[np.bool_] | None = None) -> NDArray[np.bool_]:
    """The cells to merge into one ``"other"`` cell so that every cell shown holds at least
    ``min_cell`` users: the small cells and those in ``always`` (e.g. a value already named
    "other"), then, while the merged cell is non-empty but still small, the smallest remaining
    cell too (lowest index first on ties). Everything is merged when the total is small."""
    n = np.asarray(counts, np.int64)
    merge = small_cells(n, min_cell)
    if always is not None:
        merge |= np.asarray(always, np.bool_)
    while merge.any() and not merge.all() and 0 < n[merge].sum() < min_cell:
        rest = np.flatnonzero(~merge)
        merge[rest[int(np.argmin(n[rest]))]] = True
    return merge


def table_suppression(counts: NDArray[np.int64], min_cell: int) -> NDArray[np.bool_]:
    """Which cells of a groups x parts table to hide, when every column's total and every
    row's total are published too (e.g. segments x tiers, whose rows add up to the overall
    split): the non-empty cells under ``min_cell``, then, until no column or row holds
    exactly one hidden cell, the smallest other non-empty cell of each such column or row
    (lowest index on ties). A single hidden cell would be its total less the shown ones.
    A line whose one non-empty cell is small stays its own total (there is nothing to hide
    with it): such a cell says no more than the published total already does."""
    n = np.asarray(counts, np.int64)
    hide = small_cells(n, min_cell) & (n > 0)
    changed = True
    while changed:
        changed = False
        for lines, view in ((n.T, hide.T), (n, hide)):  # columns, then rows
            for i in range(lines.shape[0]):
                if int(view[i].sum()) != 1:
                    continue
                others = np.flatnonzero(~view[i] & (lines[i] > 0))
                if len(others):
                    view[i, others[np.argmin(lines[i, others])]] = True
                    changed = True
    return hide
