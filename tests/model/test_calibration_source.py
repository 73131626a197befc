"""A model's horizon says what its probabilities were measured on: the held-out slice's
conversions of ranked candidates (``held_out_conversions``), the films they fall on
(``films_converted``) and the films ranked (``films_measured``), as fields and in its
description (it said "N conversions of M films", M the films ranked, most without one).
Before, a summary's tiers gave a conversion with its days only: the measurement's size was
said, in words, below 100 conversions alone."""

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
    assert 0 < h["films_converted"] <= h["films_measured"]
    assert (f"measured on {hits:,} held-out conversions (on {h['films_converted']:,} films) "
            f"over {h['films_measured']:,} films ranked" in h["description"]), h["description"]
    summary = audience_summary(model, str(model.films.ids[0]))
    assert summary["horizon"] == h  # the source of every tier's expected_conversion


def test_no_holdout_has_no_measurement() -> None:
    h = calibration.horizon({})
    assert h["calibrated"] is False
    assert h["held_out_conversions"] is None and h["films_measured"] is None
    assert h["films_converted"] is None


def test_a_model_trained_before_the_films_converted_were_counted() -> None:
    """calibration.json without films_converted (a model trained before it): the count is
    null and the description names the films ranked alone, never as films converted."""
    model = train(_log(), TrainConfig(factors=8, iterations=5, segments=3, tune=False),
                  progress=False)
    old = {k: v for k, v in model.calibration.items() if k != "films_converted"}
    h = calibration.horizon(old)
    hits = int(np.sum(old["hits"]))
    assert h["films_converted"] is None
    assert (f"measured on {hits:,} held-out conversions over {h['films_measured']:,} films "
            "ranked" in h["description"]), h["description"]


def test_the_measurement_is_counted_from_the_holdout_itself() -> None:
    """The oracle counts from the log, not from the stored rank bins: the latest 10% of the
    interactions (timestamps all distinct) are the holdout; a conversion is a held-out pair
    of a user and a film both seen before the cut, the user not having watched the film
    before it (a rewatch merges into the first watch), counted once; the films measured are
    those watched before the cut (all of them ranked: under 600, none of their candidates
    tie)."""
    base = _log()
    users = np.asarray(base.users.ids)[base.user_idx].tolist()
    films = np.asarray(base.films.ids)[base.film_idx].tolist()
    ts = np.asarray(base.timestamp, np.int64).tolist()
    late = max(ts) + 60
    rng = np.random.default_rng(5)
    extra = [(users[i], films[i]) for i in rng.choice(len(users), 40, replace=False)]  # rewatches
    extra += [("newcomer", films[0]), (users[0], "brand-new film")] * 2  # unknown before the cut
    for j, (u, f) in enumerate(extra):
        users.append(u)
        films.append(f)
        ts.append(late + 60 * j)
    data = Interactions.from_columns(pa.array(users), pa.array(films),
                                     timestamp=np.array(ts, np.int64), source="random")
    model = train(data, TrainConfig(factors=8, iterations=5, segments=3, tune=False,
                                    holdout=0.1), progress=False)
    first: dict[tuple[str, str], int] = {}  # a pair watched again is one, of its first time
    for u, f, t in zip(users, films, ts, strict=True):
        first[(u, f)] = min(t, first.get((u, f), t))
    k = int(round(len(first) * 0.1))
    cut = sorted(first.values())[len(first) - k]
    fit = {pair for pair, t in first.items() if t < cut}
    held = {pair for pair, t in first.items() if t >= cut}
    known_users = {u for u, _ in fit}
    fit_films = {f for _, f in fit}
    conversions = {(u, f) for u, f in held
                   if u in known_users and f in fit_films and (u, f) not in fit}
    h = calibration.horizon(model.calibration)
    assert len(conversions) >= calibration.FEW_HITS
    converted = {f for _, f in conversions}  # the films the conversions fall on
    assert len(converted) < len(fit_films)  # the log tells the two counts apart
    assert (h["held_out_conversions"], h["films_measured"], h["films_converted"]) == (
        len(conversions), len(fit_films), len(converted))
    assert (f"{len(conversions):,} held-out conversions (on {len(converted):,} films) over "
            f"{len(fit_films):,} films ranked" in h["description"]), h["description"]
