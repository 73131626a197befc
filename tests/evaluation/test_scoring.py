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


class _Constant:
    """Every candidate tied: no order is given, so any hit count of a top-k cut comes from
    the order the tie was filled in."""

    def score(self, users: NDArray[np.int64], films: NDArray[np.int64]) -> NDArray[np.float32]:
        return np.zeros((len(users), len(films)), np.float32)


def test_a_tie_counts_its_expected_hits_not_the_index_order(demo_data: Interactions) -> None:
    """With every score equal, a film's recall is what a random order of its candidates gives
    in expectation: k / candidates of its test viewers, over min(k, test viewers) (the index
    order filled the cut with the lowest user indices, whatever they held)."""
    split = make_split(demo_data, "random", seed=0)
    per_query: dict[str, NDArray[np.float64]] = {}
    res = score_split(_Constant(), split, k=10, user_k=5, per_query=per_query)
    users, films = split.users, split.films
    hist = split.history.to_csr()[users][:, films].toarray() > 0
    test = split.test.to_csr()[users][:, films].toarray() > 0
    viewers = test.sum(axis=0)
    queried = viewers >= 5
    candidates = (~hist).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):  # films and users never queried
        want = np.minimum(10, candidates) / candidates * viewers / np.minimum(10, viewers)
    assert np.allclose(per_query["audience_recall@10"], want[queried])
    n_test = test.sum(axis=1)
    cands_u = (~hist).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        want_u = np.minimum(5, cands_u) / cands_u * n_test / np.minimum(5, n_test)
    assert np.allclose(per_query["user_recall@5"], want_u[n_test > 0])
    assert res["audience_recall@10"] == round(float(want[queried].mean()), 5)


class _NaNs:
    """A scorer that gives NaN to the candidates a mask picks and 1 to the rest."""

    def __init__(self, split: Split, share: float) -> None:
        rng = np.random.default_rng(0)
        self.nan = rng.random((split.train.n_users, split.train.n_films)) < share

    def score(self, users: NDArray[np.int64], films: NDArray[np.int64]) -> NDArray[np.float32]:
        return np.where(self.nan[np.ix_(users, films)], np.nan, 1.0).astype(np.float32)


def test_nan_scores_are_counted_and_evaluate_warns(demo_data: Interactions,
                                                   capsys: pytest.CaptureFixture[str],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """A scorer of NaN alone read as recall 0, with nothing saying it had scored nobody:
    ``nan_scores`` counts the candidate cells scored NaN (a seen film's cell is no candidate),
    against a count made here from the same mask."""
    split = make_split(demo_data, "random", seed=0)
    hist = split.history.to_csr()[split.users][:, split.films].toarray() > 0
    for share in (0.0, 0.3, 1.0):
        scorer = _NaNs(split, share)
        nan = scorer.nan[np.ix_(split.users, split.films)] & ~hist
        res = score_split(scorer, split, k=10, user_k=5)
        assert res["nan_scores"] == 2 * int(nan.sum())  # each cell once per direction
    assert res["audience_recall@10"] == 0.0 and res["user_recall@5"] == 0.0

    from recommender.evaluation import runs
    monkeypatch.setattr(runs.EngineUnderTest, "fit_split", lambda self, s: _NaNs(s, 1.0))
    runs.evaluate(demo_data, "random", seed=0, with_baselines=False, progress=False)
    err = capsys.readouterr().err
    assert "warning: engine scored" in err and "candidates NaN" in err
