"""Cold start: comparable titles against a brute-force genre Jaccard x year decay."""

from __future__ import annotations

import numpy as np
import pytest

from recommender.evaluation.cold_start import comparable_titles
from recommender.io.dataset import Interactions
from recommender.model.config import TrainConfig
from recommender.model.training import train


def test_comparable_titles_match_brute_force_jaccard(demo_data: Interactions) -> None:
    model = train(demo_data, TrainConfig(factors=4, iterations=1, segments=2, holdout=0),
                  progress=False)
    genres = [set(g.split("|")) - {""} for g in model.catalog.genres.tolist()]
    years = model.catalog.years
    known = np.arange(1, model.film_factors.shape[0], dtype=np.int64)  # film 0 is "new"
    popularity = np.bincount(demo_data.film_idx, minlength=demo_data.n_films).astype(float)
    got = comparable_titles(model, 0, known, popularity, n=5)
    assert 0 < len(got) <= 5 and model.films.ids[0] not in got

    def expected(j: int) -> float:
        jac = len(genres[0] & genres[j]) / len(genres[0] | genres[j])
        if not years[0]:
            decay = 1.0
        else:
            decay = np.exp(-abs(int(years[j]) - int(years[0])) / 10) if years[j] else 0.5
        return jac * decay

    brute = sorted(known.tolist(), key=lambda j: -expected(j))
    cutoff = expected(brute[4])
    for fid, w in got.items():
        j = model.films.index_of(fid)
        assert genres[j] & genres[0]
        assert w == pytest.approx(expected(j), abs=1e-4)
        assert expected(j) >= cutoff - 1e-9
