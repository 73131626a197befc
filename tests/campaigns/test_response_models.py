"""The simulator's overdispersed responses (``response_models``) have the planted mean and
spread: oracles are the Beta and log-normal moments (a user's true probability has mean p and
variance rho p (1 - p); a place's factor has mean 1 and variance exp(sd^2) - 1) and the counts
they imply (beta-binomial and shared-factor variances); with no overdispersion the draws are
``simulate.respond``'s, number for number."""

from __future__ import annotations

import math
from types import SimpleNamespace
from typing import cast

import numpy as np
import pyarrow as pa
import pytest

from recommender.campaigns.events import EventBatch
from recommender.campaigns.plan import PLAN_SCHEMA
from recommender.campaigns.report import compute_report
from recommender.campaigns.response_models import (
    ResponseModel,
    beta_quantiles,
    place_labels,
    planted_rates,
    respond_with,
    true_probabilities,
)
from recommender.campaigns.simulate import Truth, planted_uplift, respond
from recommender.errors import InvalidParameterError
from recommender.model.model import Model

N = 200_000


@pytest.mark.parametrize("rho", [0.01, 0.05, 0.2])
@pytest.mark.parametrize("p", [0.03, 0.2, 0.5])
def test_a_user_s_true_probability_has_the_beta_s_mean_and_variance(p: float, rho: float
                                                                     ) -> None:
    rng = np.random.default_rng(1)
    q = true_probabilities(np.full(N, p), np.arange(N), np.zeros(N, np.int64),
                           ResponseModel(rho=rho), rng)
    var = rho * p * (1 - p)  # Beta(p (1 - rho) / rho, (1 - p) (1 - rho) / rho)
    assert abs(q.mean() - p) < 5 * math.sqrt(var / N)
    assert q.var() == pytest.approx(var, rel=0.03)
    assert ((q >= 0) & (q <= 1)).all()


@pytest.mark.parametrize("rho", [0.05, 0.2])
def test_one_user_s_rows_respond_with_the_beta_binomial_spread(rho: float) -> None:
    """m rows of one user (same p) convert Binomial-like with variance m p (1 - p) (1 + (m - 1)
    rho), the beta-binomial's; rows of different users are independent."""
    m, p, users = 5, 0.2, 100_000
    rng = np.random.default_rng(2)
    user = np.repeat(np.arange(users), m)
    q = true_probabilities(np.full(users * m, p), user, np.zeros(users * m, np.int64),
                           ResponseModel(rho=rho), rng)
    conv = rng.random(users * m) < q
    counts = np.bincount(user, weights=conv, minlength=users)
    assert counts.mean() == pytest.approx(m * p, rel=0.01)
    assert counts.var() == pytest.approx(m * p * (1 - p) * (1 + (m - 1) * rho), rel=0.03)
    # one row per user: a Bernoulli(p) draw whatever rho (the spread needs a shared user)
    first = conv[::m].astype(float)
    assert first.var() == pytest.approx(p * (1 - p), rel=0.02)
    pairs = conv.reshape(users, m)
    assert np.corrcoef(pairs[:, 0], pairs[:, 1])[0, 1] == pytest.approx(rho, abs=0.012)
    shuffled = pairs[rng.permutation(users), 1]  # another user's row
    assert abs(np.corrcoef(pairs[:, 0], shuffled)[0, 1]) < 0.012


@pytest.mark.parametrize("sd", [0.1, 0.3])
def test_a_place_s_factor_is_log_normal_with_mean_one_shared_by_its_users(sd: float) -> None:
    places, per = 50_000, 4
    p = 0.01  # never capped at 1
    rng = np.random.default_rng(3)
    place = np.repeat(np.arange(places), per)
    q = true_probabilities(np.full(places * per, p), np.arange(places * per), place,
                           ResponseModel(shock_sd=sd), rng)
    factor = q.reshape(places, per) / p
    assert (factor == factor[:, :1]).all()  # every user of a place, the same factor
    f = factor[:, 0]
    assert abs(f.mean() - 1) < 5 * math.sqrt((math.exp(sd * sd) - 1) / places)
    assert np.log(f).std() == pytest.approx(sd, rel=0.02)
    assert f.var() == pytest.approx(math.exp(sd * sd) - 1, rel=0.05)


