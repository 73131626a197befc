"""Offline evaluation: splits, the engine against baselines on the same split, and tuning.

Protocols (:func:`make_split`):

- ``random``: a seeded random 80/20 split of the interactions.
- ``time``: a global time split: train on the interactions up to the 80th-percentile timestamp,
  test on the later ones. Films first seen after the cut-off feed the cold-start evaluation.
- ``user``: strong generalisation: 20% of the users are held out of training entirely; each
  held-out user's history is split 80/20 into a fold-in part (given to the model at scoring
  time) and a test part.

In every protocol only users and films known in training are scored, and test interactions
already present in the history are dropped.

Metrics (see :mod:`recommender.evaluation.metrics`) are computed in both directions:

- audience (film -> users), the main one: for every film with at least ``min_viewers`` test
  viewers, every evaluated user who had not watched it is ranked; recall@k (hits / min(k,
  test viewers)), NDCG@k and AUC are macro-averaged over films; ``audience_reach@k`` counts the
  distinct users that the top-k audiences of all known films reach.
- user (user -> films): recall@k and NDCG@k over users with at least one test film, and the
  number of distinct films recommended (catalog coverage).

The engine is scored exactly as ``recommender train`` builds it (``training.train``), so the
report measures the shipped defaults, tier-calibration holdout and warm refit included.
"""

from __future__ import annotations

import itertools
import json
import math
import os
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from tqdm import tqdm

from recommender.errors import InvalidParameterError
from recommender.evaluation import metrics
from recommender.evaluation.baselines import (
    EASE,
    FactorScorer,
    ImplicitALS,
    ItemKNN,
    Popularity,
    Scorer,
    fold_in_als,
)
from recommender.io.dataset import Interactions
from recommender.io.text import table_text
from recommender.kernels.ranking import top_k, top_k_rows
from recommender.model.config import TrainConfig
from recommender.model.model import Model
from recommender.model.training import fit_factors, make_backend, train
from recommender.model.weighting import SCHEMES, confidence, filter_min_rating

PROTOCOLS = ("random", "time", "user")
TEST_SHARE = 0.2
MIN_VIEWERS = 5
USER_K = 20
EASE_LAMBDAS = (5.0, 20.0, 50.0, 150.0, 500.0, 1500.0, 5000.0)
Index = NDArray[np.int64]

ENGINE = "engine"


# --------------------------------------------------------------------------------------------
# Splits
# --------------------------------------------------------------------------------------------


@dataclass
class Split:
    """One train/test split over the full data's id maps (indices are shared).

    ``train`` is what models are fitted on. ``history`` holds the evaluated users' known
    interactions: it is ``train`` itself except under the ``user`` protocol, where it is the
    held-out users' fold-in part. ``users`` are the evaluated users (audience candidates),
    ``films`` the films known in training. ``new_films`` (time protocol) are test interactions
    of evaluated users on films first seen after the cut-off.
    """

    protocol: str
    train: Interactions
    history: Interactions
    test: Interactions
    users: Index
    films: Index
    new_films: Interactions | None = None
    cutoff: int | None = None

    @property
    def fold_in(self) -> bool:
        return self.history is not self.train

    def describe(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "protocol": self.protocol,
            "train_interactions": len(self.train),
            "test_interactions": len(self.test),
            "evaluated_users": len(self.users),
            "known_films": len(self.films),
        }
        if self.fold_in:
            out["fold_in_interactions"] = len(self.history)
        if self.cutoff is not None:
            out["cutoff_timestamp"] = self.cutoff
        if self.new_films is not None:
            out["new_film_interactions"] = len(self.new_films)
        return out


def make_split(data: Interactions, protocol: str = "random", seed: int = 0,
               share: float = TEST_SHARE) -> Split:
    """Split ``data`` under ``protocol`` (``random``, ``time`` or ``user``); see the module doc.

    Raises ``InvalidParameterError`` for an unknown protocol, a share outside (0, 1), or the
    time protocol on data without timestamps.
    """
    if not 0 < share < 1:
        raise InvalidParameterError(f"test share must be in (0, 1), got {share}")
    if protocol == "random":
        return random_split(data, seed, share)
    if protocol == "time":
        return time_split(data, share)
    if protocol == "user":
        return user_split(data, seed, share)
    raise InvalidParameterError(f"protocol must be one of {', '.join(PROTOCOLS)}, "
                                f"got {protocol!r}")


