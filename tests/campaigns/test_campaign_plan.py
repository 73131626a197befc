"""``plan_slate`` end to end on a small model, against independent oracles: brute-force
audience ranks, ``p_at`` at those ranks, the brute-force budget rule (a budget counts target
rows, the control group on top: ``campaign_oracles``) and HiGHS's MILP on the whole problem
with those selection sizes."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from campaign_oracles import (
    brute_phase,
    brute_selection_size,
    brute_targets,
    brute_wave_controls,
)
from helpers import brute_audience, synthetic_model, tie_mean_p
from test_campaign_allocation import milp_optimum

from recommender.campaigns.plan import PLAN_COLUMNS, plan_slate
from recommender.campaigns.probabilities import slate_candidates
from recommender.campaigns.slate import MAX_BUDGET, SlateFilm
from recommender.errors import InvalidParameterError, UnknownFilmError
from recommender.model.model import Model


@pytest.fixture(scope="module")
def model() -> Model:
    return synthetic_model(n_users=300, n_films=30, seed=3)


@pytest.fixture(scope="module")
def positive_model() -> Model:
    """The same kind of model with a hit rate above 0 in every rank bin: every eligible user
    has a positive worth, so a film's selection fills up to its eligible users (pairs of
    worth 0 only fill budgets through the rank tie-break, which the plan may leave out)."""
    m = synthetic_model(n_users=300, n_films=30, seed=3)
    hits = np.round(20 * np.exp(-np.arange(1000) / 60)).astype(np.int64) + 1
    m.calibration = {"bins": 1000, "hits": hits.tolist(),
                     "candidates": np.full(1000, 50, np.int64).tolist()}
    return m


@pytest.fixture(scope="module")
def tied_model() -> Model:
    return synthetic_model(n_users=200, n_films=12, seed=4, ties=True)


def oracle_weights(model: Model, slate: list[SlateFilm], exclude: list[str]
                   ) -> tuple[np.ndarray, np.ndarray]:
    """value x p of every allowed pair and the ranks, from the brute-force audience."""
    w = np.full((len(slate), model.n_users), np.nan)
    ranks = np.zeros((len(slate), model.n_users), np.int64)
    for i, s in enumerate(slate):
        f = model.film_index(s.film_id)
        order, desc = brute_audience(model, f)
        ranks[i, order] = np.arange(1, len(order) + 1)
        w[i, order] = s.value * tie_mean_p(model, f, desc)
    for u in exclude:
        if u in model.users:
            w[:, model.user_index(u)] = np.nan
    return w, ranks


@pytest.mark.parametrize("which", ["model", "tied_model"])
def test_ranks_and_p_are_the_audience_s(which: str, request: pytest.FixtureRequest) -> None:
    m: Model = request.getfixturevalue(which)
    films = np.array([0, 5, 7, m.n_films - 1])
    cands = slate_candidates(m, films, block=3)
    for i, f in enumerate(films.tolist()):
        order, desc = brute_audience(m, f)
        assert cands.n_candidates[i] == len(order)
        assert (cands.rank[i, order] == np.arange(1, len(order) + 1)).all()
        assert np.isnan(cands.p[i, m.film_viewers(f)]).all()
        assert (cands.rank[i, m.film_viewers(f)] == 0).all()
        # users who tie share their run's mean p (the tied model has many such runs)
        np.testing.assert_allclose(cands.p[i, order], tie_mean_p(m, f, desc), rtol=1e-12)


@pytest.mark.parametrize(("cap", "seed"), [(1, 0), (2, 1), (3, 2)])
def test_plan_is_optimal_and_respects_every_constraint(model: Model, cap: int, seed: int
                                                       ) -> None:
    rng = np.random.default_rng(seed)
    films = rng.choice(model.n_films, 5, replace=False)
    slate = [SlateFilm(str(model.films.ids[f]), int(rng.integers(5, 90)),
                       float(rng.choice([1.0, 2.5, 0.5]))) for f in films]
    exclude = [str(u) for u in model.users.ids[rng.choice(model.n_users, 25, replace=False)]]
    plan = plan_slate(model, slate, cap=cap, holdout=0.2, waves=3, seed=seed,
                      exclude=[*exclude, "not-a-user"])
    rows = plan.rows.to_pydict()
    assert plan.rows.column_names == list(PLAN_COLUMNS)
    assert set(rows["plan_id"]) == {plan.plan_id}
    w, ranks = oracle_weights(model, slate, exclude)
    pos = {s.film_id: i for i, s in enumerate(slate)}
    fi = np.array([pos[f] for f in rows["film_id"]])
    ui = model.users.to_index(rows["user_id"])
    target = np.array(rows["group"]) == "target"
    assert set(rows["group"]) <= {"target", "control"}
    # nobody seen, nobody excluded, nobody twice for a film
    assert not np.isnan(w[fi, ui]).any()
    assert len(set(zip(fi.tolist(), ui.tolist(), strict=True))) == len(fi)
    # budgets count targets (controls on top, within the selection size) and the cap
    limits = np.array([brute_selection_size(s.budget, 3, 0.2, brute_phase(s.film_id))
                       for s in slate])
    assert (np.bincount(fi[target], minlength=len(slate)) <= [s.budget for s in slate]).all()
    assert (np.bincount(fi, minlength=len(slate)) <= limits).all()
    assert np.bincount(ui[target]).max() <= cap
    assert np.bincount(ui).max() <= cap  # the cap row counts every selected row
    # rank, p and expected value are the audience's
    assert (np.array(rows["rank"]) == ranks[fi, ui]).all()
    assert np.allclose(np.array(rows["expected_value"]), w[fi, ui], rtol=1e-12)
    assert np.allclose(np.array(rows["p"]) * [slate[i].value for i in fi], w[fi, ui])
    # optimal: the selected users reach the whole problem's optimum (within the 0.1%)
    best = milp_optimum(w, limits, cap)
    objective = float(w[fi, ui].sum())
    assert objective >= best * (1 - 1e-3)
    s = plan.summary
    assert s["optimality"]["objective"] == pytest.approx(objective, rel=1e-6)
    assert s["optimality"]["lp_upper_bound"] >= best * (1 - 1e-6)
    assert s["optimality"]["gap"] < 1e-3
    assert s["naive"]["objective"] <= objective + 1e-9
    assert s["parameters"]["excluded_unknown_users"] == 1
    # waves: best ranks first within each film; controls stratified per wave
    for i in range(len(slate)):
        mine = fi == i
        wv, rk = np.array(rows["wave"])[mine], np.array(rows["rank"])[mine]
        assert (np.diff(rk) > 0).all() and (np.diff(wv) >= 0).all()
        waves_of = np.unique(wv)
        assert [int((~target[mine][wv == w]).sum()) for w in waves_of] == brute_wave_controls(
            [int((wv == w).sum()) for w in waves_of], 0.2, phase=brute_phase(slate[i].film_id))
        f_sum = s["films"][i]
        assert f_sum["contacts"] == int(target[mine].sum())
        assert f_sum["contacts"] == brute_targets(int(mine.sum()), 3, 0.2,
                                                  phase=brute_phase(slate[i].film_id))
        assert (f_sum["budget"], f_sum["selected_limit"]) == (slate[i].budget, limits[i])
        assert f_sum["control"] == int((~target[mine]).sum())
        assert f_sum["expected_conversions"] == pytest.approx(
            float(np.array(rows["p"])[mine & target].sum()), abs=1e-5)
    assert s["totals"]["contacts"] == int(target.sum())


def test_ties_and_budgets_beyond_the_eligible_users(tied_model: Model) -> None:
    m = tied_model
    slate = [SlateFilm(str(m.films.ids[0]), 10_000), SlateFilm(str(m.films.ids[3]), 40)]
    plan = plan_slate(m, slate, cap=2, holdout=0.0, waves=2, seed=0)
    rows = plan.rows.to_pydict()
    first = [f["budget_exceeds_eligible"] for f in plan.summary["films"]]
    assert first == [True, False] and plan.summary["totals"]["flagged_films"] == [slate[0].film_id]
    eligible = m.n_users - len(np.unique(m.film_viewers(0)))
    assert rows["film_id"].count(slate[0].film_id) == eligible  # planned in full
    assert rows["film_id"].count(slate[1].film_id) == 40
    w, _ = oracle_weights(m, slate, [])
    fi = np.array([0 if f == slate[0].film_id else 1 for f in rows["film_id"]])
    ui = m.users.to_index(rows["user_id"])
    best = milp_optimum(w, np.array([10_000, 40]), 2)  # holdout 0: selection = budget
    assert float(w[fi, ui].sum()) >= best * (1 - 1e-3)


def _targets_and_controls(plan_rows: dict[str, list[Any]], film_id: str
                          ) -> tuple[int, list[tuple[int, int]]]:
    """(target rows, [(wave size, controls) per wave]) of one film's rows."""
    mine = np.array(plan_rows["film_id"]) == film_id
    wave = np.array(plan_rows["wave"])[mine]
    control = np.array(plan_rows["group"])[mine] == "control"
    return int((~control).sum()), [(int((wave == w).sum()), int(control[wave == w].sum()))
                                   for w in np.unique(wave).tolist()]


