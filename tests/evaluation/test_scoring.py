"""``score_split`` with a perfect oracle and its opposite: metrics at their bounds, and only
users and films known in training are ever scored."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.typing import NDArray

from recommender.evaluation.scoring import score_split
from recommender.evaluation.splits import Split, make_split
from recommender.io.dataset import Interactions


class _Recorder:
    """A scorer with a known answer: the test matrix itself (a perfect oracle), which also
    records what it was asked to score."""

    def __init__(self, split: Split, sign: float = 1.0) -> None:
        self.truth = split.test.to_csr().toarray()
        self.sign = sign
        self.users: set[int] = set()
        self.films: set[int] = set()

    def score(self, users: NDArray[np.int64], films: NDArray[np.int64]) -> NDArray[np.float32]:
        self.users |= set(users.tolist())
        self.films |= set(films.tolist())
        return (self.sign * self.truth[np.ix_(users, films)]).astype(np.float32)


def test_score_split_with_an_oracle_and_its_opposite(demo_data: Interactions) -> None:
    split = make_split(demo_data, "random", seed=0)
    oracle = _Recorder(split)
    res = score_split(oracle, split, k=10, user_k=5)
    assert res["audience_recall@10"] == pytest.approx(1.0)
    assert res["audience_ndcg@10"] == pytest.approx(1.0)
    assert res["audience_auc"] == pytest.approx(1.0)
    assert res["user_recall@5"] == pytest.approx(1.0)
    # only users and films known in training were ever scored
    assert oracle.users == set(split.train.user_idx.tolist())
    assert oracle.films <= set(split.train.film_idx.tolist())
    per_query: dict[str, NDArray[np.float64]] = {}
    worst = score_split(_Recorder(split, -1.0), split, k=10, user_k=5, per_query=per_query)
    # the per-query values are the queries the means average: films with 5+ test viewers,
    # users with a test film
    assert len(per_query["audience_recall@10"]) == worst["films_evaluated"]
    assert len(per_query["user_recall@5"]) == worst["users_evaluated"]
    for key in per_query:
        assert round(float(per_query[key].mean()), 5) == worst[key]
    assert worst["audience_auc"] == pytest.approx(0.0)
    assert worst["audience_recall@10"] < 0.2
    assert res["films_evaluated"] == int((np.bincount(split.test.film_idx) >= 5).sum())
