"""Every candidate's rank and calibrated probability for each film of a slate.

For each film, every user who has not watched it is ranked exactly as the film's audience
ranks them (the exact dot product rounded to float32, best first, ties by lower user index,
so ``rank`` here is the ``rank`` of ``GET /films/{id}/audience``), and ``p`` is
``calibration.p_at`` at the rank fraction ``(rank - 1) / candidates``: the probability that the
user watches the film within the calibration horizon (``calibration.horizon``); users whose
scores tie share the mean p over their run's ranks (``calibration.p_in_order``). Films are
scored a block at a time with one ``(users x f) @ (f x block)`` product.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from tqdm import tqdm

from recommender.io.progress import show_progress
from recommender.model import calibration
from recommender.model.model import Model


@dataclass
class SlateCandidates:
    """Films x users arrays for a slate: ``p`` (NaN where the user watched the film) and
    ``rank`` (1-based among the film's candidates; 0 where the user watched it)."""

    films: NDArray[np.int64]
    p: NDArray[np.float64]
    rank: NDArray[np.int32]
    n_candidates: NDArray[np.int64]

    def rank_fraction(self) -> NDArray[np.float64]:
        """``(rank - 1) / candidates`` (0 = best); NaN where the user is not a candidate."""
        frac = (self.rank.astype(np.float64) - 1) / np.maximum(self.n_candidates, 1)[:, None]
        return np.where(self.rank > 0, frac, np.nan)


def slate_candidates(model: Model, films: NDArray[np.integer], block: int = 16,
                     progress: bool | None = None) -> SlateCandidates:
    """Ranks and ``p`` of every candidate of each film in ``films`` (film indices)."""
    chosen: NDArray[np.int64] = np.asarray(films, np.int64)
    n_users = model.n_users
    p = np.full((len(chosen), n_users), np.nan)
    rank = np.zeros((len(chosen), n_users), np.int32)
    n_cand = np.zeros(len(chosen), np.int64)
    show = show_progress(progress)
    indptr, indices = model.seen_by_film.indptr, model.seen_by_film.indices
    with tqdm(total=len(chosen), unit="film", desc="scoring", disable=not show,
              file=sys.stderr) as bar:
        for start in range(0, len(chosen), block):
            chunk = chosen[start:start + block]
            # the audience's settled score: the exact dot product rounded to float32
            scores = np.ascontiguousarray(model.user_scores(model.film_factors[chunk]))
            for r, f in enumerate(chunk.tolist()):
                scores[r, indices[indptr[f]:indptr[f + 1]]] = -np.inf
            order = np.argsort(-scores, axis=1, kind="stable")  # ties: lower user index
            ranks = np.empty_like(order)
            np.put_along_axis(ranks, order, np.arange(1, n_users + 1)[None, :], axis=1)
            for r, f in enumerate(chunk.tolist()):
                i = start + r
                viewers = indices[indptr[f]:indptr[f + 1]]
                total = n_users - len(np.unique(viewers))
                n_cand[i] = total
                cand = np.ones(n_users, bool)
                cand[viewers] = False
                rank[i, cand] = ranks[r, cand]
                # candidates come first in ``order`` (viewers score -inf); users who tie
                # share the mean p of their run's ranks, as the distribution forecast does
                best_first = order[r, :total]
                # a film with nothing fitted: its order means nothing even where scores
                # differ (LMF: each user's own bias), so all its candidates tie
                desc = (np.zeros(total) if model.nothing_fitted(model.film_factors[f], "films")
                        else scores[r, best_first])
                p[i, best_first] = calibration.p_in_order(model.calibration, int(f), desc)
            bar.update(len(chunk))
    return SlateCandidates(chosen, p, rank, n_cand)
