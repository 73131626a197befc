"""The popularity prior: a per-film term added to a user's scores of films (recommendations).

On sparse logs (a few interactions per user) how many people watched a film predicts what a
user watches next better than their few interactions do: under the random protocol
popularity ranks a user's next films better than EASE, ItemKNN and implicit's ALS
(``benchmarks/results/quality.md``, the ``sparse5`` rows). The prior adds ``film_prior[i]``
to every user's score of film i:

    film_prior[i] = weight x scale x log(1 + n_i) / log(1 + max_j n_j)

where ``n_i`` counts film i's recent fitted interactions (``film_counts``: with timestamps,
those in the latest ``holdout`` share of the log, the period tier calibration measures
conversion over, so the prior is what is popular now; every one without timestamps) and
``scale`` is the factor model's typical best score (the mean over users of their highest film
score), so ``weight`` means the same on any log and for either family. Tuning chooses the
weight on its validation split (``tuning.py``, stage 6; 0, no prior, unless a weight wins by
the margin rule).

Why recent: a log's all-time counts favour the films that were popular over its whole span,
while what a user watches next is drawn from what is watched now: on the MovieTweetings
snapshot's 5-per-user variant under the time protocol (``make bench-unseen``), a prior on
all-time counts lowered the engine's user recall on the later period (README, "On a log
nobody tuned on").

A film's audience is unchanged: the term is one constant across the users of one film. Only
the user -> films direction reads it (``Model.rec_films``, ``Model.rec_tastes``); taste
vectors, lookalikes, segments, comparable films and fold-in stay the factor model's own.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from recommender.model.calibration_horizon import latest, ordering
from recommender.model.config import TrainConfig

WEIGHTS = (0.1, 0.3, 1.0, 3.0)  # tuning's grid (0, no prior, is the incumbent)
SCALE_USERS = 2000  # users sampled (seeded) to measure the typical best score
BLOCK = 256  # users per product when measuring it


def film_counts(film_idx: NDArray[np.integer], timestamp: NDArray[np.integer] | None,
                n_films: int, share: float, seed: int = 0) -> NDArray[np.int64]:
    """Each film's interactions among ``film_idx``: with ``timestamp``, only the latest
    ``share`` of them (at least one; ties at the cut in an order drawn from ``seed``, as the
    calibration holdout); all of them without timestamps, when they are all equal, or with
    ``share`` 0."""
    idx = np.asarray(film_idx)
    ts = ordering(None if timestamp is None else np.asarray(timestamp))
    if ts is not None and share > 0 and len(idx):
        idx = idx[latest(ts, max(1, int(round(share * len(idx)))), seed=seed)]
    return np.bincount(idx, minlength=n_films).astype(np.int64)


def score_scale(user_factors: NDArray[np.floating], film_factors: NDArray[np.floating],
                seed: int = 0) -> float:
    """The mean over users with a non-zero vector (at most ``SCALE_USERS``, seeded) of their
    highest score of any film; 1.0 when no user has one."""
    uf = np.asarray(user_factors, np.float32)
    live = np.flatnonzero(np.any(uf != 0, axis=1))
    if not len(live) or not len(film_factors):
        return 1.0
    if len(live) > SCALE_USERS:
        live = np.sort(np.random.default_rng(seed).choice(live, SCALE_USERS, replace=False))
    ff_t = np.ascontiguousarray(np.asarray(film_factors, np.float32).T)
    # in blocks of users: a block x films product stays small on a large catalog
    best = np.concatenate([(uf[live[i:i + BLOCK]] @ ff_t).max(axis=1)
                           for i in range(0, len(live), BLOCK)])
    scale = float(np.mean(np.abs(best), dtype=np.float64))
    return scale if scale > 0 and np.isfinite(scale) else 1.0


def film_prior(counts: NDArray[np.integer], user_factors: NDArray[np.floating],
               film_factors: NDArray[np.floating], weight: float, seed: int = 0,
               scale: float | None = None) -> NDArray[np.float32] | None:
    """Each film's prior for ``weight`` (module docstring), or None for weight 0 (no prior).
    ``counts``: each film's fitted interactions; ``scale``: ``score_scale`` of the factors,
    when already measured."""
    if weight <= 0:
        return None
    n = np.log1p(np.asarray(counts, np.float64))
    top = float(n.max()) if len(n) else 0.0
    share = n / top if top > 0 else np.zeros_like(n)
    if scale is None:
        scale = score_scale(user_factors, film_factors, seed)
    return np.ascontiguousarray(weight * scale * share, np.float32)


def of_fit(film_idx: NDArray[np.integer], timestamp: NDArray[np.integer] | None, n_films: int,
           user_factors: NDArray[np.floating], film_factors: NDArray[np.floating],
           config: TrainConfig) -> NDArray[np.float32] | None:
    """The prior ``config`` asks for (its ``popularity`` weight, counts over its ``holdout``
    share) of factors fitted on the interactions ``film_idx`` (at ``timestamp``); None, and
    nothing counted, without one."""
    if config.popularity <= 0:
        return None
    return film_prior(film_counts(film_idx, timestamp, n_films, config.holdout, config.seed),
                      user_factors, film_factors, config.popularity, config.seed)


def with_ones(tastes: NDArray[np.floating]) -> NDArray[np.float32]:
    """Taste vectors (one, or rows) with a trailing 1: the users' side of the prior."""
    t = np.asarray(tastes, np.float32)
    return np.ascontiguousarray(
        np.concatenate([t, np.ones(t.shape[:-1] + (1,), np.float32)], axis=-1))


def with_column(film_factors: NDArray[np.floating], prior: NDArray[np.floating]
                ) -> NDArray[np.float32]:
    """Film factors with the prior as one more column: the films' side of the prior."""
    return np.ascontiguousarray(np.c_[np.asarray(film_factors, np.float32),
                                      np.asarray(prior, np.float32)])


def with_prior(user_factors: NDArray[np.floating], film_factors: NDArray[np.floating],
               prior: NDArray[np.floating] | None
               ) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
    """(user factors, film factors) whose products are the scores with ``prior`` added: a
    column of ones on the users' side and the prior on the films' (unchanged for None)."""
    if prior is None:
        return np.asarray(user_factors, np.float32), np.asarray(film_factors, np.float32)
    return with_ones(user_factors), with_column(film_factors, prior)
