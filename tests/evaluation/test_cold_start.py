"""Cold start: comparable titles against a brute-force genre Jaccard x year decay."""

from __future__ import annotations

import numpy as np
import pytest

from recommender.evaluation.cold_start import cold_start_eval, comparable_titles
from recommender.evaluation.splits import make_split
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


def test_cold_start_recall_counts_a_tie_at_the_cut_by_its_expectation(
        demo_data: Interactions) -> None:
    """The popularity column ranks users by activity, which ties in whole runs: its recall
    filled a tie at the cut in index order, while the main table (``score_split``) counts
    such a tie by its expected hits over the tie's orders. Brute force: above the k-th
    activity in full, each user tied with it at slots left / tied."""
    split = make_split(demo_data, "time")
    model = train(split.train, TrainConfig(factors=8, iterations=3, segments=2), progress=False)
    assert split.new_films is not None
    new = split.new_films.to_csr()[split.users].T.tocsr()
    viewers = np.diff(new.indptr)
    films = [f for f in np.flatnonzero(viewers >= 5) if model.catalog.genres[f]]
    assert films
    activity = np.bincount(split.history.user_idx,
                           minlength=split.history.n_users)[split.users]
    for k in (20, 39, 40, 41, 50, 53):
        want = []
        for f in films:
            truth = new[f].toarray().ravel() > 0
            kth = np.sort(activity)[::-1][k - 1]
            above, tied = activity > kth, activity == kth
            hits = (truth & above).sum() + (truth & tied).sum() * (k - above.sum()) / tied.sum()
            want.append(hits / min(k, truth.sum()))
        got = cold_start_eval(model, split, k)["popularity"][f"audience_recall@{k}"]
        assert got == pytest.approx(float(np.mean(want)), abs=1e-5), k
