"""``--min-rating`` keeps low ratings out of the fit only: a film a user rated low is still a
film they watched, so they are never in its audience, and the model folder says how many
interactions were fitted.

Oracles: the planted ratings (every low-rated pair is known), and a model trained on the liked
interactions alone (same factors: low ratings never reach the fit).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from helpers import run_cli

from recommender.errors import DataError
from recommender.io.dataset import Interactions
from recommender.model.config import TrainConfig
from recommender.model.training import train
from recommender.query.audience import audience_summary, film_audience
from recommender.query.catalog import model_info
from tests.service_fixtures import build_interactions

CONFIG = TrainConfig(factors=6, iterations=4, segments=2, holdout=0.0, tune=False, seed=2)


def rated(seed: int = 4) -> tuple[Interactions, np.ndarray]:
    """The planted log with a rating per interaction: 1 (disliked) for a seeded third of them,
    5 otherwise; and the mask of the low ones."""
    base = build_interactions(n_users=120, n_films=40, per_user=10, seed=seed)
    low = np.random.default_rng(seed).random(len(base)) < 1 / 3
    rating = np.where(low, 1.0, 5.0)
    data = Interactions.from_columns(
        pa.array(base.users.ids[base.user_idx]), pa.array(base.films.ids[base.film_idx]),
        rating=rating, catalog=base.catalog, user_table=base.user_table, source="rated")
    # from_columns keeps the rows' order when no pair repeats: the mask still lines up
    assert np.array_equal(data.films.ids[data.film_idx], base.films.ids[base.film_idx])
    return data, low


def test_a_film_rated_low_keeps_its_viewer_out_of_its_audience() -> None:
    data, low = rated()
    model = train(data, replace(CONFIG, min_rating=3.0), progress=False)
    # every interaction is a watch, the low ones included
    assert model.seen.nnz == len(data)
    for f in np.unique(data.film_idx[low]):
        film_id = str(data.films.ids[f])
        page = film_audience(model, film_id, k=model.n_users)
        listed = set(np.asarray(page.user_ids).tolist())
        disliked = set(data.users.ids[data.user_idx[low & (data.film_idx == f)]].tolist())
        assert disliked and not listed & disliked, film_id
    assert model.meta["data"]["interactions"] == len(data)
    assert model.meta["data"]["interactions_fitted"] == int((~low).sum())


def test_low_ratings_never_reach_the_fit() -> None:
    data, low = rated()
    with_filter = train(data, replace(CONFIG, min_rating=3.0), progress=False)
    liked = data.subset(~low)
    alone = train(liked, CONFIG, progress=False)
    assert np.array_equal(with_filter.user_factors, alone.user_factors)
    assert np.array_equal(with_filter.film_factors, alone.film_factors)
    assert "interactions_fitted" not in alone.meta["data"]


def test_calibration_counts_every_watch_in_its_holdout() -> None:
    """The calibration holdout is the log's (not the liked part's): the same seeded rows are
    held out whatever ``--min-rating`` says, and the films' viewers the probabilities read
    count every watch."""
    data, _ = rated()
    cfg = replace(CONFIG, holdout=0.2)
    plain = train(data, cfg, progress=False).calibration
    filtered = train(data, replace(cfg, min_rating=3.0), progress=False).calibration
    assert plain and filtered
    assert filtered["holdout"] == plain["holdout"]
    assert filtered["interactions"] == plain["interactions"] == len(data)
    assert filtered["film_viewers"] == plain["film_viewers"]


def test_nothing_liked_is_a_data_error() -> None:
    data, _ = rated()
    with pytest.raises(DataError, match="after --min-rating 6"):
        train(data, replace(CONFIG, min_rating=6.0), progress=False)


def test_films_left_without_a_liked_rating_are_counted_and_said() -> None:
    """A film every viewer rated below ``--min-rating`` gets a zero taste vector, so its
    audience comes out in no meaningful order; training records how many such films there are
    (the oracle: the planted ratings) instead of saying nothing."""
    data, low = rated(seed=5)
    films = data.films.ids[data.film_idx]
    disliked = films[0]
    rating = np.where(films == disliked, 1.0, data.rating)  # every viewer rated it low
    data = Interactions.from_columns(pa.array(data.users.ids[data.user_idx]), pa.array(films),
                                     rating=rating, catalog=data.catalog,
                                     user_table=data.user_table, source="rated")
    liked_films = set(films[rating >= 3.0].tolist())
    want = sorted(set(films.tolist()) - liked_films)
    assert disliked in want
    model = train(data, replace(CONFIG, min_rating=3.0), progress=False)
    assert model.meta["films_without_liked"]["count"] == len(want)
    assert model_info(model)["films_without_liked"] == len(want)  # /health and `info`
    for f in want:
        assert not model.film_factors[model.film_index(f)].any()
    # the film's summary says its rings are in no meaningful order; a ranked film's does not
    assert "no meaningful order" in audience_summary(model, disliked, min_cell=1)["note"]
    ranked = sorted(liked_films)[0]
    assert audience_summary(model, ranked, min_cell=1)["note"] is None
    assert "films_without_liked" not in train(data, CONFIG, progress=False).meta


def test_train_warns_of_films_left_without_a_liked_rating(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = ["user_id,film_id,rating"] + [f"u{u},f{f},{5 if f else 1}"
                                         for u in range(30) for f in range(6) if (u + f) % 3]
    log = tmp_path / "log.csv"
    log.write_text("\n".join(rows) + "\n", encoding="utf-8")
    code, out, err = run_cli(capsys, "train", "--data", log, "--out", tmp_path / "m",
                             "--min-rating", 3, "--no-tune", "--factors", 4, "--segments", 2)
    assert code == 0, err
    assert "warning: 1 film without an interaction rated at or above min_rating 3 in the fit" in err


def test_the_count_follows_what_the_model_was_fitted_on() -> None:
    """With ``warm_iterations`` 0 the calibration fit is the model, so a film whose liked
    ratings all fell in the calibration holdout has nothing fitted either; the count followed
    the whole log and missed those (278 zero vectors on ML-100K at 4, 235 counted). Oracle:
    the model's own zero film vectors (ALS leaves a film with no fitted interaction at 0)."""
    base, _ = rated(seed=6)
    n = len(base)
    # one more film, liked once, by the log's latest interaction: the holdout takes it
    users = np.append(base.users.ids[base.user_idx], base.users.ids[0])
    films = np.append(base.films.ids[base.film_idx], "late")
    data = Interactions.from_columns(pa.array(users), pa.array(films),
                                     rating=np.r_[base.rating, 5.0],
                                     timestamp=np.arange(n + 1, dtype=np.int64), source="late")
    cfg = replace(CONFIG, min_rating=3.0, holdout=0.1, warm_iterations=0)
    model = train(data, cfg, progress=False)
    assert not model.film_factors[model.film_index("late")].any()
    zero = int((~model.film_factors.any(axis=1)).sum())
    assert model.meta["films_without_liked"]["count"] == zero


