"""A summary's segment splits are hidden with the other version's (viewers ranked out, and in
with ``--include-seen``) as one system: no small group is worked out from both.

Before, each version's splits were hidden alone (``privacy.table_suppression``): on a demo
film (its segments' users by ring of each ranking are copied below) segment 3 shows 0 in
every ring with viewers ranked in, and a core user without viewers ranks at most the core's
size plus the viewers with them, so a linear programme (counts not negative) pinned segment
7's 9 users in the core. The oracle is scipy's ``linprog``: the unknowns are each segment's
users in each pair of rings a reader cannot rule out, the equations everything both
versions and the film's details publish; a quantity is worked out when its minimum and
maximum meet."""

from __future__ import annotations

import itertools
from types import SimpleNamespace
from typing import Any

import numpy as np
from scipy.optimize import linprog

from recommender.query.catalog import viewer_segments
from recommender.query.privacy import few, table_suppression
from recommender.query.segment_cells import hidden_splits

MIN_CELL = 10
N_TIERS = 3
VIEWERS = 212
# rank ranges of the tiers and the other candidates, viewers ranked out then in (3,000 users)
RANGES = {True: [(1, 28), (29, 140), (141, 558), (559, 2788)],
          False: [(1, 30), (31, 150), (151, 600), (601, 3000)]}
# (ring with viewers ranked out, ring with them in): 0-2 the tiers, 3 the other candidates,
# 4 the viewers (ranked out only)
PAIRS = [(0, 1), (1, 1), (1, 2), (2, 2), (2, 3), (3, 3), (4, 0), (4, 1), (4, 2), (4, 3)]
COUNTS = [[0, 0, 0, 0, 0, 428, 0, 0, 0, 1], [19, 5, 42, 112, 51, 84, 1, 45, 42, 7],
          [0, 0, 0, 2, 8, 368, 0, 0, 0, 1], [0, 0, 0, 0, 7, 327, 0, 0, 0, 0],
          [0, 0, 0, 13, 14, 284, 0, 0, 0, 2], [0, 0, 0, 47, 31, 205, 0, 0, 7, 7],
          [0, 0, 0, 4, 7, 237, 0, 0, 2, 0], [9, 5, 60, 62, 9, 2, 29, 37, 27, 0],
          [0, 0, 0, 22, 17, 144, 0, 0, 2, 2], [0, 0, 0, 6, 6, 151, 0, 0, 0, 0]]


def users() -> tuple[Any, dict[bool, np.ndarray]]:
    labels, out, into = [], [], []
    for s, row in enumerate(COUNTS):
        for (a, b), n in zip(PAIRS, row, strict=True):
            labels += [s] * n
            out += [a] * n
            into += [b] * n
    model = SimpleNamespace(segments=SimpleNamespace(
        labels=np.array(labels, np.int64), n=len(COUNTS), info=[{}] * len(COUNTS)))
    return model, {True: np.array(out, np.int64), False: np.array(into, np.int64)}


def one_at_a_time(model: Any, rings: np.ndarray, exclude_seen: bool) -> np.ndarray:
    """The old rule, one version alone: its tiers' splits and their sum, a shown cell's
    segment size less it not small, nor (viewers out) less the viewers shown either (on
    this film it hides the very cells the old ``audience_summary`` hid)."""
    labels = model.segments.labels
    counts = np.zeros((len(COUNTS), N_TIERS + 1), np.int64)
    for t in range(N_TIERS):
        np.add.at(counts[:, t], labels[rings == t], 1)
    counts[:, -1] = counts[:, :-1].sum(axis=1)
    sizes = np.bincount(labels, minlength=len(COUNTS))
    also = few(sizes[:, None] - counts, MIN_CELL)
    if exclude_seen:
        for r in viewer_segments(model, np.flatnonzero(rings == 4), MIN_CELL):
            also[r["segment"]] |= few(sizes[r["segment"]] - r["count"] - counts[r["segment"]],
                                      MIN_CELL)
    return table_suppression(counts, MIN_CELL, also=also)


