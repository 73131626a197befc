"""Ranking prefixes of films' audiences: scored together, cached, and cut into pages.

A prefix holds a film's best ``depth`` candidates (ties broken by the lower user index,
exactly as ``ranking.top_k``) and the number of candidates, which is all a page needs: ranks,
percentiles and tiers are positions in that order. Prefixes are scored with a matrix-matrix
product and settled on exact dot products (``ranking.settled_top_k_rows``), so a page cut from
one is the page ``audience.film_audience`` computes, to the last digit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from recommender.kernels.ranking import exclude_rows, score_block, settled_top_k_rows, tied_rows
from recommender.model.config import DEFAULT_TIERS
from recommender.model.model import Model
from recommender.query.audience import AudiencePage, Tiers, tier_of
from recommender.query.pages import UNRANKED, empty_note, for_model, named_film
from recommender.serving.lru import LRU

# users ranked per cached film: covers the default page (k=100) and the next one; a deeper
# page ranks again, twice as deep. Selecting 256 of 138k users costs half of selecting 1024.
DEFAULT_DEPTH = 256


@dataclass(frozen=True)
class Ranking:
    """The best ``len(order)`` candidates of one film, best first.

    ``order``: user indices; ``scores``: their scores; ``n_cand``: how many users were ranked
    (all users, minus the film's viewers when ``exclude_seen``); ``tied``: every candidate
    scores the same (``ranking.tied_rows``), or the film has nothing fitted
    (``Model.nothing_fitted``): the page's note. ``complete`` when the prefix
    holds every candidate.
    """

    order: NDArray[np.integer]
    scores: NDArray[np.float32]
    n_cand: int
    tied: bool = False

    @property
    def complete(self) -> bool:
        return len(self.order) >= self.n_cand

    def covers(self, depth: int) -> bool:
        return self.complete or len(self.order) >= depth

    @property
    def nbytes(self) -> int:
        return int(self.order.nbytes + self.scores.nbytes) + 64


def rank_films(
    model: Model, films: Sequence[int], exclude_seen: Sequence[bool], depth: int
) -> list[Ranking]:
    """Ranking prefixes of several films with one (films x f) @ (f x users) product.

    ``exclude_seen[r]`` drops film ``films[r]``'s viewers from its candidates. Each prefix has
    ``min(depth, n_cand)`` users, ordered as ``ranking.top_k`` orders them.
    """
    idx = np.asarray(films, np.int64)
    scores = score_block(np.asarray(model.user_factors),
                         np.asarray(model.film_factors[idx], np.float32))
    # the whole batch in a few numpy calls: each call releases and retakes the GIL, which the
    # event loop holds most of the time under load
    exclude_rows(scores, model.seen_by_film, idx, np.flatnonzero(np.asarray(exclude_seen, bool)))
    n_cand = [int(np.count_nonzero(row > -np.inf)) for row in scores]  # 1-D counts are fast
    tied = (tied_rows(scores) | model.nothing_fitted(model.film_factors[idx], "films")).tolist()
    # settle each prefix on exact dot products, as audience.rank_users does, so a batched or
    # pre-computed ranking is the one a single request (or the CLI) computes
    uf = np.asarray(model.user_factors)
    vectors = np.asarray(model.film_factors[idx], np.float32)
    # int32 user indices halve a cached prefix (every warmed film must fit in the cache)
    itype = np.int32 if model.n_users < 2**31 else np.int64
    slacks = model.score_slacks(vectors)
    top, exact, got = settled_top_k_rows(scores, depth, uf, vectors, slacks)
    return [Ranking(top[r, :c].astype(itype), exact[r, :c].copy(), n_cand[r], tied[r])
            for r, c in enumerate(got.tolist())]


def page_from_ranking(
    model: Model, film_id: str, ranking: Ranking, k: int, offset: int,
    tiers: Tiers = DEFAULT_TIERS,
) -> AudiencePage:
    """The page ``offset``..``offset+k`` of a film's audience from its ranking prefix: the same
    page ``audience.film_audience`` returns (without segment or attribute filters)."""
    if not ranking.covers(offset + k):
        raise ValueError("ranking prefix too short for this page")
    top = ranking.order[offset:offset + k].astype(np.int64)
    ranks = np.arange(offset + 1, offset + 1 + len(top), dtype=np.int64)
    n_cand = ranking.n_cand
    return named_film(model, AudiencePage(
        film_id=film_id, user_idx=top, user_ids=model.users.to_ids(top), rank=ranks,
        score=ranking.scores[offset:offset + k],
        percentile=100.0 * (n_cand - ranks + 1) / max(n_cand, 1),
        tier=tier_of(ranks, n_cand, tiers),
        segment=np.asarray(model.segments.labels)[top].astype(np.int64), total=n_cand,
        offset=offset, k=k, note=for_model(UNRANKED, model) if ranking.tied else None,
        empty=None if n_cand else empty_note(0),
    ), model.film_index(film_id))


RankingKey = tuple[str, int, bool]  # (model key, film index, exclude_seen)


def _deeper(old: Ranking, new: Ranking) -> Ranking:
    """Of two prefixes of the same ranking, the deeper one."""
    return old if len(old.order) > len(new.order) else new


def _ranking_bytes(ranking: Ranking) -> int:
    return ranking.nbytes


class RankingCache(LRU[RankingKey, Ranking]):
    """The LRU of ranking prefixes, bounded by bytes; a shallower prefix never replaces a
    deeper one. Keys are ``(model_key, film_idx, exclude_seen)``; ``clear()`` drops everything
    (called when the model is replaced)."""

    def __init__(self, max_bytes: int = 64 << 20) -> None:
        super().__init__(max_bytes, size=_ranking_bytes, keep=_deeper)