def test_a_place_s_count_has_the_shared_factor_s_extra_variance() -> None:
    """n users of a place, each converting with p times the place's factor: the count's
    variance is n p (1 - p) + n (n - 1) p^2 (exp(sd^2) - 1), not the binomial's n p (1 - p)."""
    n, p, sd, places = 50, 0.1, 0.3, 40_000
    rng = np.random.default_rng(4)
    place = np.repeat(np.arange(places), n)
    q = true_probabilities(np.full(places * n, p), np.arange(places * n), place,
                           ResponseModel(shock_sd=sd), rng)
    counts = np.bincount(place, weights=rng.random(places * n) < q, minlength=places)
    assert counts.mean() == pytest.approx(n * p, rel=0.01)
    want = n * p * (1 - p) + n * (n - 1) * p * p * (math.exp(sd * sd) - 1)
    assert counts.var() == pytest.approx(want, rel=0.04)


def test_both_multiply_the_beta_draw_by_the_place_s_factor() -> None:
    p, rho, sd = 0.1, 0.05, 0.3
    rng = np.random.default_rng(5)
    q = true_probabilities(np.full(N, p), np.arange(N), np.arange(N),
                           ResponseModel(rho=rho, shock_sd=sd), rng)
    # independent x (Beta: mean p, E[x^2] = rho p (1 - p) + p^2) and f (mean 1,
    # E[f^2] = exp(sd^2)); capped at 1 with negligible probability at p = 0.1
    assert abs(q.mean() - p) < 5 * q.std() / math.sqrt(N)
    assert q.var() == pytest.approx(
        math.exp(sd * sd) * (rho * p * (1 - p) + p * p) - p * p, rel=0.04)


def test_beta_quantiles_keep_certain_and_impossible_rows() -> None:
    u = np.array([0.01, 0.5, 0.99])
    assert beta_quantiles(np.array([0.0, 1.0, 0.0]), 0.2, u).tolist() == [0.0, 1.0, 0.0]
    assert beta_quantiles(np.array([0.3, 0.3, 0.3]), 0.0, u).tolist() == [0.3, 0.3, 0.3]
    inner = beta_quantiles(np.array([0.3, 0.3, 0.3]), 0.2, u)
    assert inner[0] < inner[1] < inner[2]  # monotone in the user's quantile


def _truth_and_rows(users: int = 400, films: int = 3) -> tuple[Truth, pa.Table]:
    rng = np.random.default_rng(6)
    ids = np.array([f"u{i:03d}" for i in range(users)])
    film_ids = [f"f{j}" for j in range(films)]
    p0 = rng.uniform(0.01, 0.3, (users, films))
    bought = rng.random((users, films)) < 0.05
    truth = Truth(ids, film_ids, p0, np.minimum(p0 + 0.1, 1.0), bought,
                  EventBatch([], [], [], [], []))
    n = users  # each user once, a film and a group each, two waves
    table = pa.table({
        "plan_id": ["plan-x"] * n, "film_id": [film_ids[i % films] for i in range(n)],
        "user_id": ids[rng.permutation(users)].tolist(),
        "wave": [1 + (i % 2) for i in range(n)],
        "group": ["target" if i % 3 else "control" for i in range(n)],
        "rank": list(range(1, n + 1)), "p": [0.1] * n, "expected_value": [0.1] * n},
        schema=PLAN_SCHEMA)
    return truth, table


@pytest.mark.parametrize("given", [None, ResponseModel(), ResponseModel(rho=0.0, shock_sd=0.0)])
def test_without_overdispersion_the_draws_are_respond_s(given: ResponseModel | None) -> None:
    """The default path: the same conversions and planted p as ``simulate.respond`` from the
    same generator, which is left in the same state (a loop of draws stays the same)."""
    truth, rows = _truth_and_rows()
    a, b = np.random.default_rng(7), np.random.default_rng(7)
    for waves in (1, 2, 1):
        conv, p, q = respond_with(truth, rows, a, given, waves=waves)
        old_conv, old_p = respond(truth, rows, b, waves=waves)
        assert conv.tolist() == old_conv.tolist() and p.tolist() == old_p.tolist()
        assert q.tolist() == p.tolist()
    assert a.random() == b.random()


def test_respond_is_independent_draws_with_the_planted_p() -> None:
    """``simulate.respond`` itself, against the truth's arrays: targets p1, controls p0, none
    for a film bought or a wave not sent."""
    truth, rows = _truth_and_rows()
    d = rows.to_pydict()
    u = [int(x[1:]) for x in d["user_id"]]
    f = [int(x[1:]) for x in d["film_id"]]
    want = np.array([(truth.p1 if g == "target" else truth.p0)[i, j] * (not truth.bought[i, j])
                     * (w <= 1) for i, j, g, w in zip(u, f, d["group"], d["wave"], strict=True)])
    conv, p = respond(truth, rows, np.random.default_rng(8))
    assert np.array_equal(p, want)
    assert np.array_equal(conv, np.random.default_rng(8).random(len(want)) < want)


