"""A user whose only film nobody else watched, and that film, have nothing fitted, though
ALS's regularization leaves their vectors a little above zero: ``train`` stores them as exact
zeros, and a model trained before is judged by the same rule (``model.NEGLIGIBLE_NORM``): their
answers carry the notes, no ``because``, the export lists name them, and a lookalike seed of
theirs is left out, as for exact zeros; ordinary users and films are untouched.

Oracles: the planted log (the isolated pair), and the factors read back from the saved
artifacts' ``.npy`` files with numpy alone (not through ``Model``); a model "trained before"
is a real fit with the zeroing switched off.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from helpers import run_cli

from recommender.io.dataset import Interactions
from recommender.model import artifact, training
from recommender.model.config import TrainConfig
from recommender.model.model import NEGLIGIBLE_NORM, Model
from recommender.query.audience import audience_summary, film_audience, lookalikes
from recommender.query.pages import UNRANKED, UNRANKED_LOOKALIKE, for_model
from recommender.query.recommend import UNRANKED_FILMS, recommend_user, similar_films
from tests.service_fixtures import build_interactions

SOLO, LONELY = "solo", "lonely"  # the isolated pair: SOLO watched LONELY only, nobody else did
CONFIG = TrainConfig(factors=6, iterations=4, segments=2, holdout=0.0, tune=False, seed=2)


def log() -> Interactions:
    base = build_interactions(n_users=80, n_films=30, per_user=8, seed=3)
    users = np.r_[base.users.ids[base.user_idx], [SOLO]]
    films = np.r_[base.films.ids[base.film_idx], [LONELY]]
    return Interactions.from_columns(pa.array(users), pa.array(films), source="isolated-pair")


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> tuple[Model, Path]:
    """A model as ``train`` wrote it before it zeroed such rows, loaded from disk."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(training, "without_noise", lambda factors, bias: factors)
        folder = artifact.save(training.train(log(), CONFIG, progress=False),
                               tmp_path_factory.mktemp("negligible") / "m")
    return artifact.load(folder), Path(folder)


def ratios(folder: Path, side: str) -> tuple[list[str], np.ndarray]:
    """Each row's norm over the median nonzero norm of its side, from the files alone."""
    ids = np.load(folder / "current" / f"{side}_ids.npy", allow_pickle=False).astype(str)
    f = np.load(folder / "current" / f"{side}_factors.npy").astype(np.float64)
    n = np.linalg.norm(f, axis=1)
    return ids.tolist(), n / np.median(n[n > 0])


def test_the_isolated_pair_is_shrunk_not_zeroed(saved: tuple[Model, Path]) -> None:
    """The premise: the fit leaves the pair tiny, not zero, and every other row far above."""
    _, folder = saved
    for side, who in (("user", SOLO), ("film", LONELY)):
        ids, r = ratios(folder, side)
        tiny = [i for i, x in zip(ids, r, strict=True) if x <= NEGLIGIBLE_NORM]
        assert tiny == [who] and r[ids.index(who)] > 0  # not an exact zero
        assert np.delete(r, ids.index(who)).min() > 1e3 * NEGLIGIBLE_NORM


def test_train_stores_the_pair_as_zeros(saved: tuple[Model, Path], tmp_path: Path) -> None:
    """Every other row as the fit left it, bit for bit (the fit is seeded)."""
    _, before = saved
    now = Path(artifact.save(training.train(log(), CONFIG, progress=False), tmp_path / "m"))
    for side, who in (("user", SOLO), ("film", LONELY)):
        ids, _ = ratios(now, side)
        old = np.load(before / "current" / f"{side}_factors.npy")
        new = np.load(now / "current" / f"{side}_factors.npy")
        at = ids.index(who)
        assert not new[at].any() and old[at].any()
        assert np.array_equal(np.delete(new, at, axis=0), np.delete(old, at, axis=0))


def test_its_answers_say_nothing_was_fitted(saved: tuple[Model, Path]) -> None:
    model, _ = saved
    assert model.nothing_fitted(model.user_factors[model.user_index(SOLO)], "users")
    assert model.nothing_fitted(model.film_factors[model.film_index(LONELY)], "films")
    assert film_audience(model, LONELY, k=5).note == for_model(UNRANKED, model)
    assert audience_summary(model, LONELY)["note"] is not None
    films = recommend_user(model, SOLO, k=5)
    assert films.note == for_model(UNRANKED_FILMS, model)
    assert films.because == [[] for _ in films.film_idx]
    # the film's noise direction is no likeness: 0 to every film, and it to them
    assert similar_films(model, LONELY, k=5).note is not None
    others = [str(f) for f in model.films.ids if str(f) != LONELY]
    for f in others[:5]:
        got = similar_films(model, f, k=model.n_films - 1)
        at = [model.films.ids[i] for i in got.film_idx].index(LONELY)
        assert got.score[at] == 0.0
    # ordinary users and films: ranked, explained, no note
    users = [str(u) for u in model.users.ids if str(u) != SOLO][:10]
    assert all(recommend_user(model, u, k=5).note is None for u in users)
    assert all(recommend_user(model, u, k=5).because[0] for u in users[:3])
    assert all(film_audience(model, f, k=5).note is None for f in others[:10])


def test_a_seed_with_nothing_fitted_is_left_out(saved: tuple[Model, Path]) -> None:
    model, _ = saved
    page, _ = lookalikes(model, [SOLO], k=5)
    assert page.note == UNRANKED_LOOKALIKE and not np.asarray(page.score).any()
    other = str(model.users.ids[0])
    both, _ = lookalikes(model, [SOLO, other], k=model.n_users)
    alone, _ = lookalikes(model, [other], k=model.n_users)
    assert both.extra["seeds_used"] == 1 and both.extra["unfitted_seed_ids"] == [SOLO]
    assert both.note is not None and SOLO in both.note
    # the mean is the fitted seed's alone, and SOLO as a candidate scores 0, not a cosine
    assert list(both.user_ids) == [u for u in alone.user_ids if u != SOLO]
    assert alone.score[list(alone.user_ids).index(SOLO)] == 0.0


def test_exports_list_the_pair(saved: tuple[Model, Path], tmp_path: Path,
                               capsys: pytest.CaptureFixture[str]) -> None:
    _, folder = saved

    def context(path: Path) -> dict[str, object]:
        return json.loads(pq.read_schema(path).metadata[b"recommender"])  # type: ignore[no-any-return]

    code, _, err = run_cli(capsys, "audiences", folder, "--all", "--out", tmp_path / "a.parquet")
    assert code == 0 and "nothing_fitted_films" in err
    assert context(tmp_path / "a.parquet")["nothing_fitted_films"] == {"count": 1,
                                                                       "ids": [LONELY]}
    code, _, err = run_cli(capsys, "recommend", folder, "--all", "--out", tmp_path / "r.parquet")
    assert code == 0 and "nothing_fitted_users" in err
    assert context(tmp_path / "r.parquet")["nothing_fitted_users"] == {"count": 1,
                                                                       "ids": [SOLO]}
