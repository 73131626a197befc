"""The minimum cell rule: no breakdown shows a group of fewer users than the minimum cell size."""

from __future__ import annotations

import numpy as np
import scipy.linalg
from numpy.typing import NDArray

# the size itself is the model's too (training keeps every segment at least this large)
from recommender.model.min_cell import DEFAULT_MIN_CELL as DEFAULT_MIN_CELL
from recommender.model.min_cell import MIN_CELL_ENV as MIN_CELL_ENV
from recommender.model.min_cell import min_cell_from_env as min_cell_from_env

OTHER = "other"


def small_cells(counts: NDArray[np.int64], min_cell: int) -> NDArray[np.bool_]:
    """True for the cells holding fewer than ``min_cell`` users (to be merged or suppressed)."""
    return np.asarray(counts) < min_cell


def few(counts: NDArray[np.int64], min_cell: int) -> NDArray[np.bool_]:
    """True for the cells holding some users but fewer than ``min_cell`` (an empty cell names
    nobody): what a breakdown may not show, nor let be worked out."""
    return (np.asarray(counts) > 0) & small_cells(counts, min_cell)


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


def table_suppression(counts: NDArray[np.int64], min_cell: int,
                      last_is_row_sum: bool = True,
                      also: NDArray[np.bool_] | None = None) -> NDArray[np.bool_]:
    """Which cells of a groups x parts table to hide, when every column's total is published
    too and (``last_is_row_sum``) the last column is each row's sum of the others (segments
    x tiers, then the overall split). First the non-empty cells under ``min_cell``; then,
    while the published numbers (the shown cells, zeros included, and those sums) still
    determine some hidden cell exactly, one more cell of that cell's row or column, the
    smallest first (an empty one before any other; lowest index on ties), so that no hidden
    cell can be worked out by any combination of additions and subtractions. A hidden cell
    is determined when every solution of the published equations gives it the same value:
    its coordinate is zero in the null space of their matrix over the hidden cells. Bounds
    from counts being non-negative are not considered. ``also``: cells to hide from the
    start besides the small ones (what else they would give away)."""
    n = np.asarray(counts, np.int64)
    hide = few(n, min_cell)
    if also is not None:
        hide |= np.asarray(also, bool)
    rows, cols = n.shape
    while hide.any():
        cells = np.flatnonzero(hide.ravel())
        where = {int(c): i for i, c in enumerate(cells)}
        eqs = [[where[r * cols + c] for r in range(rows) if hide[r, c]] for c in range(cols)]
        if last_is_row_sum and cols > 1:  # sum of the parts less the last, per row
            eqs += [[where[r * cols + c] for c in range(cols) if hide[r, c]]
                    for r in range(rows)]
        a = np.zeros((len(eqs), len(cells)))
        for e, members in enumerate(eqs):
            for m in members:
                a[e, m] = -1.0 if last_is_row_sum and cols > 1 and e >= cols and \
                    cells[m] % cols == cols - 1 else 1.0
        free = scipy.linalg.null_space(a) if a.size else np.eye(len(cells))
        fixed = np.flatnonzero(np.abs(free).max(axis=1, initial=0.0) < 1e-9)
        options: list[tuple[int, int, int]] = []
        for k in fixed.tolist():  # the first pinned cell that has a line left to hide in
            r, c = divmod(int(cells[k]), cols)
            line = [(r, j) for j in range(cols)] + [(i, c) for i in range(rows)]
            # the row-sum column's cells first (the parts' splits are what a reader wants:
            # the sum is theirs), then the smallest count
            options = [(int(not (last_is_row_sum and j == cols - 1)), int(n[i, j]),
                        i * cols + j) for i, j in line if not hide[i, j]]
            if options:
                break
        if not options:  # pinned only by published totals themselves
            break
        hide.ravel()[min(options)[2]] = True
    return hide


def outside_pairs(counts: NDArray[np.int64], lefts: list[NDArray[np.int64]], min_cell: int
                  ) -> NDArray[np.bool_]:
    """Cells to hide from the start so that no two of a row's part cells (the columns but
    the last, the row's sum) work out, with a published ``left`` (a segment's size, or its
    size less its viewers the film's detail shows), a group of 1 to ``min_cell`` - 1 users
    outside both rings: ``left - a - b`` (187 - 116 - 18 - 48 = 5 of a segment's candidates
    below the extended ring). The smaller cell of each such pair (the first on ties)."""
    n = np.asarray(counts, np.int64)
    hide = np.zeros(n.shape, bool)
    parts = n.shape[1] - 1
    for j in range(parts):
        for k in range(j + 1, parts):
            pair = n[:, j] + n[:, k]
            bad = np.logical_or.reduce([few(left - pair, min_cell) for left in lefts])
            smaller = np.where(n[:, k] < n[:, j], k, j)
            hide[np.flatnonzero(bad), smaller[bad]] = True
    return hide


def few_rest(counts: NDArray[np.int64], hide: NDArray[np.bool_], min_cell: int
             ) -> NDArray[np.bool_]:
    """The rows of a table whose last column (each row's sum of the others) is shown while
    its hidden parts hold 1 to ``min_cell`` - 1 users in all: the shown sum less the shown
    parts works that group out (a segment's users in the core and extended rings, each
    hidden, were the all-rings cell less the broad one: 6 to 9 users on 4 of 19 demo films)."""
    n = np.asarray(counts, np.int64)
    rest = n[:, -1] - np.where(hide[:, :-1], 0, n[:, :-1]).sum(axis=1)
    return ~hide[:, -1] & hide[:, :-1].any(axis=1) & few(rest, min_cell)