def test_a_shock_moves_targets_and_controls_of_a_place_alike() -> None:
    truth, rows = _truth_and_rows()
    places = np.array(["North", "South"])[np.arange(len(truth.user_ids)) % 2]
    _, p, q = respond_with(truth, rows, np.random.default_rng(9), ResponseModel(shock_sd=0.5),
                           places, waves=2)
    user = np.array([int(x[1:]) for x in rows.column("user_id").to_pylist()])
    live = p > 0
    for k in (0, 1):
        ratio = q[live & (user % 2 == k)] / p[live & (user % 2 == k)]
        assert np.allclose(ratio, ratio[0])  # one factor per place, whatever the group
    assert not np.isclose(q[live & (user % 2 == 0)][0] / p[live & (user % 2 == 0)][0],
                          q[live & (user % 2 == 1)][0] / p[live & (user % 2 == 1)][0])


def test_planted_rates_are_the_report_s_two_rates() -> None:
    """Oracle: rows whose p is 0 or 1 convert exactly as p says, so the report's rates are the
    estimands themselves; their difference is ``planted_uplift``."""
    rng = np.random.default_rng(10)
    n = 600
    p = (rng.random(n) < 0.3).astype(float)
    target = rng.random(n) < 0.7
    film = rng.choice(["a", "b", "c", "d"], n, p=[0.6, 0.3, 0.08, 0.02])
    film[(film == "d") & ~target] = "c"  # film d: targets without controls, left out
    rows = pa.table({
        "plan_id": ["plan-x"] * n, "film_id": film.tolist(),
        "user_id": [f"u{i}" for i in range(n)], "wave": [1] * n,
        "group": np.where(target, "target", "control").tolist(),
        "rank": list(range(1, n + 1)), "p": [0.1] * n, "expected_value": [0.1] * n},
        schema=PLAN_SCHEMA)
    overall = compute_report(rows, p > 0.5)["overall"]
    t, c = planted_rates(p, target, film)
    assert t == pytest.approx(overall["target_rate"]["estimate"], abs=1e-6)
    assert c == pytest.approx(overall["control_rate"]["estimate"], abs=1e-6)
    assert t - c == pytest.approx(planted_uplift(p, target, film), abs=1e-12)
    assert all(math.isnan(x) for x in planted_rates(p[target], target[target]))


@pytest.mark.parametrize(("rho", "sd", "said"), [
    (1.0, 0.0, "rho"), (-0.1, 0.0, "rho"), (math.nan, 0.0, "rho"),
    (0.0, -0.1, "shock_sd"), (0.0, math.inf, "shock_sd"), (0.0, math.nan, "shock_sd")])
def test_a_bad_strength_is_refused_naming_it(rho: float, sd: float, said: str) -> None:
    with pytest.raises(InvalidParameterError, match=said):
        ResponseModel(rho=rho, shock_sd=sd)


def test_a_shock_without_places_and_an_unknown_place_attribute_are_refused() -> None:
    truth, rows = _truth_and_rows()
    with pytest.raises(InvalidParameterError, match="needs the users' places"):
        respond_with(truth, rows, np.random.default_rng(0), ResponseModel(shock_sd=0.1))
    with pytest.raises(InvalidParameterError, match="one per user of the truth"):
        respond_with(truth, rows, np.random.default_rng(0), ResponseModel(shock_sd=0.1),
                     np.array(["x"]))
    model = cast(Model, SimpleNamespace(
        n_users=len(truth.user_ids) - 1, users=SimpleNamespace(ids=truth.user_ids[:-1]),
        user_table=SimpleNamespace(attributes={"region": np.array(["N", ""] * 199 + ["S"])})))
    labels = place_labels(model, truth, "region")
    assert labels.tolist() == ["N", ""] * 199 + ["S", ""]  # the last user: a newcomer
    with pytest.raises(InvalidParameterError, match="no such attribute .*region"):
        place_labels(model, truth, "cinema")
    with pytest.raises(InvalidParameterError, match="need the demo folder"):
        place_labels(model, truth, "group")
