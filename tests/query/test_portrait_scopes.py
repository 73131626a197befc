"""A film's portraits of every scope (each tier, adjacent tiers, the whole ranking) are hidden
together: no small group (a value's users in one ring, in a scope or outside it, some but
fewer than the minimum cell) can be worked out by adding and subtracting what the scopes
publish. Before, 92% of the demo's hidden portrait cells were two published portraits' cells
apart (core = core+extended+broad less extended+broad).

The oracle rebuilds the rings from a brute-force ranking and the published numbers as linear
equations over each (value, ring) count, and asks ``numpy.linalg.matrix_rank`` whether a
small quantity lies in their span (it is worked out exactly then)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from helpers import brute_audience, demo_model, tier_names

from recommender.model.config import DEFAULT_TIERS
from recommender.query.audience import audience_summary

SCOPES = {"core": (0,), "extended": (1,), "broad": (2,), "core+extended": (0, 1),
          "extended+broad": (1, 2), "core+extended+broad": (0, 1, 2), "all": (0, 1, 2, 3)}
MIN_CELL = 10


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Any:
    return demo_model(tmp_path_factory)[1]


def in_span(rows: list[np.ndarray], q: np.ndarray) -> bool:
    a = np.array(rows)
    return bool(np.linalg.matrix_rank(np.vstack([a, q])) == np.linalg.matrix_rank(a))


@pytest.mark.parametrize("f", [3, 17, 42])
def test_no_small_group_is_worked_out_from_all_scopes(demo: Any, f: int) -> None:
    fid = str(demo.films.ids[f])
    order, _ = brute_audience(demo, f)
    ring = np.full(demo.n_users, 4)  # viewers
    names = tier_names(len(order), DEFAULT_TIERS)
    ring[order] = [{"core": 0, "extended": 1, "broad": 2}.get(t, 3) for t in names]
    bodies = {name: audience_summary(demo, fid, tier=name, min_cell=MIN_CELL)
              for name in SCOPES}
    for attribute in bodies["all"]["portrait"]:
        values = np.asarray(demo.user_table.attributes[attribute])
        uniq = np.unique(values).tolist()
        table = np.zeros((len(uniq), 5), np.int64)
        np.add.at(table, (np.searchsorted(uniq, values), ring), 1)

        def vec(v: int, rings: tuple[int, ...], n: int = len(uniq)) -> np.ndarray:
            out = np.zeros(n * 5)
            out[[v * 5 + r for r in rings]] = 1.0
            return out

        published = [vec(v, (0, 1, 2, 3, 4)) for v in range(len(uniq))]  # base shares
        published += [np.tile(np.eye(5)[r], len(uniq)) for r in range(5)]  # ring sizes
        shown_cells = 0
        for name, rings in SCOPES.items():
            for row in bodies[name]["portrait"][attribute]:
                v = uniq.index(row["value"])
                assert row["count"] == table[v, list(rings)].sum()  # the true count
                published.append(vec(v, rings))
                shown_cells += 1
        pinned_by_totals = [vec(v, rs) for v in range(len(uniq)) for rs in [(r,) for r in
                            range(5)] if in_span(published[:len(uniq) + 5], vec(v, rs))]
        for v in range(len(uniq)):
            small = [((r,), table[v, r]) for r in range(5)]
            small += [(rs, table[v, list(rs)].sum()) for rs in SCOPES.values()]
            small += [(tuple(r for r in range(5) if r not in rs),
                       table[v].sum() - table[v, list(rs)].sum()) for rs in SCOPES.values()]
            for rs, n in small:
                q = vec(v, rs)
                if 0 < n < MIN_CELL and not any(np.array_equal(q, p)
                                                for p in pinned_by_totals):
                    assert not in_span(published, q), (attribute, uniq[v], rs, n)
        assert shown_cells > 0
    # the default portrait keeps its cells where no other scope gives them away
    assert sum(len(rows) for rows in bodies["core+extended"]["portrait"].values()) > 4


@pytest.mark.parametrize("tiers", [(("core", 100.0),), (("core", 40.0), ("rest", 60.0))])
def test_tiers_covering_every_user(demo: Any, tiers: tuple[tuple[str, float], ...]) -> None:
    """Viewers ranked in and tiers covering the whole ranking leave the viewers' ring empty:
    the scopes still name it, and the summary pictures the whole ranking (an IndexError
    before, the ring count taken from the users' rings)."""
    fid = str(demo.films.ids[3])
    body = audience_summary(demo, fid, tiers=tiers, exclude_seen=False, tier="all",
                            min_cell=MIN_CELL)
    shown = sum(r["count"] for r in body["portrait"]["gender"])
    assert body["portrait"]["gender"] and shown <= demo.n_users


def test_round_off_is_not_rank() -> None:
    """``_exposed`` decides by null spaces: a matrix holding round-off alone (the other
    values' projections summed, then added and taken away as cells are hidden) is zero, and
    the answer is the one exact zeros give. ``scipy.linalg.null_space``'s tolerance is
    relative to the largest singular value, so round-off alone had full rank there: a value
    the ring sizes pin was called free, and one that was free, pinned."""
    import scipy.linalg

    from recommender.query.null_spaces import exposed as _exposed

    own = scipy.linalg.null_space(np.array([[1.0] * 5, [1.0, 0, 0, 0, 0]]))
    ring = np.eye(5)[1]
    noise = np.random.default_rng(0).normal(scale=1e-17, size=(5, 5))
    exact = _exposed([ring], own, np.zeros((5, 5)), set())
    assert _exposed([ring], own, noise @ noise.T, set()) == exact
    assert _exposed([ring], own, noise + noise.T, set()) == exact


def _published(table: np.ndarray, scopes: list[tuple[int, ...]], hide: np.ndarray,
               sizes: list[np.ndarray] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """What a reader has as equations over every (value, ring) count: each value's users in
    all, each published ring set's size (``sizes``' masks, else each ring's) and each shown
    scope cell; (rows, their right-hand sides)."""
    n_values, n_rings = table.shape
    rows = [_vec(table, v, tuple(range(n_rings))) for v in range(n_values)]
    rows += [np.tile(np.asarray(m, float), n_values)
             for m in (sizes if sizes is not None else list(np.eye(n_rings)))]
    rows += [_vec(table, v, rings) for s, rings in enumerate(scopes) for v in range(n_values)
             if not hide[s, v]]
    a = np.array(rows)
    return a, a @ table.ravel().astype(float)


def _vec(table: np.ndarray, v: int, rings: tuple[int, ...]) -> np.ndarray:
    """Value ``v``'s users in ``rings``, as coefficients over every (value, ring) count."""
    out = np.zeros(table.size)
    out[[v * table.shape[1] + r for r in rings]] = 1.0
    return out


def _range(a: np.ndarray, b: np.ndarray, q: np.ndarray) -> float:
    """How far apart the least and the most ``q`` can be under ``a x = b``, ``x >= 0``
    (``scipy.optimize.linprog``): under 0.5, a reader knows it."""
    from scipy.optimize import linprog

    low = linprog(q, A_eq=a, b_eq=b, bounds=(0, None), method="highs").fun
    return float(-linprog(-q, A_eq=a, b_eq=b, bounds=(0, None), method="highs").fun - low)


def _pinned(table: np.ndarray, a: np.ndarray, b: np.ndarray,
            asks: list[tuple[int, ...]]) -> list[tuple[int, tuple[int, ...]]]:
    """The (value, rings) of ``asks`` holding some but fewer than MIN_CELL users that the
    published numbers pin."""
    return [(v, rings) for v in range(table.shape[0]) for rings in asks
            if 0 < _vec(table, v, rings) @ table.ravel() < MIN_CELL
            and _range(a, b, _vec(table, v, rings)) < 0.5]


def test_a_shown_zero_pins_no_other_value() -> None:
    """A shown 0 says each of its rings is 0 for that value (counts are not negative): with
    two values, value 1's 0 over extended + broad pinned value 0's extended and broad rings
    (7 and 6 users) through the rings' sizes. Oracle: ``scipy.optimize.linprog``, the least
    and the most each small quantity can be given what is published, counts non-negative."""

    from recommender.query.portrait import scope_suppression

    table = np.array([[8, 7, 6, 12, 5], [6, 0, 0, 14, 3]], np.int64)
    scopes = list(SCOPES.values())
    hide = scope_suppression(table, scopes, MIN_CELL, keep=(6, 3))
    a, b = _published(table, scopes, hide)
    for r in (1, 2):  # value 0's extended and broad rings: 7 and 6 users
        assert _range(a, b, _vec(table, 0, (r,))) > 0.5, r


def test_a_hidden_cell_forced_to_zero_is_read_as_zero() -> None:
    """Film 8928967's gender over both rankings' rings met (the demo's, viewers ranked out):
    core + extended shows M 56 and F 43 of its 99 users, so X's hidden cell there is 0 and
    so is X's core; core + extended + broad less extended + broad gives M's core 11, and
    the core's 20 users less 11 gave F's core: 9 users. A reader's 0 was only a shown 0.
    Oracle: ``scipy.optimize.linprog``, the least and the most each small quantity (a
    value's users in a ring, a published ring set, a scope or outside it) can be given
    what is published, counts non-negative."""

    from recommender.query.portrait import scope_suppression

    table = np.array([[9, 3, 31, 139, 724, 21, 61, 187, 225],
                      [11, 8, 37, 142, 803, 9, 56, 223, 231],
                      [0, 0, 0, 13, 45, 0, 3, 9, 10]], np.int64)
    scopes = [(0,), (0, 1, 2), (0, 1, 2, 3), (1, 2), (1, 2, 3), (3,), (0, 1, 2, 3, 4), (5,),
              (5, 6), (0, 1, 5, 6, 7), (6,), (0, 1, 6, 7), (0, 1, 7), tuple(range(9))]
    sets = [(0,), (1, 2), (3,), (4,), (5, 6, 7, 8), (5,), (6,), (0, 1, 7), (2, 3, 4, 8)]
    guard = [np.isin(np.arange(9), s) for s in sets] + [np.zeros(9, bool)]
    hide = scope_suppression(table, scopes, MIN_CELL, (6, 1, 13, 8), guard, np.array(guard))
    a, b = _published(table, scopes, hide, guard)  # the published sizes: the guarded sets'
    every = tuple(range(table.shape[1]))
    asks = [(r,) for r in every] + sets + scopes
    asks += [tuple(sorted(set(every) - set(s))) for s in scopes]
    assert not _pinned(table, a, b, asks)


def test_an_empty_ring_is_read_as_zero_for_every_value() -> None:
    """An empty core (its size 0 is published) is 0 for each value, though no value's own
    cells say so: with it, value 1's 3 users in the broad ring were worked out (found by
    comparing random tables with linear programmes, counts non-negative)."""

    from recommender.query.portrait import scope_suppression

    table = np.array([[0, 33, 0, 38, 73], [0, 50, 3, 11, 22]], np.int64)
    scopes = list(SCOPES.values())
    hide = scope_suppression(table, scopes, MIN_CELL, keep=(6, 3))
    a, b = _published(table, scopes, hide)
    asks = [(r,) for r in range(table.shape[1])] + scopes
    asks += [tuple(sorted(set(range(table.shape[1])) - set(s))) for s in scopes]
    assert not _pinned(table, a, b, asks)


def test_a_zero_forced_across_values_and_rings_is_read() -> None:
    """Rings of 4, 58 and 4 users: value 1's core + extended (23) and extended + broad (19)
    were shown, so its core is 4 more than its broad ring; the core holds 4 users, so value
    1's core is the whole core and its broad ring 0 (value 0's core + value 1's broad ring
    is 0: a 0 no one line forces). The attack gave value 1's 4 users in the core and value
    0's 4 in the broad ring. Oracle: ``scipy.optimize.linprog``, counts non-negative."""

    from recommender.query.portrait import scope_suppression

    table = np.array([[0, 39, 4, 88], [4, 19, 0, 42]], np.int64)
    scopes = list(SCOPES.values())
    hide = scope_suppression(table, scopes, MIN_CELL, keep=(6, 3))
    a, b = _published(table, scopes, hide)
    every = tuple(range(table.shape[1]))
    asks = [(r,) for r in every] + scopes
    asks += [tuple(sorted(set(every) - set(s))) for s in scopes]
    assert not _pinned(table, a, b, asks)


@pytest.mark.parametrize("seed", range(3))
def test_forced_zeros_are_those_no_solution_makes_positive(seed: int) -> None:
    """``forced_zeros`` against one linear programme per count (the most it can be, given
    what is published, counts non-negative): forced exactly when that most is 0."""
    from scipy.optimize import linprog

    from recommender.query.forced_zeros import forced_zeros

    rng = np.random.default_rng(seed)
    scopes = list(SCOPES.values())
    member = np.zeros((len(scopes), 4), bool)
    for s, rings in enumerate(scopes):
        member[s, list(rings)] = True
    checked = 0
    while checked < 40:
        nv = int(rng.integers(2, 4))
        table = np.where(rng.random((nv, 4)) < 0.4, 0, rng.integers(1, 30, (nv, 4)))
        hide = rng.random((len(scopes), nv)) < 0.6
        got = forced_zeros(table, member, hide, np.eye(4, dtype=bool))
        a, b = _published(table, scopes, hide)
        for i in range(table.size):
            most = -linprog(-np.eye(table.size)[i], A_eq=a, b_eq=b, bounds=(0, None),
                            method="highs").fun
            assert got.ravel()[i] == (most < 0.5), (table.tolist(), i)
        checked += 1
