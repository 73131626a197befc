"""A model's horizon says what its probabilities were measured on: the held-out slice's
conversions of ranked candidates (``held_out_conversions``) over ``films_measured`` films,
as fields and in its description. Before, a summary's tiers gave a conversion with its days
only: the measurement's size was said, in words, below 100 conversions alone."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from recommender.io.dataset import Interactions
from recommender.model import calibration
from recommender.model.config import TrainConfig
from recommender.model.training import train
from recommender.query.audience import audience_summary


def _log(n_users: int = 300, n_films: int = 60, per_user: int = 25) -> Interactions:
    rng = np.random.default_rng(11)
    users, films = [], []
    pop = rng.dirichlet(np.full(n_films, 0.5))
    for u in range(n_users):
        for f in rng.choice(n_films, per_user, replace=False, p=pop):
            users.append(f"u{u}")
            films.append(f"f{f}")
    ts = rng.permutation(len(users)).astype(np.int64) * 60 + 1_600_000_000
    return Interactions.from_columns(pa.array(users), pa.array(films), timestamp=ts,
                                     source="random")


def test_the_horizon_names_its_measurement() -> None:
    model = train(_log(), TrainConfig(factors=8, iterations=5, segments=3, tune=False),
                  progress=False)
    cal = model.calibration
    hits = int(np.sum(cal["hits"]))  # the rank bins' conversions, counted as they were fitted
    assert hits >= calibration.FEW_HITS  # a measurement the description does not call rough
    h = calibration.horizon(cal)
    assert h["calibrated"] is True
    assert h["held_out_conversions"] == hits
    assert h["films_measured"] == cal["films_evaluated"] and 0 < h["films_measured"] <= 60
    assert (f"measured on {hits:,} held-out conversions of {h['films_measured']:,} films"
            in h["description"])
    summary = audience_summary(model, str(model.films.ids[0]))
    assert summary["horizon"] == h  # the source of every tier's expected_conversion


def test_no_holdout_has_no_measurement() -> None:
    h = calibration.horizon({})
    assert h["calibrated"] is False
    assert h["held_out_conversions"] is None and h["films_measured"] is None
