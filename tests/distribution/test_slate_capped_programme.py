"""What programme a slate with a ``max_screens`` solves, said as it is: a film its cap holds
back is fixed at exactly its cap, and the least deviation is sought under that, which can be
more than the least within the bounds alone (a walk found 32.470694 where ``milp`` within
the bounds found 32.305380, the film capped at 10 taking 8). Unbounded slates and minimums
alone are the least deviation within their bounds. Oracle: the textbook integer programme
(``scipy.optimize.milp``) on the same targets."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import synthetic_model
from test_slate import absolute_value_milp

from recommender.distribution.slate import SlateFilm, _targets, _weights, plan_slate, solve
from recommender.distribution.slate_units import SLATE_UNITS
from recommender.io.places import Cinemas


def _case(seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    demand = rng.gamma(0.8, 3.0, size=(25, 4)) * (rng.random((25, 4)) > 0.2)
    return demand, rng.integers(2, 9, size=25)


@pytest.mark.parametrize("seed", [0, 2, 3, 4])
def test_a_capped_film_is_fixed_at_its_cap_and_the_rest_is_least_deviation(seed: int) -> None:
    demand, screens = _case(seed)
    lo = np.array([0, 10, 0, 0], np.int64)
    hi = np.array([30.0, np.inf, np.inf, 6.0])
    x = solve(demand, screens, lo, hi)
    w = _weights(demand, screens, lo, hi)
    target = _targets(demand, screens, w)
    objective = float(np.abs(x - target).sum())
    held = (w < 1.0) & np.isfinite(hi)
    assert held[0] and held[3]  # both caps hold their films back (demand scaled down)
    assert (x.sum(axis=0)[held] == hi[held]).all()  # exactly their caps
    fixed = np.where(held, hi, lo)
    assert objective == pytest.approx(absolute_value_milp(target, screens, fixed, hi),
                                      abs=1e-6)
    # within the bounds alone the least is lower: the capped films' thin targets round down
    within = absolute_value_milp(target, screens, lo, hi)
    assert within < objective - 1e-3


@pytest.mark.parametrize("lo", [[0, 0, 0, 0], [0, 40, 0, 5]])
def test_unbounded_and_minimum_only_slates_are_least_deviation_within_their_bounds(
        lo: list[int]) -> None:
    demand, screens = _case(4)
    low, hi = np.array(lo, np.int64), np.full(4, np.inf)
    x = solve(demand, screens, low, hi)
    target = _targets(demand, screens, _weights(demand, screens, low, hi), low, hi)
    assert float(np.abs(x - target).sum()) == pytest.approx(
        absolute_value_milp(target, screens, low, hi), abs=1e-6)


def test_the_units_say_which_programme_is_solved() -> None:
    said = SLATE_UNITS["objective"]
    assert ("a film its max_screens holds back is fixed at exactly that max_screens, so this "
            "is the least deviation given those totals, which can be more than the least "
            "within the bounds alone") in said
    m = synthetic_model(n_users=200, n_films=6, seed=1)
    m.user_table.attributes["cinema"] = np.array([f"c{i % 5}" for i in range(200)])
    cinemas = Cinemas(np.array([f"c{i}" for i in range(5)]), np.full(5, ""), np.full(5, ""),
                      np.full(5, 4, np.int64), np.zeros(5, np.int64), "given")
    body = plan_slate(m, [SlateFilm(str(m.films.ids[0]), 0, 3), SlateFilm(str(m.films.ids[1]))],
                      cinemas, min_cell=1)
    assert body["units"]["objective"] == said
    assert body["films"][0]["screens"] == 3  # held to its cap: exactly it