def test_a_budget_buys_contacts_and_the_control_group_comes_on_top(positive_model: Model
                                                                   ) -> None:
    """Holdout 0.1 and a budget of 100 on a film with plenty of eligible users: exactly 100
    targets, and round-half-up controls (of the waves so far) in the 3 waves on top of them."""
    m = positive_model
    eligible = m.n_users - np.array([len(np.unique(m.film_viewers(f)))
                                     for f in range(m.n_films)])
    f = int(np.argmax(eligible))
    assert eligible[f] >= 150
    film = str(m.films.ids[f])
    plan = plan_slate(m, [SlateFilm(film, 100)], cap=1, holdout=0.1, waves=3, seed=7)
    targets, per_wave = _targets_and_controls(plan.rows.to_pydict(), film)
    assert targets == 100
    assert len(per_wave) == 3
    phase = brute_phase(film)
    assert [c for _, c in per_wave] == brute_wave_controls([n for n, _ in per_wave], 0.1,
                                                          phase=phase)
    selected = sum(size for size, _ in per_wave)
    assert selected - sum(c for _, c in per_wave) == 100 and selected > 100
    assert selected == brute_selection_size(100, 3, 0.1, phase)
    row = plan.summary["films"][0]
    assert (row["budget"], row["contacts"], row["selected"]) == (100, 100, selected)
    assert row["selected_limit"] == selected and row["budget_exceeds_eligible"] is False
    assert plan.summary["totals"]["contacts"] == 100


