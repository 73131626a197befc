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
    its coordinate is zero in the null space of their matrix over the hidden cells. Counts
    are not negative, so a line whose hidden cells add up to 0 (an empty ring's column, a
    row whose shown sum is 0) shows each of them to be 0: they count as shown (``_zeros``),
    and a cell that would be such a 0 is hidden to protect another only with one that leaves
    it unknown (``_complement``; an empty ring's cells protected a segment's 1 user in the
    broad ring). Other bounds from counts being non-negative are not considered. ``also``:
    cells to hide from the start besides the small ones (what else they would give away)."""
    n = np.asarray(counts, np.int64)
    hide = few(n, min_cell)
    if also is not None:
        hide |= np.asarray(also, bool)
    rows, cols = n.shape
    lines = _lines(rows, cols, last_is_row_sum)
    while hide.any():
        unknown = hide & ~_zeros(n, hide, lines)
        cells = np.flatnonzero(unknown.ravel())
        if not len(cells):
            break
        where = {int(c): i for i, c in enumerate(cells)}
        eqs = [[where[r * cols + c] for r in range(rows) if unknown[r, c]] for c in range(cols)]
        if last_is_row_sum and cols > 1:  # sum of the parts less the last, per row
            eqs += [[where[r * cols + c] for c in range(cols) if unknown[r, c]]
                    for r in range(rows)]
        a = np.zeros((len(eqs), len(cells)))
        for e, members in enumerate(eqs):
            for m in members:
                a[e, m] = -1.0 if last_is_row_sum and cols > 1 and e >= cols and \
                    cells[m] % cols == cols - 1 else 1.0
        free = scipy.linalg.null_space(a) if a.size else np.eye(len(cells))
        fixed = np.flatnonzero(np.abs(free).max(axis=1, initial=0.0) < 1e-9)
        choice: list[int] = []
        for k in fixed.tolist():  # the first pinned cell that has a line left to hide in
            choice = _complement(n, hide, lines, int(cells[k]), last_is_row_sum)
            if choice:
                break
        if not choice:  # pinned only by published totals themselves
            break
        hide.ravel()[choice] = True
    return hide


def known_zeros(counts: NDArray[np.int64], hide: NDArray[np.bool_],
                last_is_row_sum: bool = True) -> NDArray[np.bool_]:
    """The hidden cells of a table (as ``table_suppression``'s: column totals published,
    the last column each row's sum) that the published numbers make 0: a row's shown sum
    less its shown parts, or a column's total less its shown cells, leaves 0 (counts are not
    negative). Such a cell hides nothing, since anyone can subtract: shown as 0, never as
    hidden (a segment's row core ``-``, extended 0, broad 0, all 0 read as a hidden count)."""
    n = np.asarray(counts, np.int64)
    rows, cols = n.shape
    return _zeros(n, np.asarray(hide, bool), _lines(rows, cols, last_is_row_sum))


def _complement(n: NDArray[np.int64], hide: NDArray[np.bool_],
                lines: list[list[tuple[int, int, int]]], cell: int, last_is_row_sum: bool
                ) -> list[int]:
    """The cells (flat indices) to hide next for the pinned hidden ``cell``: the first shown
    cell of its row or column that, hidden, would not be a known 0 (the row-sum column's
    cells first: the parts' splits are what a reader wants, the sum is theirs; then the
    smallest count); when each would, the first such cell with the first shown cell of its
    other line that together leave it unknown (a 0 of a row whose sum is a shown 0 hides
    with that sum); [] when its lines are all hidden."""
    rows, cols = n.shape

    def line(flat: int) -> list[tuple[int, int, int]]:
        r, c = divmod(flat, cols)
        return sorted((int(not (last_is_row_sum and j == cols - 1)), int(n[i, j]), i * cols + j)
                      for i, j in [(r, j) for j in range(cols)] + [(i, c) for i in range(rows)]
                      if not hide[i, j])

    def known(flats: list[int]) -> bool:
        more = hide.copy()
        more.ravel()[flats] = True
        return bool(_zeros(n, more, lines).ravel()[flats[0]])

    options = line(cell)
    for *_, o in options:
        if not known([o]):
            return [o]
    for *_, o in options:
        for *_, p in line(o):
            if p != o and not known([o, p]):
                return [o, p]
    return [options[0][2]] if options else []


def _lines(rows: int, cols: int, last_is_row_sum: bool) -> list[list[tuple[int, int, int]]]:
    """The published equations of a rows x cols table as (row, column, sign) cells: each
    column (its total) and, with ``last_is_row_sum``, each row (its parts less its last)."""
    lines = [[(r, c, 1) for r in range(rows)] for c in range(cols)]
    if last_is_row_sum and cols > 1:
        lines += [[(r, c, -1 if c == cols - 1 else 1) for c in range(cols)] for r in range(rows)]
    return lines


def _zeros(n: NDArray[np.int64], hide: NDArray[np.bool_],
           lines: list[list[tuple[int, int, int]]]) -> NDArray[np.bool_]:
    """The hidden cells a reader knows to be 0: those of a line whose cells not yet known
    have one sign and add up to 0 (its published total less its known cells is 0, and
    counts are not negative), repeated while another line becomes so."""
    zero = np.zeros(n.shape, bool)
    found = True
    while found:
        found = False
        for line in lines:
            free = [(r, c, s) for r, c, s in line if hide[r, c] and not zero[r, c]]
            if free and len({s for *_, s in free}) == 1 and \
                    not sum(int(n[r, c]) for r, c, _ in free):
                for r, c, _ in free:
                    zero[r, c] = found = True
    return zero


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
