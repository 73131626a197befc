"""A slate's bounds against the allocation without them: a bound that allocation already meets
changes nothing, and a minimum is met where its film's audience is, not by a screen at every
cinema without demand (a minimum of 70 for a film of 60 took all 200 such cinemas)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from helpers import synthetic_model

from recommender.distribution.slate import SlateFilm, plan_slate
from recommender.io.places import Cinemas


def _slate_case(seed: int, n_films: int, empty: int) -> tuple[Any, Cinemas, list[str]]:
    """A synthetic model whose users name 6 cinemas, the screens file those and ``empty``
    more of 3 screens each that no user names, and the slate's film ids."""
    model = synthetic_model(n_users=240, n_films=max(n_films, 10), seed=seed)
    rng = np.random.default_rng(seed)
    named = [f"c{i}" for i in range(6)]
    model.user_table.attributes["cinema"] = np.asarray(named)[rng.integers(0, 6, size=240)]
    ids = named + [f"zz{i:03d}" for i in range(empty)]
    screens = np.concatenate([rng.integers(2, 9, size=6), np.full(empty, 3)])
    cinemas = Cinemas(np.asarray(ids), np.full(len(ids), ""), np.full(len(ids), ""),
                      screens.astype(np.int64), np.full(len(ids), 100))
    return model, cinemas, [str(f) for f in model.films.ids[:n_films]]


def _cells(body: dict[str, Any]) -> dict[tuple[str, str], int]:
    return {(r["cinema_id"], r["film_id"]): r["screens"] for r in body["allocation"]}


def _totals(body: dict[str, Any]) -> dict[str, int]:
    return {f["film_id"]: f["screens"] for f in body["films"]}


def _plan(model: Any, cinemas: Cinemas, ids: list[str], bounds: dict[str, tuple[int, Any]]
          ) -> dict[str, Any]:
    films = [SlateFilm(f, *bounds.get(f, (0, None))) for f in ids]
    return plan_slate(model, films, cinemas, min_cell=1)


@pytest.mark.parametrize("seed", range(6))
def test_a_bound_the_unbounded_allocation_meets_changes_nothing(seed: int) -> None:
    """The property: for every film, a min_screens at or under what it gets unbounded, or a
    max_screens at or over it, gives the very allocation of the slate without bounds (a
    minimum of 95 for a film of 108 screens rescaled its targets and gave it 962)."""
    model, cinemas, ids = _slate_case(seed, 5, 40)
    free = _plan(model, cinemas, ids, {})
    base, totals = _cells(free), _totals(free)
    rng = np.random.default_rng(100 + seed)
    for f in ids:
        n = totals[f]
        for lo in sorted({0, n, int(rng.integers(0, n + 1)), max(n - 1, 0)}):
            assert _cells(_plan(model, cinemas, ids, {f: (lo, None)})) == base, (f, lo, n)
        for hi in sorted({n, n + 1, n + int(rng.integers(0, 20))}):
            assert _cells(_plan(model, cinemas, ids, {f: (0, hi)})) == base, (f, hi, n)
    # every film bounded at once, each around its own unbounded total
    both = {f: (max(totals[f] - 1, 0), totals[f] + 1) for f in ids}
    assert _cells(_plan(model, cinemas, ids, both)) == base


@pytest.mark.parametrize("seed", range(3))
def test_a_minimum_is_met_where_the_audience_is_not_at_every_empty_cinema(seed: int) -> None:
    """200 cinemas no user names (3 screens each) beside 6 with demand, 10 films: a film's
    minimum a little over its unbounded total takes a few more screens, where its audience
    is, and at most its equal share of the empty cinemas' screens plus what it lacks (the
    rescaled factor raised its target at every empty cinema above the others', and the
    deviation counted cell by cell gave it a screen at each of the 200)."""
    model, cinemas, ids = _slate_case(seed, 10, 200)
    free = _plan(model, cinemas, ids, {})
    totals = _totals(free)
    empty = set(free["cinemas_without_users"])
    share = 3 * len(empty) / len(ids)  # each film's equal share of the empty cinemas' screens
    for f in ids:
        want = totals[f] + 10
        body = _plan(model, cinemas, ids, {f: (want, None)})
        got = _totals(body)[f]
        assert want <= got <= want + 10, (f, totals[f], got)
        at_empty = sum(n for (c, film), n in _cells(body).items() if film == f and c in empty)
        assert at_empty <= np.ceil(share) + 10, (f, at_empty, share)
        # the other films each give up a screen or two, not ~16
        others = [totals[g] - _totals(body)[g] for g in ids if g != f]
        assert max(others) <= 10, (f, others)