def test_a_film_only_in_the_holdout_is_said_without_min_rating(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """With ``warm_iterations`` 0 and no ``--min-rating``, a film seen only in the calibration
    holdout has nothing fitted either; the warning once formatted the absent min_rating."""
    rows = ["user_id,film_id,timestamp"] + [f"u{u},f{f},{u * 10 + f}" for u in range(30)
                                            for f in range(6) if (u + f) % 3]
    rows.append("u0,late,100000")
    log = tmp_path / "log.csv"
    log.write_text("\n".join(rows) + "\n", encoding="utf-8")
    config = tmp_path / "cfg.json"
    config.write_text('{"warm_iterations": 0}', encoding="utf-8")
    code, _, err = run_cli(capsys, "train", "--data", log, "--out", tmp_path / "m", "--config",
                           config, "--no-tune", "--factors", 4, "--segments", 2)
    assert code == 0, err
    assert "warning: 1 film without an interaction in the fit" in err


@pytest.mark.parametrize(("low", "floor", "said"), [(-1.0, 0.0, "after --min-rating 0"),
                                                    (1.0, 2.5, "after --min-rating 2.5")])
def test_nothing_left_after_min_rating_names_it_at_zero_too(low: float, floor: float,
                                                             said: str) -> None:
    """A -5..5 scale rated below --min-rating 0 throughout: the error said "no interactions
    left to train on" alone (the check read 0 as no --min-rating). Oracle: every planted
    rating is below the floor."""
    data, _ = rated()
    data = Interactions.from_columns(
        pa.array(data.users.ids[data.user_idx]), pa.array(data.films.ids[data.film_idx]),
        rating=np.full(len(data), low), source="low")
    with pytest.raises(DataError, match=f"no interactions left to train on {said}$"):
        train(data, replace(CONFIG, min_rating=floor), progress=False)