def random_split(data: Interactions, seed: int = 0, share: float = TEST_SHARE) -> Split:
    n = len(data)
    test = np.zeros(n, bool)
    test[np.random.default_rng(seed).permutation(n)[: int(round(n * share))]] = True
    return _known_only("random", data, ~test, test)


def time_split(data: Interactions, share: float = TEST_SHARE) -> Split:
    if data.timestamp is None:
        raise InvalidParameterError(
            f"the time protocol needs timestamps and {data.source or 'this data'} has none; "
            "use --protocol random or user")
    cutoff = int(np.quantile(data.timestamp, 1.0 - share, method="lower"))
    train = data.timestamp <= cutoff
    split = _known_only("time", data, train, ~train)
    known_users = _present(split.train.user_idx, data.n_users)
    known_films = _present(split.train.film_idx, data.n_films)
    new = ~train & known_users[data.user_idx] & ~known_films[data.film_idx]
    return replace(split, new_films=data.subset(new), cutoff=cutoff)


def user_split(data: Interactions, seed: int = 0, share: float = TEST_SHARE) -> Split:
    rng = np.random.default_rng(seed)
    per_user = np.bincount(data.user_idx, minlength=data.n_users)
    eligible = np.flatnonzero(per_user >= 2)
    held_users = np.zeros(data.n_users, bool)
    held_users[rng.choice(eligible, int(round(len(eligible) * share)), replace=False)] = True
    held = held_users[data.user_idx]
    to_test = rng.random(len(data)) < share
    train = data.subset(~held)
    known_films = _present(train.film_idx, data.n_films)
    history = data.subset(held & ~to_test & known_films[data.film_idx])
    has_history = _present(history.user_idx, data.n_users)
    test = held & to_test & known_films[data.film_idx] & has_history[data.user_idx]
    return Split("user", train, history, data.subset(test), np.flatnonzero(has_history),
                 np.flatnonzero(known_films))


def _known_only(protocol: str, data: Interactions, train_mask: NDArray[np.bool_],
                test_mask: NDArray[np.bool_]) -> Split:
    train = data.subset(train_mask)
    known_users = _present(train.user_idx, data.n_users)
    known_films = _present(train.film_idx, data.n_films)
    keep = test_mask & known_users[data.user_idx] & known_films[data.film_idx]
    # merged interactions hold each (user, film) once, but inputs built by hand may not
    keep &= ~np.isin(_pair_keys(data, data.user_idx, data.film_idx),
                     _pair_keys(data, train.user_idx, train.film_idx))
    return Split(protocol, train, train, data.subset(keep), np.flatnonzero(known_users),
                 np.flatnonzero(known_films))


def _present(idx: NDArray[np.integer], n: int) -> NDArray[np.bool_]:
    return np.bincount(idx, minlength=n)[:n] > 0


def _pair_keys(data: Interactions, u: NDArray[np.integer], f: NDArray[np.integer]
               ) -> NDArray[np.int64]:
    return u.astype(np.int64) * max(data.n_films, 1) + f.astype(np.int64)


def validation_split(split: Split, seed: int = 0) -> Split:
    """A split of ``split.train`` alone under the same protocol (tuning never sees the test)."""
    return make_split(split.train, split.protocol, seed + 1)


# --------------------------------------------------------------------------------------------
# Scoring one model on one split
# --------------------------------------------------------------------------------------------


