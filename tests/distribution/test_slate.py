"""A slate's screens per cinema (``recommender.distribution.slate``): the integer programme
against brute-force enumeration, the bounds, the files, and the body on a synthetic model."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from helpers import synthetic_model

from recommender.distribution.demand import demand_by_place
from recommender.distribution.slate import (
    SlateFilm,
    _targets,
    _weights,
    plan_slate,
    solve,
)
from recommender.distribution.slate_file import read_slate
from recommender.errors import DataError, InvalidParameterError
from recommender.io.places import Cinemas


def brute(target: np.ndarray, screens: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> float:
    """The least total |x - target| over every allocation that fills each cinema exactly and
    keeps each film's total within its bounds."""
    n_f = target.shape[1]
    per_cinema = [[a for a in itertools.product(range(s + 1), repeat=n_f) if sum(a) == s]
                  for s in screens.tolist()]
    best = np.inf
    for choice in itertools.product(*per_cinema):
        x = np.array(choice)
        totals = x.sum(axis=0)
        if (totals >= lo).all() and (totals <= hi).all():
            best = min(best, float(np.abs(x - target).sum()))
    return best


@pytest.mark.parametrize("seed", range(8))
def test_solver_matches_brute_force(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n_c, n_f = int(rng.integers(2, 4)), int(rng.integers(2, 4))
    demand = rng.gamma(1.0, 3.0, size=(n_c, n_f)) * (rng.random((n_c, n_f)) > 0.2)
    screens = rng.integers(1, 5, size=n_c)
    lo = rng.integers(0, 3, size=n_f)
    hi = lo + rng.integers(1, 6, size=n_f)
    if lo.sum() > screens.sum() or hi.sum() < screens.sum():
        with pytest.raises(InvalidParameterError):
            solve(demand, screens, lo, hi.astype(float))
        return
    x = solve(demand, screens, lo, hi.astype(float))
    assert (x.sum(axis=1) == screens).all()
    assert (x.sum(axis=0) >= lo).all() and (x.sum(axis=0) <= hi).all()
    w = _weights(demand, screens, lo, hi.astype(float))
    target = _targets(demand, screens, w, lo, hi.astype(float))
    # the targets: each cinema's screens in proportion to w x demand (equally by w without
    # demand), and w is 1 but for a film whose total target sits on one of its bounds; films
    # of infinite w (minimums no finite factors meet, alone or together) take every screen
    # where they have demand, the others none there
    top = np.isinf(w)
    own = np.where(demand.sum(axis=1, keepdims=True) > 0, demand, 1.0)
    theirs = (own[:, top] > 0).any(axis=1)
    dw = own[~theirs][:, ~top] * w[~top]
    assert np.allclose(target[~theirs][:, ~top],
                       screens[~theirs, None] * dw / dw.sum(axis=1, keepdims=True))
    assert np.allclose(target[theirs][:, top].sum(axis=1), screens[theirs])
    assert np.allclose(target.sum(axis=1), screens)
    totals = target.sum(axis=0)
    held = ~np.isclose(w, 1.0)
    assert np.all(np.isclose(totals[held], lo[held]) | np.isclose(totals[held], hi[held])
                  | (totals[held] < lo[held]) | (totals[held] > hi[held]))
    # a film its cap holds back (w < 1) gets exactly its cap, a bound, not a thin target
    capped = (w < 1.0) & np.isfinite(hi)
    lo_eff = np.where(capped, hi, lo) if np.where(capped, hi, lo).sum() <= screens.sum() else lo
    assert (x.sum(axis=0)[capped] == hi[capped]).all() or lo_eff is lo
    assert float(np.abs(x - target).sum()) == pytest.approx(
        brute(target, screens, lo_eff, hi), abs=1e-6)


def absolute_value_milp(target: np.ndarray, screens: np.ndarray, lo: np.ndarray,
                        hi: np.ndarray) -> float:
    """The least total |x - target| by the textbook integer programme: whole x, one
    continuous deviation e >= |x - target| per cell (an oracle written apart from ``solve``)."""
    import scipy.sparse as sp
    from scipy.optimize import Bounds, LinearConstraint, milp

    n_c, n_f = target.shape
    n = n_c * n_f
    eye = sp.identity(n, format="csr")
    rows = sp.kron(sp.identity(n_c), np.ones((1, n_f)))
    cols = sp.kron(np.ones((1, n_c)), sp.identity(n_f))
    a = sp.vstack([sp.hstack([rows, sp.csr_matrix((n_c, n))]),
                   sp.hstack([cols, sp.csr_matrix((n_f, n))]),
                   sp.hstack([eye, eye]), sp.hstack([-eye, eye])], format="csr")
    t = target.ravel()
    res = milp(np.concatenate([np.zeros(n), np.ones(n)]),
               constraints=LinearConstraint(a, np.concatenate([screens, lo, t, -t]),
                                            np.concatenate([screens, hi, np.full(2 * n, np.inf)])),
               integrality=np.concatenate([np.ones(n), np.zeros(n)]),
               bounds=Bounds(0, np.inf), options={"mip_rel_gap": 0})
    assert res.x is not None
    return float(res.fun)


@pytest.mark.parametrize("seed", range(6))
def test_solver_matches_the_textbook_integer_programme(seed: int) -> None:
    # larger than brute force reaches: 40 cinemas x 5 films, some films bounded
    rng = np.random.default_rng(100 + seed)
    demand = rng.gamma(0.7, 3.0, size=(40, 5)) * (rng.random((40, 5)) > 0.3)
    screens = rng.integers(1, 12, size=40)
    lo = np.array([0, 0, int(screens.sum() // 4), 0, 0], np.int64)
    hi = np.array([np.inf, float(screens.sum() // 10), np.inf, np.inf, 3.0])
    x = solve(demand, screens, lo, hi)
    assert (x >= 0).all() and (x.sum(axis=1) == screens).all()
    assert (x.sum(axis=0) >= lo).all() and (x.sum(axis=0) <= hi).all()
    w = _weights(demand, screens, lo, hi)
    target = _targets(demand, screens, w)
    capped = (w < 1.0) & np.isfinite(hi)
    lo_eff = np.where(capped, hi, lo) if np.where(capped, hi, lo).sum() <= screens.sum() else lo
    assert float(np.abs(x - target).sum()) == pytest.approx(
        absolute_value_milp(target, screens, lo_eff, hi), abs=1e-6)


def test_without_bounds_each_cinema_takes_its_largest_remainders() -> None:
    # no film bounded: the programme splits by cinema, where floor(target) plus one screen to
    # each of the largest fractional parts is optimal (2,000 cinemas x 12 films)
    rng = np.random.default_rng(7)
    demand = rng.gamma(0.7, 3.0, size=(2000, 12))
    screens = rng.integers(1, 25, size=2000)
    x = solve(demand, screens, np.zeros(12, np.int64), np.full(12, np.inf))
    target = _targets(demand, screens)
    floor = np.floor(target)
    left = (screens - floor.sum(axis=1)).astype(int)
    frac = np.sort(target - floor, axis=1)[:, ::-1]
    # at the floor a cell deviates by its fractional part f; one more screen makes it 1 - f
    best = frac.sum(axis=1) + left - 2 * np.array([frac[c, :k].sum() for c, k in enumerate(left)])
    assert (x.sum(axis=1) == screens).all()
    assert float(np.abs(x - target).sum()) == pytest.approx(float(best.sum()), abs=1e-6)


def test_a_capped_film_gets_its_cap_not_thin_targets() -> None:
    """Two films of equal demand at 10 cinemas of 5 screens, one capped at 4: its scaled
    targets (0.4 a cinema) rounded to nothing everywhere, so the cap gave it 0 screens."""
    x = solve(np.ones((10, 2)), np.full(10, 5), np.zeros(2, np.int64), np.array([4.0, np.inf]))
    assert x[:, 0].sum() == 4 and x[:, 1].sum() == 46


def test_a_capped_films_spare_screens_go_in_proportion_to_demand() -> None:
    """A film held to its cap has its demand scaled by one factor at every cinema: the
    factor is the root of its total target = cap, found here by bisection, and the others
    share the rest in proportion to their demand. Against unscaled targets every spare screen
    deviated alike, and the film whose targets round to nothing took one at each cinema."""
    rng = np.random.default_rng(3)
    n_c = 12
    demand = np.column_stack([rng.uniform(40, 60, n_c), rng.uniform(1, 2, n_c),
                              rng.uniform(25, 35, n_c)])
    screens = np.full(n_c, 6)
    cap = 20
    lo, hi = np.zeros(3, np.int64), np.array([cap, np.inf, np.inf])
    x = solve(demand, screens, lo, hi)
    assert x[:, 0].sum() == cap

    def capped_total(f: float) -> float:
        d = demand * np.array([f, 1.0, 1.0])
        return float((screens * d[:, 0] / d.sum(axis=1)).sum())
    a, b = 1e-9, 1.0
    for _ in range(200):
        a, b = (a, (a + b) / 2) if capped_total((a + b) / 2) > cap else ((a + b) / 2, b)
    d = demand * np.array([a, 1.0, 1.0])
    expected = screens[:, None] * d / d.sum(axis=1, keepdims=True)
    assert np.allclose(_targets(demand, screens, _weights(demand, screens, lo, hi)), expected,
                       atol=1e-6)
    small = expected[:, 1].sum()  # about 1.6 screens in all
    assert x[:, 1].sum() <= np.ceil(small) + 1 < n_c


def test_bounds_that_cannot_hold() -> None:
    d = np.ones((2, 2))
    with pytest.raises(InvalidParameterError, match="min_screens add up to 7, more than the 4"):
        solve(d, np.array([2, 2]), np.array([4, 3]), np.array([9.0, 9.0]))
    with pytest.raises(InvalidParameterError, match="max_screens add up to 2, fewer than the 4"):
        solve(d, np.array([2, 2]), np.array([0, 0]), np.array([1.0, 1.0]))


def test_read_slate(tmp_path: Path) -> None:
    p = tmp_path / "slate.csv"
    p.write_text("film_id,min_screens,max_screens\n007,2,\nA B,,5\n")
    assert read_slate(p) == [SlateFilm("007", 2, None), SlateFilm("A B", 0, 5)]
    p.write_text("film_id\nx\n")
    assert read_slate(p) == [SlateFilm("x")]
    for text, message in [("id\nx\n", "line 1.*film_id"),
                          ("film_id,min_screens\nx,-1\n", "line 2.*whole number"),
                          ("film_id,min_screens,max_screens\nx,3,2\n", "line 2.*below"),
                          ("film_id\nx\nx\n", "line 3.*repeated"),
                          ("film_id\n", "no film"),
                          # superscript digits pass str.isdigit; int() refused them
                          ("film_id,min_screens\nx,\u00b2\n", r"line 2.*from 0 to 2147483647"),
                          ("film_id,max_screens\nx,99999999999999999999\n",
                           r"line 2: max_screens must be a whole number from 0 to 2147483647 "
                           r"or empty, got '99999999999999999999'"),
                          ("film_id,max_screens\nx,2147483648\n", "line 2.*got '2147483648'"),
                          # a typo used to drop the bound silently
                          ("film_id,max_screen\nx,3\n", r"line 1: unknown column 'max_screen'"),
                          ("film_id,max_screens,max_screens\nx,3,9\n",
                           r"line 1: the header names the column 'max_screens' more than once"),
                          ("film_id,film_id\nx,x\n", "line 1.*'film_id' more than once")]:
        p.write_text(text)
        with pytest.raises(DataError, match=message) as e:
            read_slate(p)
        assert str(e.value).startswith(f"{p}, line ")
    p.write_text("film_id,max_screens\nx,2147483647\n")
    assert read_slate(p) == [SlateFilm("x", 0, 2**31 - 1)]


def test_plan_slate_on_a_model() -> None:
    model = synthetic_model(n_users=300, n_films=20, seed=2)
    cinema = np.array(["c1"] * 150 + ["c2"] * 140 + ["c3"] * 10)
    model.user_table.attributes["cinema"] = cinema
    cinemas = Cinemas(np.array(["c1", "c2", "c3", "c4"]), np.full(4, ""), np.full(4, ""),
                      np.array([4, 3, 2, 1]), np.array([400, 300, 200, 100]))
    films = [SlateFilm(str(model.films.ids[0]), 2, None),
             SlateFilm(str(model.films.ids[1]), 0, 4), SlateFilm(str(model.films.ids[2]))]
    body = plan_slate(model, films, cinemas, min_cell=20)
    assert body["screens"] == 10 and body["cinemas"] == 4
    assert body["cinemas_without_users"] == ["c4"]  # named by no user: a typo would show
    assert any(r["cinema_id"] == "c4" for r in body["allocation"])  # its row is met
    assert all(f["expected_new_hidden_cinemas"] == 2 for f in body["films"])  # c2, c3 only
    per_cinema: dict[str, int] = {}
    for r in body["allocation"]:
        per_cinema[r["cinema_id"]] = per_cinema.get(r["cinema_id"], 0) + r["screens"]
        # c3 has 10 users (< min_cell 20), so a film's breakdown by cinema pools it with the
        # next smallest (c2) into "other": their attendance is not shown; c4 has no user, so
        # nothing to hide: 0 (it read null, "hidden", while no film counted it hidden)
        assert (r["expected_new"] is None) == (r["cinema_id"] in ("c2", "c3"))
        if r["cinema_id"] == "c4":
            assert r["expected_new"] == 0.0 and isinstance(r["expected_new"], float)
    assert per_cinema == {"c1": 4, "c2": 3, "c3": 2, "c4": 1}
    totals = {f["film_id"]: f["screens"] for f in body["films"]}
    assert totals[films[0].film_id] >= 2 and totals[films[1].film_id] <= 4
    assert sum(totals.values()) == 10
    # every number has a unit: the objective is in screens, and equals the deviation from the
    # demand-proportional targets recomputed from the rows
    numeric = {k for k, v in body.items() if isinstance(v, int | float)}
    assert numeric <= set(body["units"]) and body["units"]["objective"].startswith("screens:")
    assert {f"films.{k}" for k in ("screens", "expected_new")} <= set(body["units"])
    demand = {(r["cinema_id"], r["film_id"]): r["expected_new"] for r in body["allocation"]}
    shown = [c for c in ("c1",) if all((c, f.film_id) in demand for f in films)]
    assert shown  # c1 shows its demand; the objective covers it and c2-c4 too
    assert body["objective"] >= sum(
        abs(r["screens"] - dict(c1=4)[r["cinema_id"]] * r["expected_new"]
            / sum(demand[(r["cinema_id"], f.film_id)] for f in films))
        for r in body["allocation"] if r["cinema_id"] in shown) - 1e-3


def test_ties_go_to_the_film_in_demand() -> None:
    # targets 6, 3, 1; the second film may have none, so its 3 screens can go to the first or
    # the third at the same deviation (3): they go to the first, the one in demand
    x = solve(np.array([[6.0, 3.0, 1.0]]), np.array([10]), np.zeros(3, np.int64),
              np.array([np.inf, 0.0, np.inf]))
    assert x.tolist() == [[9, 0, 1]]


def test_cinemas_without_demand_do_not_depend_on_the_slate_order() -> None:
    # cinemas no user names have no demand: any split of their screens deviates the same,
    # and the one given does not depend on the order the slate lists the films in
    model = synthetic_model(n_users=120, n_films=10, seed=4)
    model.user_table.attributes["cinema"] = np.array(["c1"] * 120)
    cinemas = Cinemas(np.array(["c1", "zz1", "zz2"]), np.full(3, ""), np.full(3, ""),
                      np.array([3, 4, 3]), np.array([300, 400, 300]))
    films = [SlateFilm(str(f)) for f in model.films.ids[:3]]
    one = plan_slate(model, films, cinemas)
    other = plan_slate(model, films[::-1], cinemas)

    def cells(body: dict[str, Any]) -> set[tuple[str, str, int]]:
        return {(r["cinema_id"], r["film_id"], r["screens"]) for r in body["allocation"]}
    assert cells(one) == cells(other)
    assert one["cinemas_without_users"] == ["zz1", "zz2"]
    for c, total in (("zz1", 4), ("zz2", 3)):  # an equal split, give or take the odd screen
        got = [n for cc, _, n in cells(one) if cc == c]
        assert sum(got) == total and max(got) - min(got) <= 1 and len(got) == 3


@pytest.mark.parametrize("min_cell", [1, 20, 60, 141, 300])
def test_no_hidden_cinema_figure_is_a_difference_of_published_ones(min_cell: int) -> None:
    """The differencing oracle: a film's slate total less its shown cinemas, or the "other" of
    its breakdown by cinema less the slate's shown cinemas, never isolates a cinema hidden for
    having fewer than min_cell users. The slate hides exactly what the breakdown pools, and its
    total covers the shown cinemas only (it once summed the hidden ones in)."""
    model = synthetic_model(n_users=300, n_films=20, seed=2)
    model.user_table.attributes["cinema"] = np.array(
        ["c1"] * 150 + ["c2"] * 125 + ["c3"] * 15 + ["c5"] * 10)
    cinemas = Cinemas(np.array(["c1", "c2", "c3", "c4", "c5"]), np.full(5, ""), np.full(5, ""),
                      np.array([4, 3, 2, 1, 1]), np.array([400, 300, 200, 100, 100]))
    films = [SlateFilm(str(model.films.ids[j])) for j in range(3)]
    body = plan_slate(model, films, cinemas, min_cell=min_cell)
    for f in body["films"]:
        breakdown = demand_by_place(model, f["film_id"], "cinema", min_cell=min_cell)
        pooled = {"c1", "c2", "c3", "c5"} - {p["place"] for p in breakdown["places"]}
        rows = {r["cinema_id"]: r["expected_new"] for r in body["allocation"]
                if r["film_id"] == f["film_id"]}
        hidden = {c for c, v in rows.items() if v is None} - {"c4"}  # c4: named by nobody
        assert hidden <= pooled  # what the slate hides, the breakdown pools
        shown_rows = {c: v for c, v in rows.items() if v is not None}
        # every shown figure is the breakdown's own, and the total is over shown cinemas only
        by_place = {p["place"]: p["expected_new"] for p in breakdown["places"]}
        for c, v in shown_rows.items():  # c4, named by nobody, reads 0: no users
            assert v == pytest.approx(by_place.get(c, 0.0) if c != "c4" else 0.0, abs=2e-3)
        shown_all = [c for c in ("c1", "c2", "c3", "c5") if c not in pooled]
        assert f["expected_new"] == pytest.approx(sum(by_place[c] for c in shown_all),
                                                  abs=5e-3)
        assert f["expected_new_hidden_cinemas"] == len(pooled)


def test_a_slate_film_with_nothing_fitted_carries_the_note() -> None:
    """A film whose vector has nothing fitted shares screens by user counts, not taste: its
    slate row says so (the CLI prints it on stderr); the others carry none. Its expected new
    viewers are its mean p times its candidates, as the distribution breakdown gives."""
    model = synthetic_model(n_users=300, n_films=20, seed=2)
    model.user_table.attributes["cinema"] = np.array(["c1"] * 150 + ["c2"] * 150)
    model.film_factors = np.asarray(model.film_factors).copy()
    model.film_factors[1] = 0.0
    cinemas = Cinemas(np.array(["c1", "c2"]), np.full(2, ""), np.full(2, ""),
                      np.array([3, 3]), np.array([300, 300]))
    films = [SlateFilm(str(model.films.ids[j])) for j in range(3)]
    body = plan_slate(model, films, cinemas, min_cell=1)
    notes = [f["note"] for f in body["films"]]
    assert notes[1] is not None and "nothing fitted" in notes[1]
    assert notes[0] is None and notes[2] is None
    breakdown = demand_by_place(model, films[1].film_id, "cinema", min_cell=1)
    assert breakdown["note"] == notes[1]
    assert body["films"][1]["expected_new"] == pytest.approx(breakdown["expected_new"], abs=2e-3)


def test_a_spreadsheets_slate_and_cinemas_with_semicolons(tmp_path: Path) -> None:
    # a ';'-separated export (where the comma is the decimal mark) was refused: "the header
    # must name film_id"
    from recommender.io.places import read_cinemas

    slate = tmp_path / "slate.csv"
    slate.write_text("Film_ID;Min_Screens;Max_Screens\n0042;1;3\n", encoding="utf-8")
    assert read_slate(slate) == [SlateFilm("0042", 1, 3)]
    cinemas = tmp_path / "cinemas.csv"
    cinemas.write_text("cinema_id;screens\nc1;4\nc2;2\n", encoding="utf-8")
    got = read_cinemas(cinemas)
    assert list(got.ids) == ["c1", "c2"] and list(got.screens) == [4, 2]


def test_cinemas_without_demand_share_their_screens_equally_over_the_films() -> None:
    # 280 cinemas no user names (every split of their screens deviates alike) beside 20
    # with demand: the LP's vertex dealt their spare screens to the same films at every
    # cinema (one film 149 screens, another 387, each's equal share 256.3)
    rng = np.random.default_rng(0)
    screens = rng.integers(1, 21, size=300)
    demand = np.zeros((300, 12))
    demand[:20] = rng.gamma(1.0, 1.0, size=(20, 12))
    x = solve(demand, screens, np.zeros(12, np.int64), np.full(12, np.inf))
    assert (x.sum(axis=1) == screens).all()
    without = x[20:].sum(axis=0)
    assert without.max() - without.min() <= 1, without
    # the deviation is still the least: the same as the targets' largest remainders
    target = _targets(demand, screens)
    floor = np.floor(target)
    left = (screens - floor.sum(axis=1)).astype(int)
    frac = np.sort(target - floor, axis=1)[:, ::-1]
    best = frac.sum(axis=1) + left - 2 * np.array([frac[c, :k].sum() for c, k in enumerate(left)])
    assert float(np.abs(x - target).sum()) == pytest.approx(float(best.sum()), abs=1e-6)


def test_a_hidden_cinemas_screens_follow_its_pool_not_its_users() -> None:
    """One user alone at a cinema: its expected_new is hidden, but with 2^31-1 screens its
    allocation gave that user's demand for each film to 8 digits. Its screens now follow
    the summed demand of every hidden cinema (the pool a film's breakdown shows as
    "other")."""
    from recommender.distribution.slate import cinema_demand

    model = synthetic_model(n_users=300, n_films=12, seed=3)
    cinema = np.array(["big"] * 200 + ["mid"] * 92 + ["small"] * 7 + ["solo"], dtype=str)
    model.user_table.attributes["cinema"] = cinema
    films = [SlateFilm(f) for f in model.films.ids[:3]]
    huge = 2**31 - 1
    cinemas = Cinemas(np.array(["big", "mid", "small", "solo"]), np.full(4, ""),
                      np.full(4, ""), np.array([10, 6, 4, huge], np.int64),
                      np.zeros(4, np.int64))
    body = plan_slate(model, films, cinemas, min_cell=10)
    hidden = {r["cinema_id"] for r in body["allocation"] if r["expected_new"] is None}
    assert "solo" in hidden and "big" not in hidden
    demand, _, _ = cinema_demand(model, [f.film_id for f in films], cinemas.ids)
    rows = [i for i, c in enumerate(cinemas.ids) if c in hidden]
    pool = demand[rows].sum(axis=0) / demand[rows].sum()
    own = demand[3] / demand[3].sum()
    got = np.array([next((r["screens"] for r in body["allocation"]
                          if r["cinema_id"] == "solo" and r["film_id"] == f.film_id), 0)
                    for f in films]) / huge
    assert np.allclose(got, pool, atol=1e-8)
    assert np.abs(own - pool).max() > 1e-3  # the user's own shares are not what shows


def test_a_hidden_cinemas_screens_do_not_depend_on_the_other_cinemas_named() -> None:
    """The pool a hidden cinema shares its screens by is the model's (every cinema a film's
    breakdown pools into "other"), not the request's hidden cinemas: a request naming one
    hidden cinema alone gave its users' demand for each film to 8 digits, and two requests
    differing by one hidden cinema gave that cinema's."""
    from recommender.distribution.slate import cinema_demand

    model = synthetic_model(n_users=300, n_films=12, seed=3)
    cinema = np.array(["big"] * 200 + ["mid"] * 92 + ["small"] * 7 + ["solo"], dtype=str)
    model.user_table.attributes["cinema"] = cinema
    films = [SlateFilm(f) for f in model.films.ids[:3]]
    huge = 2**31 - 1

    def solo_share(names: list[str]) -> np.ndarray:
        n = len(names)
        cinemas = Cinemas(np.array(names), np.full(n, ""), np.full(n, ""),
                          np.full(n, huge, np.int64), np.zeros(n, np.int64))
        body = plan_slate(model, films, cinemas, min_cell=10)
        return np.array([next((r["screens"] for r in body["allocation"]
                               if r["cinema_id"] == "solo" and r["film_id"] == f.film_id), 0)
                         for f in films]) / huge

    alone, with_small = solo_share(["solo"]), solo_share(["small", "solo"])
    demand, _, _ = cinema_demand(model, [f.film_id for f in films], np.array(["solo"]))
    own = demand[0] / demand[0].sum()
    assert np.abs(alone - own).max() > 1e-3  # the user's own shares do not show
    assert np.allclose(alone, with_small, atol=1e-8)  # nor does the difference of two


def test_films_with_equal_shares_take_the_spare_screens_in_turn() -> None:
    # two films with the same demand at every cinema: each cinema's spare screen deviates
    # alike whichever of the two takes it, and the LP's vertex gave it to the same film at
    # every cinema (one film 300 screens, the other 200); they now take it in turn
    rng = np.random.default_rng(1)
    d = rng.gamma(1.0, 1.0, size=(100, 1))
    screens = np.full(100, 5)
    x = solve(np.hstack([d, d]), screens, np.zeros(2, np.int64), np.full(2, np.inf))
    # targets 2.5 and 2.5: 2 + 3 or 3 + 2 at each cinema, and as often one as the other
    assert set(map(tuple, x.tolist())) <= {(2, 3), (3, 2)}
    assert abs(int(x[:, 0].sum()) - int(x[:, 1].sum())) <= 1, x.sum(axis=0)
    # beside a third film of a different share (targets 2.4, 2.4, 1.2 of 6 screens): the
    # spare screen goes to one of the two tied films, in turn, never to the third
    demand = np.hstack([d, d, 0.5 * d])
    x3 = solve(demand, np.full(100, 6), np.zeros(3, np.int64), np.full(3, np.inf))
    assert set(map(tuple, x3.tolist())) <= {(3, 2, 1), (2, 3, 1)}
    assert abs(int(x3[:, 0].sum()) - int(x3[:, 1].sum())) <= 1, x3.sum(axis=0)


def test_equal_shares_take_turns_when_they_tie_at_every_other_cinema_only() -> None:
    # the two films tie at the even cinemas only (at the odd ones the second has 3x the
    # demand): the turn counted every cinema, so at the tied ones the first film always came
    # first and took every spare screen (150 screens to 100)
    rng = np.random.default_rng(1)
    d = rng.gamma(1.0, 1.0, size=(100, 1))
    demand = np.hstack([d, d])
    demand[1::2, 1] *= 3.0
    x = solve(demand, np.full(100, 5), np.zeros(2, np.int64), np.full(2, np.inf))
    tied = x[0::2]
    assert set(map(tuple, tied.tolist())) <= {(2, 3), (3, 2)}
    assert abs(int(tied[:, 0].sum()) - int(tied[:, 1].sum())) <= 1, tied.sum(axis=0)


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_quoted_ids_with_line_breaks_are_kept_byte_for_byte(tmp_path: Path,
                                                           newline: str) -> None:
    """A slate's film_id and a cinema_id are kept byte for byte, as the campaign slate, the
    training log and cinemas named by users keep them: both files were read with universal
    newlines, which turned a CR inside a quoted id into an LF (cinema "C\\r2" read as a
    cinema no user names, film "a\\rb" refused as the unknown "a\\nb")."""
    from recommender.io.places import read_cinemas

    slate = tmp_path / "slate.csv"
    slate.write_bytes(newline.join(["film_id,max_screens", '"a\rb",3', '"c\r\nd",', '"e\nf",1',
                                    ""]).encode())
    assert [f.film_id for f in read_slate(slate)] == ["a\rb", "c\r\nd", "e\nf"]
    cinemas = tmp_path / "cinemas.csv"
    cinemas.write_bytes(newline.join(["\ufeffcinema_id,screens", '"C\r2",4', '"C\r\n3",2',
                                      "C4,1", ""]).encode())
    assert list(read_cinemas(cinemas).ids) == ["C\r2", "C\r\n3", "C4"]
    cinemas.write_bytes(newline.join(["cinema_id,screens", '"C\r2",4', "C4,x", ""]).encode())
    with pytest.raises(DataError, match=r"line 4: screens must be a whole number"):
        read_cinemas(cinemas)  # the line an editor shows: the quoted CR ends line 2


def test_a_pool_of_every_cinema_under_min_cell_shows_no_users_demand() -> None:
    """One user names a cinema and 299 none: the pool of every cinema is that one user, so
    sharing the cinema's 2^31-1 screens by the pool's demand gave the user's demand for each
    film to 8 digits (and no screen to a film they watched). Such a pool shares as a cinema
    no user names: equally."""
    model = synthetic_model(n_users=300, n_films=12, seed=3)
    model.user_table.attributes["cinema"] = np.array(["solo"] + [""] * 299, dtype="<U8")
    films = [SlateFilm(f) for f in model.films.ids[:3]]
    huge = 2**31 - 1
    cinemas = Cinemas(np.array(["solo"]), np.full(1, ""), np.full(1, ""),
                      np.array([huge], np.int64), np.zeros(1, np.int64))
    from recommender.distribution.slate import cinema_demand

    demand, _, _ = cinema_demand(model, [f.film_id for f in films], cinemas.ids)
    assert demand[0].sum() > 0 and np.ptp(demand[0]) > 0  # the user's own demand differs
    body = plan_slate(model, films, cinemas, min_cell=10)
    got = [r["screens"] for r in body["allocation"]]
    assert len(got) == 3 and max(got) - min(got) <= 1
    assert all(r["expected_new"] is None for r in body["allocation"])


def test_the_screens_solve_runs_off_the_main_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    """Python acts on a signal in the main thread only: a Ctrl-C during a slate's one HiGHS
    solve (18 s on 400 films x 1,667 cinemas) waited for its end, as the planner's rounds did.
    The solve runs in a thread the main thread waits on; what it raises is raised here."""
    import threading

    import recommender.distribution.slate as slate

    real = slate.linprog
    on_main: list[bool] = []

    def spy(*args: Any, **kwargs: Any) -> Any:
        on_main.append(threading.current_thread() is threading.main_thread())
        return real(*args, **kwargs)

    monkeypatch.setattr(slate, "linprog", spy)
    x = solve(np.ones((10, 2)), np.full(10, 5), np.zeros(2, np.int64), np.array([4.0, np.inf]))
    # ten identical cinemas: one class's programme, its capped film's 4 screens dealt to
    # them in turn (slate_classes), and its tie stage (slate_lex), off the main thread
    assert on_main in ([False], [False, False]) and x.sum() == 50 and x[:, 0].sum() <= 4

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise MemoryError("HiGHS")

    monkeypatch.setattr(slate, "linprog", broken)
    with pytest.raises(MemoryError, match="HiGHS"):
        solve(np.ones((10, 2)), np.full(10, 5), np.zeros(2, np.int64), np.array([4.0, np.inf]))
