"""The popularity prior: a per-film term added to a user's scores of films (recommendations).

On sparse logs (a few interactions per user) how many people watched a film predicts what a
user watches next better than their few interactions do, and popularity beats every
personalised model in the user direction (``benchmarks/results/quality.md``, the ``sparse5``
rows). The prior adds ``film_prior[i]`` to every user's score of film i:

    film_prior[i] = weight x scale x log(1 + n_i) / log(1 + max_j n_j)

where ``n_i`` is film i's fitted interactions and ``scale`` the factor model's typical best
score (the mean over users of their highest film score), so ``weight`` means the same on any
log and for either family. Tuning chooses the weight on its validation split
(``tuning.py``, stage 6; 0, no prior, unless a weight wins by the margin rule).

A film's audience is unchanged: the term is one constant across the users of one film. Only
the user -> films direction reads it (``Model.rec_films``, ``Model.rec_tastes``); taste
vectors, lookalikes, segments, comparable films and fold-in stay the factor model's own.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

WEIGHTS = (0.1, 0.3, 1.0, 3.0)  # tuning's grid (0, no prior, is the incumbent)
SCALE_USERS = 2000  # users sampled (seeded) to measure the typical best score
BLOCK = 256  # users per product when measuring it


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
               film_factors: NDArray[np.floating], weight: float, seed: int = 0
               ) -> NDArray[np.float32] | None:
    """Each film's prior for ``weight`` (module docstring), or None for weight 0 (no prior).
    ``counts``: each film's fitted interactions."""
    if weight <= 0:
        return None
    n = np.log1p(np.asarray(counts, np.float64))
    top = float(n.max()) if len(n) else 0.0
    share = n / top if top > 0 else np.zeros_like(n)
    scale = score_scale(user_factors, film_factors, seed)
    return np.ascontiguousarray(weight * scale * share, np.float32)


def with_prior(user_factors: NDArray[np.floating], film_factors: NDArray[np.floating],
               prior: NDArray[np.floating] | None
               ) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
    """(user factors, film factors) whose products are the scores with ``prior`` added: a
    column of ones on the users' side and the prior on the films' (unchanged for None)."""
    uf = np.asarray(user_factors, np.float32)
    ff = np.asarray(film_factors, np.float32)
    if prior is None:
        return uf, ff
    return (np.ascontiguousarray(np.c_[uf, np.ones(len(uf), np.float32)]),
            np.ascontiguousarray(np.c_[ff, np.asarray(prior, np.float32)]))
