"""A film's ranking for a summary: its tiers' members and each user's ring, viewers out or in.

A summary's portraits are hidden with the rings of both rankings (``portrait.portrait_of``):
the two versions of a summary (``--include-seen``) compared cell by cell worked out 3 artists
among 24 users who are in the broad ring with viewers ranked out and past it with them in.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray

from recommender.kernels.ranking import settle_top_k, top_k
from recommender.model.model import Model
from recommender.query.pages import Tiers, tier_bounds


class SummaryRanking(NamedTuple):
    """``scores`` (viewers at -inf when ranked out), ``n_cand``, the tiers' ``bounds``, the
    ``order`` of the ranks the tiers cover with their ``exact`` scores, and each user's ring:
    the tier's index, ``len(bounds)`` for the other candidates, ``len(bounds) + 1`` for the
    viewers ranked out (and nobody else)."""

    scores: NDArray[np.float32]
    n_cand: int
    bounds: list[tuple[str, int, int]]
    order: NDArray[np.int64]
    exact: NDArray[np.float32]
    rings: NDArray[np.int64]


def film_scores(model: Model, film_idx: int) -> NDArray[np.float32]:
    """(n_users,) predicted affinity of every user for one film."""
    return np.asarray(model.user_factors @ model.film_factors[film_idx], dtype=np.float32)


def summary_ranking(model: Model, f: int, tiers: Tiers, exclude_seen: bool) -> SummaryRanking:
    """Film ``f``'s ranking as a summary reads it, settled on exact dot products as the
    audience pages are: the same members and the same score ranges to the last digit."""
    scores = film_scores(model, f)
    if exclude_seen:
        scores[model.film_viewers(f)] = -np.inf
    return ranking_of(model, scores, tiers, model.film_factors[f])


def ranking_of(model: Model, scores: NDArray[np.float32], tiers: Tiers,
               vector: NDArray[np.floating] | None = None) -> SummaryRanking:
    """The summary's ranking of users by ``scores`` (-inf: ranked out): settled on exact dot
    products with ``vector`` (a film's), else by ``scores`` as given, as ``rank_users`` ranks
    a page without a vector (a new film's: its summary's rings are its audience's)."""
    n_cand = int(np.count_nonzero(scores > -np.inf))
    bounds = tier_bounds(n_cand, tiers)
    last = max((e for _, _, e in bounds), default=0)
    if vector is not None:
        order, exact = settle_top_k(scores, last, model.user_factors, vector,
                                    model.score_slack(vector))
    else:
        order = top_k(scores, last)
        exact = np.asarray(scores[order], np.float32)
    rings = np.full(model.n_users, len(bounds) + 1, np.int64)  # viewers ranked out
    rings[scores > -np.inf] = len(bounds)  # candidates past the last tier
    for t, (_, start, end) in enumerate(bounds):
        rings[order[start - 1:end]] = t
    return SummaryRanking(scores, n_cand, bounds, order, exact, rings)


def met_rings(first: NDArray[np.int64], second: NDArray[np.int64], width: int
              ) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """The pairs of rings the users meet in (each user's ring in ``first`` and in
    ``second``, both under ``width``), as codes ``first * width + second`` in ascending
    order, and each user's pair's index among them: ``np.unique(codes,
    return_inverse=True)`` to the last bit, counted instead of sorted (the sort of every
    user's code was most of hiding a summary's segment splits: 0.44 of 0.58 s of CPU
    beside 2M users)."""
    code = np.asarray(first, np.int64) * width + np.asarray(second, np.int64)
    present = np.bincount(code, minlength=width * width) > 0
    return np.flatnonzero(present).astype(np.int64), (np.cumsum(present) - 1)[code]