@pytest.mark.parametrize(("holdout", "waves"), [(0.0, 1), (0.1, 3), (0.25, 2), (0.5, 4),
                                                (0.1, 500)])
def test_targets_are_the_budget_or_what_the_eligible_users_allow(
        positive_model: Model, holdout: float, waves: int) -> None:
    """With a cap no user can reach, each film's targets are min(budget, the targets its
    eligible users leave when all are selected), and a film is flagged exactly when its
    selection size exceeds its eligible users (budget 0 and 1 included)."""
    m = positive_model
    films = [3, 8, 15, 21, 27]
    eligible = [m.n_users - len(np.unique(m.film_viewers(f))) for f in films]
    budgets = [0, 1, eligible[2] - 2, int(eligible[3] * 0.6), eligible[4] + 5]
    slate = [SlateFilm(str(m.films.ids[f]), b) for f, b in zip(films, budgets, strict=True)]
    plan = plan_slate(m, slate, cap=len(slate), holdout=holdout, waves=waves, seed=1)
    rows = plan.rows.to_pydict()
    for i, s in enumerate(slate):
        targets, per_wave = _targets_and_controls(rows, s.film_id)
        phase = brute_phase(s.film_id)
        assert targets == min(s.budget, brute_targets(eligible[i], waves, holdout, phase=phase))
        assert [c for _, c in per_wave] == brute_wave_controls([n for n, _ in per_wave],
                                                              holdout, phase=phase)
        limit = brute_selection_size(s.budget, waves, holdout, phase)
        assert sum(size for size, _ in per_wave) == min(limit, eligible[i])
        row = plan.summary["films"][i]
        assert (row["contacts"], row["selected_limit"]) == (targets, limit)
        assert row["budget_exceeds_eligible"] == (limit > eligible[i])
    flagged = plan.summary["totals"]["flagged_films"]
    assert flagged == [s.film_id for i, s in enumerate(slate)
                       if brute_selection_size(s.budget, waves, holdout,
                                               brute_phase(s.film_id)) > eligible[i]]
    if holdout > 0 and waves <= 4:  # budget < eligible users, but not with its controls
        assert slate[2].film_id in flagged


