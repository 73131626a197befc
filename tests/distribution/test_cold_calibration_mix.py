"""A new film's probabilities mix its comparable films' own calibrations by their weights (and
each genre's nearest films' by cosine), so its forecast moves continuously with the weights:
the one known film nearest its taste lent them before, and the figure jumped where that film
changed (162.6, 53.0, 20.8 users on the demo as a weight went 0.6, 0.5, 0.3). Oracle: the
float64 taste vector, cosines and ``calibration.p_at`` recomputed here, user by user."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from helpers import brute_order
from service_fixtures import GENRES, build_model

from recommender.distribution.demand import cold_start_demand
from recommender.model import calibration
from recommender.model.model import Model

A, B = 10, 13  # two films of build_model(0) whose nearest film changes along the sweep
GENRE = GENRES[0]


@pytest.fixture(scope="module")
def model() -> Model:
    m = build_model(0)
    assert calibration.has_model(m.calibration)  # a per-film calibration to borrow
    return m


def genre_members(model: Model) -> list[int]:
    return [f for f in range(model.n_films)
            if GENRE in str(model.catalog.genres[f]).split("|")]


def p_by_rank(model: Model, film: int) -> np.ndarray:
    n = model.n_users
    return calibration.p_at(model.calibration, film, np.arange(n) / n)


def oracle(model: Model, parts: dict[int, float], genre_mix: dict[int, float] | None = None
           ) -> tuple[dict[str, float], dict[str, float]]:
    """Each region's expected new viewers of a new film like ``parts`` (film index -> weight;
    ``genre_mix``: the films and weights of one genre at weight 1), and the calibration mix."""
    ff = np.asarray(model.film_factors, np.float64)
    uf = np.asarray(model.user_factors, np.float64)
    vecs, ws = [ff[f] for f in parts], list(parts.values())
    mix: dict[int, float] = {f: w for f, w in parts.items()}
    if genre_mix is not None:
        members = genre_members(model)
        vecs.append(ff[members].mean(axis=0))
        ws.append(1.0)
        for f, w in genre_mix.items():
            mix[f] = mix.get(f, 0.0) + w
    w = np.asarray(ws) / np.sum(ws)
    vec = w @ np.vstack(vecs)
    scores = (uf @ vec).astype(np.float32)
    order = brute_order(scores, np.arange(model.n_users))
    total = sum(mix.values())
    p = sum(v / total * p_by_rank(model, f) for f, v in mix.items())
    regions = model.user_table.attributes["region"][order]
    by_place = {str(r): float(p[regions == r].sum()) for r in np.unique(regions)}
    return by_place, {str(model.films.ids[f]): v / total for f, v in mix.items()}


def one_stand_in(model: Model, parts: dict[int, float]) -> float:
    """The old rule's total: the p of the known film nearest the weighted mean taste."""
    ff = np.asarray(model.film_factors, np.float64)
    w = np.asarray(list(parts.values()))
    vec = w @ ff[list(parts)] / w.sum()
    units = ff / np.linalg.norm(ff, axis=1)[:, None]
    return float(p_by_rank(model, int(np.argmax(units @ (vec / np.linalg.norm(vec))))).sum())


def places(body: dict[str, Any]) -> dict[str, float]:
    return {r["place"]: r["expected_new"] for r in body["places"]}


def test_the_forecast_moves_continuously_with_a_comparable_films_weight(model: Model) -> None:
    a, b = (str(model.films.ids[f]) for f in (A, B))
    steps = np.round(np.arange(1.0, 0.295, -0.01), 2)
    totals, old = [], []
    for s in steps.tolist():
        body = cold_start_demand(model, {a: s, b: 1.0}, [], "region", min_cell=1)
        want, mix = oracle(model, {A: s, B: 1.0})
        got = places(body)
        assert set(got) == set(want)
        for place, value in want.items():
            assert got[place] == pytest.approx(value, abs=2e-3), (s, place)
        assert body["cold_start"]["calibrated_from"] == pytest.approx(mix, abs=1e-6)
        # the largest share first, and calibrated_as names it
        assert list(body["cold_start"]["calibrated_from"]) == sorted(mix, key=lambda f: -mix[f])
        assert body["cold_start"]["calibrated_as"] == max(mix, key=lambda f: mix[f])
        totals.append(body["expected_new"])
        old.append(one_stand_in(model, {A: s, B: 1.0}))
    # the scenario is one where the one stand-in jumped (by a third of its figure or more)
    old_steps = np.abs(np.diff(old)) / np.mean(old)
    assert old_steps.max() > 0.3
    # a 0.01 change of one weight moves the mix by at most ~0.5%: no step of the forecast
    # is more than 1% of it
    new_steps = np.abs(np.diff(totals)) / np.mean(totals)
    assert new_steps.max() < 0.01, new_steps.max()


def test_a_genre_lends_the_calibrations_of_the_films_nearest_its_taste(model: Model) -> None:
    """A genre (weight 1, as in the taste vector) lends the mix of the 5 known films nearest
    its mean taste, each weighted by its cosine less the 6th's."""
    ff = np.asarray(model.film_factors, np.float64)
    members = genre_members(model)
    assert members
    g = ff[members].mean(axis=0)
    cos = (ff / np.linalg.norm(ff, axis=1)[:, None]) @ (g / np.linalg.norm(g))
    order = sorted(range(model.n_films), key=lambda f: (-cos[f], f))
    floor = cos[order[5]]
    genre_mix = {f: float(cos[f] - floor) for f in order[:5]}
    s = sum(genre_mix.values())
    genre_mix = {f: v / s for f, v in genre_mix.items()}
    a = str(model.films.ids[A])
    body = cold_start_demand(model, {a: 0.5}, [GENRE], "region", min_cell=1)
    want, mix = oracle(model, {A: 0.5}, genre_mix)
    for place, value in want.items():
        assert places(body)[place] == pytest.approx(value, abs=2e-3), place
    # the model's unit vectors are float32: the cosines' differences carry ~1e-5
    assert body["cold_start"]["calibrated_from"] == pytest.approx(mix, abs=1e-4)
    assert body["cold_start"]["comparable_films"] == {a: 0.5}  # the weights given
    # genres alone: the genre's films only
    alone = cold_start_demand(model, [], [GENRE], "region", min_cell=1)
    assert alone["cold_start"]["calibrated_from"] == pytest.approx(
        {str(model.films.ids[f]): v for f, v in genre_mix.items()}, abs=1e-4)