def score_split(scorer: Scorer, split: Split, k: int = 100, user_k: int = USER_K,
                min_viewers: int = MIN_VIEWERS, block_cells: int = 4_000_000) -> dict[str, Any]:
    """Audience- and user-direction metrics of ``scorer`` on ``split`` (see the module doc)."""
    users, films = split.users, split.films
    hist = split.history.to_csr()[users][:, films]  # evaluated users x known films
    test = split.test.to_csr()[users][:, films]
    out: dict[str, Any] = {}

    # audience direction: queries are films, candidates the evaluated users
    hist_f = hist.T.tocsr()
    test_f = test.T.tocsr()
    n_viewers = np.diff(test_f.indptr)
    rec, ndcg, auc_v = [], [], []
    reached = np.zeros(len(users), bool)
    step = max(1, block_cells // max(len(users), 1))
    for start in range(0, len(films), step):
        blk = np.arange(start, min(start + step, len(films)))
        scores = scorer.score(users, films[blk]).T.astype(np.float32)
        seen = hist_f[blk].toarray() > 0
        scores[seen] = -np.inf
        top, counts = top_k_rows(scores, k)
        real = np.arange(top.shape[1])[None, :] < counts[:, None]
        reached[top[real]] = True
        sel = np.flatnonzero(n_viewers[blk] >= min_viewers)
        if len(sel):
            truth = test_f[blk[sel]].toarray() > 0
            hits = metrics.hits_at_k(top[sel], counts[sel], truth)
            rec.append(metrics.recall_at_k(hits, n_viewers[blk[sel]]))
            ndcg.append(metrics.ndcg_at_k(hits, n_viewers[blk[sel]]))
            auc_v.append(metrics.auc(scores[sel], truth, ~seen[sel]))
    out[f"audience_recall@{k}"] = _avg(rec)
    out[f"audience_ndcg@{k}"] = _avg(ndcg)
    out["audience_auc"] = _avg(auc_v)
    out[f"audience_reach@{k}"] = int(reached.sum())
    out[f"audience_reach_share@{k}"] = round(float(reached.mean()), 4) if len(users) else 0.0
    out["films_evaluated"] = int((n_viewers >= min_viewers).sum())

    # user direction: queries are users, candidates the known films
    n_test = np.diff(test.indptr)
    rec, ndcg = [], []
    covered = np.zeros(len(films), bool)
    step = max(1, block_cells // max(len(films), 1))
    for start in range(0, len(users), step):
        blk = np.arange(start, min(start + step, len(users)))
        scores = scorer.score(users[blk], films).astype(np.float32)
        scores[hist[blk].toarray() > 0] = -np.inf
        top, counts = top_k_rows(scores, user_k)
        real = np.arange(top.shape[1])[None, :] < counts[:, None]
        covered[top[real]] = True
        sel = np.flatnonzero(n_test[blk] > 0)
        if len(sel):
            truth = test[blk[sel]].toarray() > 0
            hits = metrics.hits_at_k(top[sel], counts[sel], truth)
            rec.append(metrics.recall_at_k(hits, n_test[blk[sel]]))
            ndcg.append(metrics.ndcg_at_k(hits, n_test[blk[sel]]))
    out[f"user_recall@{user_k}"] = _avg(rec)
    out[f"user_ndcg@{user_k}"] = _avg(ndcg)
    out[f"user_coverage@{user_k}"] = int(covered.sum())
    out["users_evaluated"] = int((n_test > 0).sum())
    return out


def _avg(parts: list[NDArray[np.float64]]) -> float:
    if not parts:
        return float("nan")
    return round(metrics.mean(np.concatenate(parts)), 5)


def objective(result: dict[str, Any], k: int, user_k: int = USER_K) -> float:
    """What tuning maximises: the mean of audience recall@k and user recall@user_k."""
    a, u = result[f"audience_recall@{k}"], result[f"user_recall@{user_k}"]
    vals = [v for v in (a, u) if not math.isnan(v)]
    return float(np.mean(vals)) if vals else float("nan")


# --------------------------------------------------------------------------------------------
# The engine as an evaluated model
# --------------------------------------------------------------------------------------------


class Engine:
    """The audience engine under ``config``.

    ``pipeline=True`` builds it with ``training.train`` (what ``recommender train`` ships,
    calibration holdout and warm refit included); ``pipeline=False`` fits the factors directly
    (identical to ``train`` with ``holdout=0``), which is what tuning uses for speed.
    """

    def __init__(self, config: TrainConfig | None = None, pipeline: bool = True,
                 name: str = ENGINE) -> None:
        self.config = (config or TrainConfig()).validate()
        self.pipeline = pipeline
        self.name = name
        self.model_: Model | None = None

    def fit_split(self, split: Split) -> Scorer:
        c = self.config
        if self.pipeline:
            self.model_ = train(split.train, c, progress=False)
            uf = np.asarray(self.model_.user_factors)
            ff = np.asarray(self.model_.film_factors)
        else:
            conf = confidence(filter_min_rating(split.train, c.min_rating), c.weighting,
                              c.bm25_k1, c.bm25_b)
            uf, ff = fit_factors(conf, c)
        if split.fold_in:
            uf = self._fold_in(split, ff)
        return FactorScorer(uf, ff)

    def _fold_in(self, split: Split, film_factors: NDArray[np.float32]) -> NDArray[np.float32]:
        c = self.config
        if c.model != "als":
            raise InvalidParameterError("the user protocol folds users in with an ALS "
                                        f"half-step; model {c.model!r} has none")
        # confidence of the fold-in rows, weighted with the training users' statistics too
        both = replace(
            split.train,
            user_idx=np.r_[split.train.user_idx, split.history.user_idx],
            film_idx=np.r_[split.train.film_idx, split.history.film_idx],
            weight=np.r_[split.train.weight, split.history.weight],
            rating=None if split.train.rating is None or split.history.rating is None
            else np.r_[split.train.rating, split.history.rating],
            timestamp=None,
        )
        conf = confidence(filter_min_rating(both, c.min_rating), c.weighting, c.bm25_k1,
                          c.bm25_b)
        backend = make_backend(c)
        backend.item_factors = np.ascontiguousarray(film_factors, np.float32)
        uf = np.zeros((split.train.n_users, film_factors.shape[1]), np.float32)
        uf[split.users] = fold_in_als(backend, conf[split.users])
        return uf


class _Baseline:
    """Adapter: a :mod:`recommender.evaluation.baselines` model fitted on a split's binary train
    matrix."""

    def __init__(self, model: Any, name: str) -> None:
        self.model = model
        self.name = name

    def fit_split(self, split: Split) -> Scorer:
        self.model.fit(split.train.to_csr())
        scorer: Scorer = self.model.scorer(split.history.to_csr() if split.fold_in else None)
        return scorer


def choose_ease_lambda(split: Split, k: int = 100, seed: int = 0,
                       grid: Sequence[float] = EASE_LAMBDAS, user_k: int = USER_K
                       ) -> tuple[float, dict[str, float]]:
    """EASE's regularisation picked on a validation split carved out of ``split.train``."""
    val = validation_split(split, seed)
    scores: dict[str, float] = {}
    for lam in grid:
        scorer = _Baseline(EASE(lam), "ease").fit_split(val)
        scores[f"{lam:g}"] = round(objective(score_split(scorer, val, k, user_k), k, user_k), 5)
    best = max(grid, key=lambda lam: _finite(scores[f"{lam:g}"]))
    return float(best), scores


def _finite(x: float) -> float:
    return -1.0 if math.isnan(x) else x


# --------------------------------------------------------------------------------------------
# Cold start (time protocol)
# --------------------------------------------------------------------------------------------


def genre_incidence(model: Model) -> NDArray[np.float32]:
    """``(films, genres)`` 0/1 matrix of the catalog's genres (vocabulary order)."""
    vocab = {g: i for i, g in enumerate(model.catalog.genre_vocabulary())}
    rows, cols = [], []
    for f, text in enumerate(model.catalog.genres.tolist()):
        for g in text.split("|"):
            if g:
                rows.append(f)
                cols.append(vocab[g])
    out = np.zeros((len(model.catalog.genres), len(vocab)), np.float32)
    out[rows, cols] = 1.0
    return out


def comparable_titles(model: Model, film: int, known: Index, popularity: NDArray[np.float64],
                      n: int = 10, incidence: NDArray[np.float32] | None = None
                      ) -> dict[str, float]:
    """What a planner would name as comparable titles for a new film, read off the catalog:
    known films sharing its genres (Jaccard), closer release years first (a 10-year decay),
    popularity breaking ties. Returns ``{film_id: weight}`` (empty when it has no genres).
    ``incidence`` (from :func:`genre_incidence`) saves rebuilding it per film."""
    g = genre_incidence(model) if incidence is None else incidence
    want = g[film]
    if not want.any():
        return {}
    gk = g[known]
    inter = gk @ want
    union = gk.sum(axis=1) + want.sum() - inter
    sim = (inter / np.maximum(union, 1)).astype(np.float64)
    years = model.catalog.years
    y0 = years[film]
    if y0 > 0:
        yk = years[known]
        sim = sim * np.where(yk > 0, np.exp(-np.abs(yk - y0) / 10.0), 0.5)
    sim = np.where(sim > 0, sim + 1e-6 * np.log1p(popularity[known]), -np.inf)
    best = top_k(sim, n)
    return {str(model.films.ids[known[i]]): float(sim[i]) for i in best}


def cold_start_eval(model: Model, split: Split, k: int = 100, min_viewers: int = MIN_VIEWERS
                    ) -> dict[str, Any]:
    """Audiences for films first seen after the cut-off, built only from their genres and
    comparable titles, against ranking users by activity. Every evaluated user is a candidate
    (nobody has watched a new film in training)."""
    from recommender.query.audience import cold_start_vector

    if split.new_films is None:
        return {"status": "n/a (needs the time protocol)"}
    if not model.catalog.genre_vocabulary():
        return {"status": "n/a (no film genres in the catalog)"}
    new = split.new_films.to_csr()[split.users].T.tocsr()  # films x evaluated users
    n_viewers = np.diff(new.indptr)
    films = np.flatnonzero(n_viewers >= min_viewers)
    films = np.array([f for f in films if model.catalog.genres[f]], np.int64)
    if len(films) == 0:
        return {"status": f"n/a (no new film has {min_viewers}+ test viewers)"}
    popularity = np.bincount(split.train.film_idx, minlength=split.train.n_films).astype(float)
    uf = np.asarray(model.user_factors)[split.users]
    incidence = genre_incidence(model)
    vec: dict[str, list[NDArray[np.float32]]] = {"engine": [], "engine_genres_only": []}
    for f in films:
        genres = [g for g in model.catalog.genres[f].split("|") if g]
        comp = comparable_titles(model, int(f), split.films, popularity, incidence=incidence)
        vec["engine"].append(cold_start_vector(model, comp, genres))
        vec["engine_genres_only"].append(cold_start_vector(model, (), genres))
    activity = np.bincount(split.history.user_idx, minlength=split.history.n_users)[split.users]
    truth = new[films].toarray() > 0
    candidates = np.ones_like(truth)
    out: dict[str, Any] = {"films_evaluated": int(len(films)),
                           "comparable_titles": "10 known films by genre Jaccard x year decay"}
    rankings = {name: np.vstack(v) @ uf.T for name, v in vec.items()}
    rankings["popularity"] = np.broadcast_to(activity.astype(np.float32),
                                             truth.shape).copy()
    for name, scores in rankings.items():
        scores = np.asarray(scores, np.float32)
        top, counts = top_k_rows(scores, k)
        hits = metrics.hits_at_k(top, counts, truth)
        n_pos = n_viewers[films]
        out[name] = {
            f"audience_recall@{k}": round(metrics.mean(metrics.recall_at_k(hits, n_pos)), 5),
            f"audience_ndcg@{k}": round(metrics.mean(metrics.ndcg_at_k(hits, n_pos)), 5),
            "audience_auc": round(metrics.mean(metrics.auc(scores, truth, candidates)), 5),
        }
    return out


# --------------------------------------------------------------------------------------------
# evaluate(): the engine and the baselines on one split
# --------------------------------------------------------------------------------------------


def baselines(seed: int = 0, ease_lambda: float = 100.0) -> list[Any]:
    return [
        _Baseline(Popularity(), "popularity"),
        _Baseline(ItemKNN(), "itemknn"),
        _Baseline(ImplicitALS(seed=seed), "als_defaults"),
        _Baseline(EASE(ease_lambda), "ease"),
    ]


def evaluate(
    data: Interactions,
    protocol: str = "random",
    k: int = 100,
    seed: int = 0,
    config: TrainConfig | None = None,
    user_k: int = USER_K,
    with_baselines: bool = True,
    progress: bool | None = None,
) -> dict[str, Any]:
    """Evaluate the engine (``config``, default: the shipped defaults) and, unless
    ``with_baselines`` is false, popularity, ItemKNN, ``implicit`` ALS defaults and EASE (its
    lambda chosen on a validation split of the training part) on one split of ``data``.

    Returns a JSON-ready report: the split's sizes, per-model metrics with fit seconds, and each
    model's ratio to the engine on the headline metrics.
    """
    show = sys.stderr.isatty() if progress is None else progress
    if not 1 <= k <= 100_000:
        raise InvalidParameterError(f"k must be in [1, 100000], got {k}")
    split = make_split(data, protocol, seed)
    if len(split.test) == 0:
        raise InvalidParameterError(f"the {protocol} split of {data.source or 'the data'} "
                                    "leaves no test interactions on known users and films")
    config = (config or TrainConfig()).validate()
    engine = Engine(replace(config, seed=seed) if config.seed != seed else config)
    report: dict[str, Any] = {
        "dataset": data.source,
        "interactions": len(data),
        "users": data.n_users,
        "films": data.n_films,
        "protocol": protocol,
        "k": k,
        "user_k": user_k,
        "min_viewers": MIN_VIEWERS,
        "seed": seed,
        "split": split.describe(),
        "engine_config": engine.config.to_dict(),
        "models": {},
    }
    models: list[Any] = [engine]
    bar = tqdm(total=1 + (5 if with_baselines else 0), desc=f"evaluate ({protocol})",
               disable=not show, unit="model", file=sys.stderr)
    if with_baselines:
        lam, lam_scores = choose_ease_lambda(split, k, seed, user_k=user_k)
        report["ease_lambda"] = {"chosen": lam, "validation_objective": lam_scores}
        bar.update()
        models += baselines(seed, lam)
    for m in models:
        bar.set_postfix_str(m.name)
        t0 = time.perf_counter()
        scorer = m.fit_split(split)
        fit_s = time.perf_counter() - t0
        res = score_split(scorer, split, k, user_k)
        res["fit_seconds"] = round(fit_s, 3)
        res["eval_seconds"] = round(time.perf_counter() - t0 - fit_s, 3)
        report["models"][m.name] = res
        bar.update()
    bar.close()
    report["ratios_to_engine"] = ratios(report["models"], k, user_k)
    if protocol == "time" and engine.model_ is not None:
        report["cold_start"] = cold_start_eval(engine.model_, split, k)
    return report


def headline(k: int, user_k: int = USER_K) -> list[str]:
    return [f"audience_recall@{k}", f"audience_ndcg@{k}", "audience_auc",
            f"user_recall@{user_k}", f"user_ndcg@{user_k}"]


def ratios(models: dict[str, dict[str, Any]], k: int, user_k: int = USER_K
           ) -> dict[str, dict[str, float]]:
    """Each model's metric divided by the engine's, on the headline metrics."""
    base = models.get(ENGINE)
    if base is None:
        return {}
    out: dict[str, dict[str, float]] = {}
    for name, res in models.items():
        out[name] = {}
        for key in headline(k, user_k):
            a, b = res.get(key, float("nan")), base.get(key, float("nan"))
            out[name][key] = round(a / b, 4) if b and not math.isnan(a) and not math.isnan(b) \
                else float("nan")
    return out


# --------------------------------------------------------------------------------------------
# tune(): hyper-parameter search on a validation split carved out of training
# --------------------------------------------------------------------------------------------

SEARCH_SPACE: dict[str, tuple[Any, ...]] = {
    "weighting": SCHEMES,
    "factors": (32, 64, 128),
    "regularization": (0.01, 0.05, 0.2, 1.0, 5.0),
    "alpha": (0.5, 1.0, 2.0, 5.0, 10.0, 20.0),
    "iterations": (10, 15, 25),
    "bm25_k1": (0.6, 1.2, 2.0),
    "bm25_b": (0.25, 0.75, 1.0),
}


def candidate_configs(trials: int, seed: int = 0, base: TrainConfig | None = None,
                      space: dict[str, tuple[Any, ...]] | None = None) -> list[TrainConfig]:
    """``trials`` distinct configurations: ``base`` (default: the current defaults) first, then
    a seeded random sample of ``space`` (BM25's k1/b only vary under bm25 weighting)."""
    base = (base or TrainConfig()).validate()
    space = space or SEARCH_SPACE
    rng = np.random.default_rng(seed)
    out = [base]
    keys = {_key(base)}
    names = list(space)
    grid_size = math.prod(len(v) for v in space.values())
    for _ in range(50 * trials):
        if len(out) >= trials or len(keys) >= grid_size:
            break
        params = {n: space[n][rng.integers(len(space[n]))] for n in names}
        if params.get("weighting", base.weighting) != "bm25":
            params["bm25_k1"], params["bm25_b"] = base.bm25_k1, base.bm25_b
        params = {n: v.item() if isinstance(v, np.generic) else v for n, v in params.items()}
        cfg = replace(base, **params).validate()
        if _key(cfg) not in keys:
            keys.add(_key(cfg))
            out.append(cfg)
    return out


def grid_configs(space: dict[str, tuple[Any, ...]], base: TrainConfig | None = None
                 ) -> list[TrainConfig]:
    """Every combination of ``space`` (a full grid) applied to ``base``."""
    base = (base or TrainConfig()).validate()
    names = list(space)
    out: list[TrainConfig] = []
    keys: set[str] = set()
    for values in itertools.product(*(space[n] for n in names)):
        cfg = replace(base, **dict(zip(names, values, strict=True))).validate()
        if _key(cfg) not in keys:
            keys.add(_key(cfg))
            out.append(cfg)
    return out


def _key(c: TrainConfig) -> str:
    return json.dumps(c.to_dict(), sort_keys=True)


def validation_scores(split: Split, configs: Sequence[TrainConfig], k: int = 100,
                      user_k: int = USER_K, progress: bool = False) -> list[dict[str, Any]]:
    """Each config fitted on ``split.train`` and scored on ``split.test`` (pass a validation
    split here, never the test split)."""
    rows = []
    for cfg in tqdm(configs, desc="trials", disable=not progress, unit="trial", file=sys.stderr):
        t0 = time.perf_counter()
        res = score_split(Engine(cfg, pipeline=False).fit_split(split), split, k, user_k)
        rows.append({"params": _search_params(cfg),
                     "objective": round(objective(res, k, user_k), 5),
                     f"audience_recall@{k}": res[f"audience_recall@{k}"],
                     f"user_recall@{user_k}": res[f"user_recall@{user_k}"],
                     "seconds": round(time.perf_counter() - t0, 2)})
    return rows


def _search_params(c: TrainConfig) -> dict[str, Any]:
    d = c.to_dict()
    return {n: d[n] for n in ("model", *SEARCH_SPACE)}


def tune(data: Interactions, trials: int = 30, k: int = 100, seed: int = 0,
         protocol: str = "random", user_k: int = USER_K, progress: bool | None = None
         ) -> dict[str, Any]:
    """Search the engine's hyper-parameters for ``data``.

    The data is split under ``protocol`` into train and test; a validation split is carved out
    of the train part alone, every trial is fitted and scored there, and only the winner (and
    the current defaults, for comparison) is then fitted on the whole train part and measured on
    the test part, so the reported test numbers are an honest estimate. Returns a JSON-ready
    dict whose ``params`` ``recommender train --config`` accepts.
    """
    show = sys.stderr.isatty() if progress is None else progress
    if trials < 1:
        raise InvalidParameterError(f"trials must be >= 1, got {trials}")
    outer = make_split(data, protocol, seed)
    val = validation_split(outer, seed)
    configs = candidate_configs(trials, seed)
    rows = validation_scores(val, configs, k, user_k, show)
    best_i = max(range(len(rows)), key=lambda i: _finite(rows[i]["objective"]))
    best = configs[best_i]
    test: dict[str, Any] = {}
    for name, cfg in (("defaults", configs[0]), ("best", best)):
        res = score_split(Engine(cfg, pipeline=False).fit_split(outer), outer, k, user_k)
        test[name] = {key: res[key] for key in headline(k, user_k)}
    return {
        "params": best.to_dict(),
        "dataset": data.source,
        "protocol": protocol,
        "k": k,
        "user_k": user_k,
        "seed": seed,
        "objective": f"mean of audience_recall@{k} and user_recall@{user_k} on validation",
        "validation": {"best": rows[best_i], "defaults": rows[0]},
        "test": test,
        "trials": sorted(rows, key=lambda r: -_finite(r["objective"])),
    }


# --------------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------------


def cli_evaluate(args: Any) -> int:
    from recommender.io import readers as data_mod

    interactions = data_mod.load(args.data)
    report = evaluate(interactions, protocol=args.protocol, k=args.k,
                      seed=getattr(args, "seed", 0))
    print(format_report(report))
    if getattr(args, "json_path", None):
        write_json(report, args.json_path)
        print(f"report written to {args.json_path}")
    return 0


def cli_tune(args: Any) -> int:
    from recommender.io import readers as data_mod

    interactions = data_mod.load(args.data)
    result = tune(interactions, trials=args.trials, k=args.k, seed=args.seed)
    write_json(result, args.out)
    v, t = result["validation"], result["test"]
    p = result["params"]
    print(f"{len(result['trials'])} trials on a validation split of the training part "
          f"({result['objective']})")
    print(f"best: {p['weighting']} weighting, {p['factors']} factors, {p['iterations']} "
          f"iterations, regularization {p['regularization']}, alpha {p['alpha']}"
          + (f", bm25 k1 {p['bm25_k1']} b {p['bm25_b']}" if p["weighting"] == "bm25" else ""))
    print(f"validation objective: best {v['best']['objective']:.4f}, "
          f"defaults {v['defaults']['objective']:.4f}")
    rows = [[name] + [_fmt(t[name][key]) for key in headline(args.k)] for name in t]
    print(table_text(["test split"] + headline(args.k), rows))
    print(f"configuration written to {args.out} (use: recommender train --config {args.out})")
    return 0


def format_report(report: dict[str, Any]) -> str:
    """The report as a plain-text table (one row per model, ratios to the engine)."""
    k, uk = report["k"], report["user_k"]
    keys = headline(k, uk) + [f"audience_reach@{k}", f"user_coverage@{uk}", "fit_seconds"]
    s = report["split"]
    lines = [f"{report['dataset']}: {report['protocol']} protocol, "
             f"{s['train_interactions']:,} train / {s['test_interactions']:,} test interactions, "
             f"{s['evaluated_users']:,} users, {s['known_films']:,} films "
             f"({report['models'][ENGINE]['films_evaluated']} films with "
             f"{report['min_viewers']}+ test viewers)"]
    rows = []
    for name, res in report["models"].items():
        ratio = report["ratios_to_engine"].get(name, {})
        rows.append([name] + [_fmt(res[key]) + (f" ({ratio[key]:.2f}x)" if key in ratio and
                                                name != ENGINE else "") for key in keys])
    lines.append(table_text(["model"] + keys, rows))
    if "ease_lambda" in report:
        lines.append(f"EASE lambda {report['ease_lambda']['chosen']:g} (chosen on a validation "
                     "split of the training part)")
    cs = report.get("cold_start")
    if cs:
        if "status" in cs:
            lines.append(f"cold start: {cs['status']}")
        else:
            rk = f"audience_recall@{k}"
            lines.append(f"cold start ({cs['films_evaluated']} new films): "
                         + ", ".join(f"{n} {cs[n][rk]:.4f}" for n in
                                     ("engine", "engine_genres_only", "popularity"))
                         + f" ({rk})")
    return "\n".join(lines)


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return "nan" if math.isnan(v) else f"{v:.4f}"
    return str(v)




def write_json(obj: Any, path: str | os.PathLike[str]) -> Path:
    """Write ``obj`` as JSON atomically (temporary file, then rename): never half-written."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", dir=p.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(_clean(obj), fh, indent=2, sort_keys=False)
            fh.write("\n")
        os.replace(tmp, p)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return p


def _clean(obj: Any) -> Any:
    """NaN is not JSON: write null instead."""
    if isinstance(obj, float):
        return None if math.isnan(obj) else obj
    if isinstance(obj, dict):
        return {k: _clean(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_clean(v) for v in obj]
    if isinstance(obj, np.generic):
        return _clean(obj.item())
    return obj