def test_same_seed_same_plan_other_seed_other_controls(model: Model) -> None:
    slate = [SlateFilm(str(model.films.ids[i]), 60) for i in (1, 2)]
    a = plan_slate(model, slate, seed=11, plan_id="a").rows
    b = plan_slate(model, slate, seed=11, plan_id="a").rows
    c = plan_slate(model, slate, seed=12, plan_id="a").rows
    assert a.equals(b)
    assert a.column("user_id").equals(c.column("user_id"))  # the same selection...
    assert a.column("group").to_pylist() != c.column("group").to_pylist()  # ...other controls


def test_bad_input(model: Model) -> None:
    with pytest.raises(UnknownFilmError) as e:
        plan_slate(model, [SlateFilm("nope-1", 3), SlateFilm(str(model.films.ids[0]), 3),
                           SlateFilm("nope-2", 1)])
    assert "nope-1" in str(e.value) and "nope-2" in str(e.value)
    good = [SlateFilm(str(model.films.ids[0]), 3)]
    cases: list[tuple[dict[str, Any], str]] = [
        ({"cap": 0}, "cap"), ({"cap": 1001}, "cap"), ({"holdout": 1.0}, "holdout"),
        ({"waves": 0}, "waves"), ({"waves": 1001}, "waves"), ({"seed": 2**32}, "seed"),
        ({"seed": -1}, "seed")]
    for kwargs, match in cases:
        with pytest.raises(InvalidParameterError, match=match):
            plan_slate(model, good, **kwargs)
    with pytest.raises(InvalidParameterError, match="twice"):
        plan_slate(model, good + good)
    with pytest.raises(InvalidParameterError, match="no film"):
        plan_slate(model, [])
    film = str(model.films.ids[0])
    with pytest.raises(InvalidParameterError, match=r"budget .* must be in \[0, "):
        plan_slate(model, [SlateFilm(film, MAX_BUDGET + 1)])  # 10^20 overflowed int64
    with pytest.raises(InvalidParameterError, match="NUL byte"):
        plan_slate(model, good, exclude=["ok", "bad\x00id"])  # PostgreSQL cannot store it


def test_the_largest_budgets_on_a_large_slate_do_not_overflow() -> None:
    # selection sizes reach 2^52 at a holdout near 1; 2,100 of them summed past 2^63
    many = synthetic_model(n_users=60, n_films=2100, seed=5)
    slate = [SlateFilm(str(f), MAX_BUDGET) for f in many.films.ids]
    plan = plan_slate(many, slate, cap=1, holdout=0.9999, waves=1)
    totals = plan.summary["totals"]
    assert totals["selected_limit"] == sum(f["selected_limit"] for f in plan.summary["films"])
    assert totals["selected_limit"] > 2**63  # exact, no wrap
    users = plan.rows.column("user_id").to_pylist()
    assert len(users) == len(set(users)) <= 60  # cap 1: each user once


def test_without_calibration_budgets_fill_in_rank_order() -> None:
    """p is 0 everywhere without calibration: every plan is optimal, and the planner still
    fills each budget with the film's best-ranked users (the tie-break)."""
    m = synthetic_model(n_users=120, n_films=10, seed=2)
    m.calibration = {}
    plan = plan_slate(m, [SlateFilm(str(m.films.ids[0]), 20)], cap=1, holdout=0.0)
    assert plan.rows.column("rank").to_pylist() == list(range(1, 21))
    assert plan.summary["optimality"]["gap"] == 0.0
    assert plan.summary["totals"]["expected_conversions"] == 0.0


@pytest.mark.parametrize(("budget", "holdout"), [(10**9, 1 - 1e-12), (2**40 + 1, 0.5),
                                                 (MAX_BUDGET, 0.1)])
