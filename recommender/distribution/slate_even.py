"""A slate's cinemas without demand: their screens dealt evenly among films of equal weight.

At a cinema no user names (or one without demand) the films of equal weight have equal
targets, so any split among them deviates the same; ``_even_out`` re-deals such cinemas'
screens cinema by cinema so that, over all of them, those films' totals differ by at most one
screen (``slate.solve`` calls it on the programme's answer).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray


def _even_out(x: NDArray[np.int64], none: NDArray[np.bool_], w: NDArray[np.float64],
              lo: NDArray[np.int64], hi: NDArray[np.float64]) -> NDArray[np.int64]:
    """``x`` with each cinema without demand's screens re-dealt among the films of equal
    weight ``w`` (equal targets there, so any permutation deviates the same): cinema by cinema,
    the most screens to the film with the fewest so far at such cinemas (ties: the first), so
    their totals there differ by at most one. The turns of the tie-break alone counted a
    capped film's, which takes none: 5/3 where 4/4 deviates the same. A group whose re-dealt
    totals would cross one of its films' bounds keeps the programme's split."""
    cells = np.flatnonzero(none)
    if not len(cells):
        return x
    out = x.copy()
    for g in np.unique(w[np.isfinite(w)]):  # a tight set's films share by their limit
        films = np.flatnonzero(w == g)
        if len(films) < 2:
            continue
        dealt = x[np.ix_(cells, films)].copy()
        have = np.zeros(len(films), np.int64)
        for i in range(len(cells)):
            dealt[i, np.lexsort((np.arange(len(films)), have))] = np.sort(dealt[i])[::-1]
            have += dealt[i]
        total = x[:, films].sum(axis=0) - x[np.ix_(cells, films)].sum(axis=0) + have
        if (total >= lo[films]).all() and (total <= hi[films]).all():
            out[np.ix_(cells, films)] = dealt
    return out
