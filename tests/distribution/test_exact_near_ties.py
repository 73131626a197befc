"""Near-tied scores ranked alike by the audience, the planner and every distribution forecast.

The factors are built so that a float32 sum of the products loses a tiny term beside 1 and
-1 (``1 + 2**-26`` is 1 in float32): summed in float32 every such user scores 0 and ties with
the others, while the exact dot product, rounded to float32 as the audience settles it, ranks
them apart. The distribution scored with a float32 product (``user_factors @ film``) and so
shared one mean p among users the planner and the audience rank apart; the oracle here sums
each user's products exactly (``math.fsum``) and ranks user by user."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest
from helpers import synthetic_model

from recommender.campaigns.probabilities import slate_candidates
from recommender.distribution.demand import (
    cold_start_demand,
    cold_start_probabilities,
    demand_by_place,
)
from recommender.distribution.slate import cinema_demand
from recommender.kernels.exact_scores import exact_scores
from recommender.kernels.ranking import exact_dots
from recommender.model import calibration
from recommender.model.model import Model
from recommender.query.audience import cold_start_audience, film_audience

TINY = [2.0**-27, 2.0**-26, 3 * 2.0**-27, 0.0]  # each lost beside 1 in float32


@pytest.fixture(scope="module")
def model() -> Model:
    base = synthetic_model(n_users=24, n_films=2, factors=3, density=0.0, seed=4)
    rows = []
    for u in range(24):
        if u % 3 == 2:  # plainly ordered users around the near ties
            rows.append([0.25 * (u - 12) / 12, 0.0, 0.0])
        else:  # 1 + tiny - 1: 0 in float32, the tiny term exactly
            rows.append([1.0, TINY[u % 4], -1.0])
    uf = np.asarray(rows, np.float32)
    ff = np.asarray([[1.0, 1.0, 1.0], [0.5, -1.0, 2.0]], np.float32)
    m = replace(base, user_factors=uf, film_factors=ff)
    # the near-tied users of each tiny term in a cinema of their own
    cinema = np.asarray([f"c{int(np.flatnonzero(np.asarray(TINY) == TINY[u % 4])[0])}"
                         if u % 3 != 2 else "plain" for u in range(24)])
    m.user_table.attributes["cinema"] = cinema.astype(str)
    return m


def oracle_scores(model: Model, vector: np.ndarray) -> np.ndarray:
    """Each user's exact dot product (``math.fsum`` of the float64 products, exact for
    float32 factors), rounded to float32."""
    v = [float(x) for x in np.asarray(vector, np.float64)]
    return np.asarray([math.fsum(float(a) * b for a, b in zip(row, v, strict=True))
                       for row in np.asarray(model.user_factors, np.float64)], np.float32)


def oracle_p(model: Model, f: int, scores: np.ndarray, cand: np.ndarray) -> np.ndarray:
    """Each user's p (0 for viewers): the mean of ``p_at`` over the ranks its run of equal
    scores spans among the candidates, user by user."""
    n = len(cand)
    p = np.zeros(model.n_users)
    for u in cand.tolist():
        higher = int((scores[cand] > scores[u]).sum())
        equal = int((scores[cand] == scores[u]).sum())
        p[u] = calibration.p_at(model.calibration, f, np.arange(higher, higher + equal) / n).mean()
    return p


def per_cinema(model: Model, p: np.ndarray) -> dict[str, float]:
    cinema = model.user_table.attributes["cinema"]
    return {str(c): float(p[cinema == c].sum()) for c in np.unique(cinema)}


def test_the_factors_tie_in_float32_and_not_exactly(model: Model) -> None:
    """The premise: a float32 product ties users the exact scores rank apart."""
    naive = np.asarray(model.user_factors @ model.film_factors[0], np.float32)
    exact = oracle_scores(model, model.film_factors[0])
    near = np.arange(24) % 3 != 2
    assert len(np.unique(naive[near])) < len(np.unique(exact[near]))


@pytest.mark.parametrize("f", [0, 1])
def test_distribution_expected_new_is_the_planners_p_summed(model: Model, f: int) -> None:
    film = str(model.films.ids[f])
    viewers = model.film_viewers(f)
    cand = np.setdiff1d(np.arange(model.n_users), viewers)
    truth = per_cinema(model, oracle_p(model, f, oracle_scores(model, model.film_factors[f]),
                                       cand))
    planned = slate_candidates(model, np.array([f]), progress=False)
    planner = per_cinema(model, np.nan_to_num(planned.p[0]))
    body = demand_by_place(model, film, "cinema", min_cell=1)
    shown = {row["place"]: row["expected_new"] for row in body["places"]}
    assert set(shown) == set(truth)
    for place, value in truth.items():
        assert planner[place] == pytest.approx(value, abs=1e-12), place
        assert shown[place] == pytest.approx(value, abs=6e-4), place
    # the slate's cinema table: the same demand, unrounded
    ids = np.asarray(sorted(truth), dtype=str)
    demand, _, _ = cinema_demand(model, [film], ids)
    np.testing.assert_allclose(demand[:, 0], [truth[c] for c in ids.tolist()], atol=1e-12)


@pytest.mark.parametrize("f", [0, 1])
def test_the_planners_ranks_are_the_audiences(model: Model, f: int) -> None:
    page = film_audience(model, str(model.films.ids[f]), k=model.n_users)
    planned = slate_candidates(model, np.array([f]), progress=False)
    np.testing.assert_array_equal(planned.rank[0, page.user_idx], page.rank)
    exact = oracle_scores(model, model.film_factors[f])
    np.testing.assert_array_equal(page.score, exact[page.user_idx])


def test_cold_start_ranks_and_probabilities_follow_the_exact_scores(model: Model) -> None:
    """A new film like film 0 alone (its vector, exactly, and its calibration): the
    cold-start audience ranks users by the exact scores (ties by lower index), and the
    cold-start forecast's p is film 0's calibration over those ranks, every user a
    candidate."""
    film = str(model.films.ids[0])
    exact = oracle_scores(model, model.film_factors[0])
    order = np.lexsort((np.arange(model.n_users), -exact))
    page = cold_start_audience(model, [film], k=model.n_users)
    np.testing.assert_array_equal(page.user_idx, order)
    truth = oracle_p(model, 0, exact, np.arange(model.n_users))
    p, _ = cold_start_probabilities(model, [film], [])
    np.testing.assert_allclose(p, truth, atol=1e-12)
    body = cold_start_demand(model, [film], [], "cinema", min_cell=1)
    shown = {row["place"]: row["expected_new"] for row in body["places"]}
    for place, value in per_cinema(model, truth).items():
        assert shown[place] == pytest.approx(value, abs=6e-4), place


def test_exact_scores_are_exact_dots_bit_for_bit() -> None:
    """The shared kernel against the audience's ``exact_dots``: on random factors, on the
    near ties above, and with every entry summed again (a bound so loose all are redone)."""
    rng = np.random.default_rng(7)
    rows = rng.normal(size=(500, 16)).astype(np.float32)
    vecs = rng.normal(size=(5, 16)).astype(np.float32)
    want = np.stack([exact_dots(rows, np.arange(500), v) for v in vecs])
    np.testing.assert_array_equal(exact_scores(rows, vecs), want)
    np.testing.assert_array_equal(exact_scores(rows, vecs, 1e12), want)
    near = np.asarray([[1.0, t, -1.0] for t in TINY], np.float32)
    one = np.ones(3, np.float32)
    np.testing.assert_array_equal(exact_scores(near, one)[0], exact_dots(near, np.arange(4), one))