def test_huge_budgets_and_holdouts_near_one_plan_every_eligible_user(
        model: Model, budget: int, holdout: float) -> None:
    """A budget past any user count (or a holdout that needs an enormous selection) plans every
    eligible user once and is flagged, instead of overflowing the selection size."""
    film = str(model.films.ids[0])
    plan = plan_slate(model, [SlateFilm(film, budget)], cap=1, holdout=holdout, waves=3)
    row = plan.summary["films"][0]
    assert row["budget_exceeds_eligible"] and row["selected_limit"] > row["eligible_users"]
    assert row["selected"] == row["eligible_users"] == plan.rows.num_rows


def test_a_film_of_budget_0_changes_neither_the_plan_nor_its_gap() -> None:
    """A film listed with budget 0 takes no contact, so its value must not matter: with value
    1e7 (in the allowed range) its worth set the rank tie-break (1e-7 of the largest worth)
    and the pricing tolerance above the other films' worths, so the plan lost value against
    HiGHS's MILP and the summary's gap read about 0.4."""
    m = synthetic_model(n_users=60, n_films=6, factors=4, density=0.1, seed=0)
    ids = [str(i) for i in m.films.ids[:4]]
    rest = [SlateFilm(ids[1], 10, 1.0), SlateFilm(ids[2], 10, 2.0), SlateFilm(ids[3], 10, 3.0)]
    alone = plan_slate(m, rest, cap=1, holdout=0.0, waves=1, seed=1, progress=False)
    both = plan_slate(m, [SlateFilm(ids[0], 0, 1e7), *rest], cap=1, holdout=0.0, waves=1,
                      seed=1, progress=False)
    cands = slate_candidates(m, m.films.to_index(ids[1:]), progress=False)
    best = milp_optimum(cands.p * np.array([1.0, 2.0, 3.0])[:, None], np.array([10, 10, 10]), 1)
    for plan in (alone, both):
        assert plan.summary["optimality"]["objective"] == pytest.approx(best, rel=1e-9)
        assert plan.summary["optimality"]["gap"] < 1e-6
    assert both.rows.drop(["plan_id"]).equals(alone.rows.drop(["plan_id"]))


def test_values_too_far_apart_for_the_solver_are_said() -> None:
    """A film of value 1e9 beside films of value 1 (each in the allowed range): the solver's
    tolerance and the tie-break are relative to the largest worth, so the value-1 films lost
    most of their worth against HiGHS's MILP while the gap read ~1e-7, without a word. The
    summary now says so (``optimality.note``); a plan within ``VALUE_SPREAD`` has none, nor
    one whose far-off film selects nobody."""
    from recommender.campaigns.plan_summary import VALUE_SPREAD

    m = synthetic_model(n_users=60, n_films=6, factors=4, density=0.1, seed=0)
    ids = [str(i) for i in m.films.ids[:3]]
    rest = [SlateFilm(ids[1], 20, 1.0), SlateFilm(ids[2], 20, 1.0)]
    far = plan_slate(m, [SlateFilm(ids[0], 1, 1e9), *rest], cap=1, holdout=0.0, waves=1,
                     seed=1, progress=False)
    note = far.summary["optimality"]["note"]
    assert note is not None and "span 1e+09x" in note and f"{VALUE_SPREAD:g}x" in note
    for slate in ([SlateFilm(ids[0], 1, 1e3), *rest], [SlateFilm(ids[0], 0, 1e9), *rest]):
        plan = plan_slate(m, slate, cap=1, holdout=0.0, waves=1, seed=1, progress=False)
        assert plan.summary["optimality"]["note"] is None


def test_the_solve_shows_progress(model: Model, capsys: pytest.CaptureFixture[str]) -> None:
    """On a terminal ``plan`` showed a bar while it scored the slate's films, then nothing
    while HiGHS solved (six rounds of ten seconds each on 40 films x 100,000 users): the
    solver's rounds are counted on stderr too, and nothing reaches stdout."""
    slate = [SlateFilm(str(model.films.ids[f]), 40) for f in range(4)]
    plan_slate(model, slate, cap=1, progress=True)
    out, err = capsys.readouterr()
    assert "scoring" in err and "solving" in err and "candidate pairs" in err, err
    assert out == ""
    plan_slate(model, slate, cap=1, progress=False)
    assert capsys.readouterr() == ("", "")
