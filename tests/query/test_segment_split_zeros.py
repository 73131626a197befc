"""No hidden cell of a summary's segment split can be worked out by subtraction.

A walkthrough on MovieLens 100K (film 50) showed a segment's row as core ``-``, extended 0,
broad 0, all 0: the hidden core cell is the row's total less the shown cells, 0. The
oracle reads one version's table as a reader does: the shown cells, each row's sum (the
"all" column) where shown, and each tier's size (its rank range), and peels, to a fixed
point, every line (row or column) with one unknown cell left, or whose unknown cells must
add up to 0 (counts are not negative); then every hidden cell must still be unknown."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import numpy as np

from recommender.query.segment_cells import hidden_splits

MIN_CELL = 10
N_TIERS = 3


def recovered(counts: np.ndarray, hide: np.ndarray) -> list[tuple[int, int]]:
    """The hidden cells (segment, column) subtraction works out from what is shown."""
    table = np.column_stack([counts, counts.sum(axis=1)])
    known = ~hide.copy()
    # each row: its tiers less its sum is 0; each column: its cells add up to its size
    lines = [([(r, c, 1) for c in range(N_TIERS)] + [(r, N_TIERS, -1)], 0)
             for r in range(len(table))]
    lines += [([(r, c, 1) for r in range(len(table))], int(table[:, c].sum()))
              for c in range(N_TIERS + 1)]
    found = True
    while found:
        found = False
        for cells, total in lines:
            left = total - sum(s * int(table[r, c]) for r, c, s in cells if known[r, c])
            free = [(r, c, s) for r, c, s in cells if not known[r, c]]
            if len(free) == 1 or (free and left == 0 and len({s for *_, s in free}) == 1):
                for r, c, _ in free:
                    known[r, c] = found = True
    return [tuple(x) for x in np.argwhere(known & hide).tolist()]


def random_film(rng: np.random.Generator) -> tuple[Any, np.ndarray, np.ndarray]:
    """A model of a few segments and both rankings' rings of one film: with viewers ranked
    out (the tiers 0-2, the other candidates 3, the viewers 4) and in (0-3)."""
    n_segments = int(rng.integers(3, 9))
    n_users = int(rng.integers(150, 500))
    labels = rng.choice(n_segments, n_users, p=rng.dirichlet(np.ones(n_segments) * 0.7))
    viewer = rng.random(n_users) < rng.uniform(0.05, 0.4)
    taste = rng.random(n_users) + 0.6 * (labels == rng.integers(n_segments))
    sizes = np.cumsum(rng.integers(2, 40, N_TIERS))

    def rings(score: np.ndarray, ranked: np.ndarray) -> np.ndarray:
        out = np.full(n_users, 4 if ranked.sum() < n_users else N_TIERS, np.int64)
        order = np.flatnonzero(ranked)[np.argsort(-score[ranked], kind="stable")]
        rank = np.empty(len(order), np.int64)
        rank[:] = np.searchsorted(sizes, np.arange(len(order)), side="right")
        out[order] = np.minimum(rank, N_TIERS)
        return out

    out = rings(taste, ~viewer)
    into = rings(taste + 0.3 * rng.random(n_users), np.ones(n_users, bool))
    model = SimpleNamespace(segments=SimpleNamespace(
        labels=np.asarray(labels, np.int64), n=n_segments, info=[{}] * n_segments))
    return model, out, into


def test_no_hidden_split_cell_is_worked_out_by_subtraction() -> None:
    rng = np.random.default_rng(48)
    found = []
    for film in range(60):
        model, out, into = random_film(rng)
        for exclude_seen, rings, other in ((True, out, into), (False, into, out)):
            hide = hidden_splits(model, rings, other, N_TIERS, exclude_seen, MIN_CELL)
            labels = model.segments.labels
            counts = np.stack([np.bincount(labels[rings == t], minlength=model.segments.n)
                               for t in range(N_TIERS)], axis=1)
            found += [(film, exclude_seen, cell) for cell in recovered(counts, hide)]
    assert found == []


def test_a_row_of_shown_zeros_shows_its_last_zero_too() -> None:
    """The walkthrough's row: a segment nobody of which ranks in any tier, in a core too
    small to split, shows 0 in the core as in every other ring (it is no hidden count)."""
    labels = np.repeat(np.arange(4), [40, 40, 40, 40])
    out = np.full(160, 3, np.int64)
    out[[0, 1, 2, 40]] = 0                      # a core of 4 users: segments 0 and 1
    out[3:18] = 1
    out[41:60] = 2
    into = out.copy()
    model = SimpleNamespace(segments=SimpleNamespace(labels=labels, n=4, info=[{}] * 4))
    hide = hidden_splits(model, out, into, N_TIERS, True, MIN_CELL)
    counts = np.stack([np.bincount(labels[out == t], minlength=4) for t in range(N_TIERS)],
                      axis=1)
    assert recovered(counts, hide) == []
    assert hide[:, 0].any()                     # the core's users are still hidden
    assert not hide[3].any() and not hide[2].any()   # segments 2, 3: 0 everywhere, shown
