"""A summary's two versions (viewers ranked out, and in with ``--include-seen``) are hidden
together, and an attribute's rare values are never shown: no small group is worked out.

Before, each version's portraits were hidden alone: compared, they gave 3 artists among the
24 users in the broad ring with viewers ranked out and past it with them in (a demo film,
whose occupation counts by ring of each ranking are copied below); and a value of 4 users,
hidden everywhere, was the users less the other values' base shares. The oracle writes the
published numbers as linear equations over each value's users in each pair of rings (ring
with viewers out, ring with them in) and asks ``numpy.linalg.matrix_rank`` whether a small
quantity lies in their span (it is worked out exactly then)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import numpy as np

from recommender.io.dataset import UserTable
from recommender.query.portrait import portrait_of

MIN_CELL = 10
SCOPES = [(0,), (0, 1), (0, 1, 2), (1,), (1, 2), (2,), (0, 1, 2, 3)]  # audience_summary's
# (ring with viewers ranked out, ring with them ranked in): 0-2 the tiers, 3 the other
# candidates, 4 the viewers (ranked out only)
PAIRS = [(0, 0), (0, 1), (1, 1), (1, 2), (2, 2), (2, 3), (3, 3), (4, 0), (4, 1), (4, 2)]
COUNTS = {
    "administrative": [4, 1, 10, 4, 49, 1, 270, 2, 2, 0],
    "artist": [3, 0, 14, 1, 27, 3, 131, 0, 0, 0],
    "educator": [1, 2, 7, 2, 39, 3, 209, 0, 1, 0],
    "engineer": [1, 0, 7, 0, 41, 3, 276, 1, 0, 2],
    "healthcare": [3, 3, 10, 1, 52, 0, 225, 1, 1, 1],
    "other": [2, 1, 25, 4, 67, 6, 487, 1, 0, 2],
    "retired": [1, 4, 6, 0, 26, 2, 92, 1, 1, 1],
    "sales": [1, 0, 6, 1, 45, 2, 258, 1, 0, 3],
    "student": [2, 0, 7, 0, 23, 1, 209, 1, 1, 2],
    "tradesperson": [1, 0, 11, 3, 52, 3, 219, 3, 0, 2],
}


def users(counts: dict[str, list[int]]) -> tuple[Any, np.ndarray, np.ndarray]:
    values, out, seen_in = [], [], []
    for value, row in counts.items():
        for (a, b), n in zip(PAIRS, row, strict=True):
            values += [value] * n
            out += [a] * n
            seen_in += [b] * n
    model = SimpleNamespace(user_table=UserTable(  # a table a kept value can be held by
        np.arange(len(values)).astype(str), {"occupation": np.array(values)}))
    return model, np.array(out, np.int64), np.array(seen_in, np.int64)


def published(model: Any, rings: dict[bool, np.ndarray], joint: bool
              ) -> list[dict[str, Any]]:
    """Every portrait a reader may ask: each scope, viewers ranked out and in (hidden with
    the other version's rings when ``joint``, each alone as before when not)."""
    out = []
    for ex in (True, False):
        for chosen in range(len(SCOPES)):
            portrait, _ = portrait_of(model, rings[ex], SCOPES, chosen, MIN_CELL,
                                      rings[not ex] if joint else None)
            out += [{**r, "ex": ex, "scope": SCOPES[chosen]} for r in portrait["occupation"]]
    return out


def worked_out(counts: dict[str, list[int]], rows: list[dict[str, Any]]) -> list[Any]:
    """The small groups (a value's users in a pair of rings, a ring of either ranking or
    all of them, some but fewer than MIN_CELL) the published numbers pin down."""
    names = list(counts)
    truth = np.array([counts[v] for v in names], float)
    n_v, n_p = truth.shape

    def vec(v: int, pairs: np.ndarray) -> np.ndarray:
        out = np.zeros((n_v, n_p))
        out[v] = pairs
        return out.ravel()

    def of(ex: bool, rings: tuple[int, ...]) -> np.ndarray:
        return np.array([float(p[0 if ex else 1] in rings) for p in PAIRS])

    eqs = [np.tile(of(ex, (r,)), n_v) for ex in (True, False) for r in range(5)]  # sizes
    for r in rows:
        v = names.index(r["value"])
        eqs += [vec(v, np.ones(n_p)), vec(v, of(r["ex"], r["scope"]))]
        assert eqs[-1] @ truth.ravel() == r["count"]
    a = np.array(eqs)
    rank = np.linalg.matrix_rank(a)
    groups = [np.ones(n_p)] + list(np.eye(n_p)) + [
        of(ex, (r,)) for ex in (True, False) for r in range(5)]
    found = []
    for v in range(n_v):
        for g in groups:
            n = g @ truth[v]
            if 0 < n < MIN_CELL and np.linalg.matrix_rank(np.vstack([a, vec(v, g)])) == rank:
                found.append((names[v], g.tolist(), int(n)))
    return found


def test_both_versions_hidden_together() -> None:
    model, out, seen_in = users(COUNTS)
    rings = {True: out, False: seen_in}
    before = worked_out(COUNTS, published(model, rings, joint=False))
    artists = [1.0 if p == (2, 3) else 0.0 for p in PAIRS]
    assert ("artist", artists, 3) in before  # the leak the joint rule closes
    rows = published(model, rings, joint=True)
    assert worked_out(COUNTS, rows) == []
    # the default portrait (core + extended, viewers ranked out) keeps cells to show
    assert sum(r["ex"] and r["scope"] == (0, 1) for r in rows) >= 3


def test_rare_values_are_pooled_until_min_cell() -> None:
    """4 lawyers, hidden everywhere, were the users less the other values' base shares. With
    3 pilots beside them (7 in all) the smallest other value is pooled too; with 7 (11 in
    all, each under the minimum cell) no other value is."""
    for rare in ({"lawyer": 4, "pilot": 3}, {"lawyer": 4, "pilot": 7}):
        counts = {v: list(row) for v, row in COUNTS.items()}
        for value, n in rare.items():  # taken from the retired in the other candidates
            counts["retired"][6] -= n
            counts[value] = [0] * 6 + [n] + [0] * 3
        model, out, seen_in = users(counts)
        rows = published(model, {True: out, False: seen_in}, joint=True)
        total = sum(sum(row) for row in counts.values())
        bases = {r["value"]: round(r["base_share"] * total) for r in rows}
        assert not set(rare) & set(bases)
        assert total - sum(bases.values()) >= MIN_CELL, rare
        assert ("retired" in bases) == (sum(rare.values()) >= MIN_CELL)  # the smallest other
        assert worked_out(counts, rows) == []