def worked_out(model: Any, rings: dict[bool, np.ndarray],
               hidden: dict[bool, np.ndarray]) -> list[tuple[int, str, int]]:
    """The small groups (a segment's users in a union of one ranking's rings or in a pair
    of rings, some but fewer than MIN_CELL) that what both versions publish pins down."""
    labels = model.segments.labels
    # every pair a reader cannot rule out: a candidate's rank with the viewers ranked in is
    # its rank without them plus 0 to VIEWERS; a viewer may be anywhere
    pairs = [(i, j) for i, (a0, a1) in enumerate(RANGES[True])
             for j, (b0, b1) in enumerate(RANGES[False]) if b0 <= a1 + VIEWERS and a0 <= b1]
    pairs += [(4, j) for j in range(4)]
    n_s, n_p = len(COUNTS), len(pairs)
    truth = np.zeros((n_s, n_p))
    for k, (a, b) in enumerate(pairs):
        truth[:, k] = np.bincount(labels[(rings[True] == a) & (rings[False] == b)],
                                  minlength=n_s)

    def of(ex: bool, ring_set: tuple[int, ...]) -> np.ndarray:
        return np.array([float(p[0 if ex else 1] in ring_set) for p in pairs])

    def vec(s: int, mask: np.ndarray) -> np.ndarray:
        out = np.zeros((n_s, n_p))
        out[s] = mask
        return out.ravel()

    eqs = [np.tile(of(ex, (r,)), n_s) for ex in (True, False) for r in range(5)]  # sizes
    eqs += [vec(s, np.ones(n_p)) for s in range(n_s)]  # the segments' sizes
    for ex in (True, False):
        scopes = [(t,) for t in range(N_TIERS)] + [tuple(range(N_TIERS))]
        for c, scope in enumerate(scopes):
            eqs += [vec(s, of(ex, scope)) for s in range(n_s) if not hidden[ex][s, c]]
    eqs += [vec(r["segment"], of(True, (4,)))  # the film's viewers by segment
            for r in viewer_segments(model, np.flatnonzero(rings[True] == 4), MIN_CELL)]
    a = np.array(eqs)
    b = a @ truth.ravel()
    asked = [(f"{'out' if ex else 'in'} {subset}", of(ex, subset))
             for ex in (True, False) for k in range(1, 5)
             for subset in itertools.combinations(range(5), k)]
    asked += [(f"pair {p}", np.eye(n_p)[k]) for k, p in enumerate(pairs)]
    found = []
    for s in range(n_s):
        for name, mask in asked:
            true = int(truth[s] @ mask)
            if not 0 < true < MIN_CELL:
                continue
            goal = vec(s, mask)
            low = linprog(goal, A_eq=a, b_eq=b, bounds=(0, None), method="highs")
            high = linprog(-goal, A_eq=a, b_eq=b, bounds=(0, None), method="highs")
            assert low.status == 0 and high.status == 0
            if -high.fun - low.fun < 0.5:
                found.append((s, name, true))
    return found


def test_one_version_at_a_time_gave_a_segment_in_the_core() -> None:
    model, rings = users()
    old = {ex: one_at_a_time(model, rings[ex], ex) for ex in (True, False)}
    assert (7, "out (0,)", 9) in worked_out(model, rings, old)


def test_both_versions_hidden_as_one_give_no_small_group() -> None:
    model, rings = users()
    new = {ex: hidden_splits(model, rings[ex], rings[not ex], N_TIERS, ex, MIN_CELL)
           for ex in (True, False)}
    assert worked_out(model, rings, new) == []
    old = {ex: one_at_a_time(model, rings[ex], ex) for ex in (True, False)}
    # more is hidden, not everything: most non-empty cells are still shown
    for ex in (True, False):
        assert (new[ex] | old[ex]).sum() < new[ex].size // 2
