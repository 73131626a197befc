"""Film -> users: a film's ranked audience and its tiers, summary, lookalikes and cold start.

Also the segment split and demographic portrait of a tier, and batch audiences of many films.
Every ranking is one matrix-vector (or matrix-matrix, for batches) product followed by
``argpartition``; there is no Python loop over users.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
from numpy.typing import NDArray

from recommender.errors import (
    InvalidParameterError,
    UnknownFilmError,
    UnknownGenreError,
    UnknownUserError,
)
from recommender.io.columns import AGE_BAND, GENDER, OCCUPATION, REGION
from recommender.kernels.ranking import rank_of, settle_top_k, settled_rank_of, top_k
from recommender.model import calibration
from recommender.model.config import DEFAULT_TIERS, check_tiers
from recommender.model.model import Model
from recommender.model.segments import lift_table
from recommender.query.blocks import Block, top_k_blocks
from recommender.query.catalog import segment_split
from recommender.query.filters import Filters, candidate_mask

Tiers = Sequence[tuple[str, float]]
MAX_K = 100_000


@dataclass
class AudiencePage:
    """One page of a ranked audience. Arrays are aligned; ``total`` counts every candidate
    (after exclusions and filters), so pages can walk the whole ranking."""

    film_id: str | None
    user_idx: NDArray[np.int64]
    user_ids: NDArray[np.str_]
    rank: NDArray[np.int64]
    score: NDArray[np.float32]
    percentile: NDArray[np.float64]
    tier: list[str | None]
    segment: NDArray[np.int64]
    total: int
    offset: int
    k: int

    # a row's fields, in order; ``columns`` holds the rules of their values (one source for
    # ``rows``, hence ``to_json``, and for the service's byte renderer)
    FIELDS: ClassVar[tuple[str, ...]] = ("user_id", "rank", "score", "percentile", "tier",
                                         "segment")

    def columns(self) -> list[list[Any]]:
        """The rows' JSON values column by column, in ``FIELDS`` order: user ids, ranks,
        scores rounded to 6 digits, percentiles rounded to 4, tiers (None: no tier) and
        segments, as Python str / int / float / None (no indices)."""
        # .tolist() converts each column to Python ints/floats/strs in C (the same values
        # int()/float() give element by element, several times faster)
        return [np.asarray(self.user_ids).tolist(), np.asarray(self.rank, np.int64).tolist(),
                [round(s, 6) for s in np.asarray(self.score, np.float32).tolist()],
                [round(p, 4) for p in np.asarray(self.percentile, np.float64).tolist()],
                list(self.tier), np.asarray(self.segment, np.int64).tolist()]

    def rows(self) -> list[dict[str, Any]]:
        """JSON-ready rows: user_id, rank, score, percentile, tier, segment (no indices)."""
        fields = self.FIELDS
        return [dict(zip(fields, values, strict=True))
                for values in zip(*self.columns(), strict=True)]

    def body(self, users: Any) -> dict[str, Any]:
        """The JSON object of the page with ``users`` in the place of its rows: film_id,
        users, total, offset, k."""
        film_id = None if self.film_id is None else str(self.film_id)
        return {"film_id": film_id, "users": users, "total": self.total,
                "offset": self.offset, "k": self.k}

    def to_json(self) -> dict[str, Any]:
        """The page as the audience endpoint's JSON body (and ``audience --json``)."""
        return self.body(self.rows())

    def shown_text(self, filtered: bool = False) -> str:
        """What the page shows, in words, for a header line: ``showing ranks 11-20``; for a
        ``filtered`` page (segment or attribute filter), whose rows are scattered over the
        whole ranking, ``showing 2 users (global ranks 48-511) of 120 matching the filter``
        (with ``matches 7-8, `` in the brackets past the first page); for a page past the
        end, ``no users at ranks 5001+ (the ranking has 4,200 candidates)``."""
        n, first = len(self.user_idx), self.offset + 1
        if not filtered:
            if n == 0:
                return (f"no users at ranks {first}+ (the ranking has {self.total:,} "
                        f"candidate{'' if self.total == 1 else 's'})")
            return f"showing ranks {first}-{self.offset + n}"
        if n == 0:
            if self.total == 0:
                return "no candidate matches the filter"
            return (f"no users at matches {first}+ ({self.total:,} candidate"
                    f"{' matches' if self.total == 1 else 's match'} the filter)")
        ranks = np.asarray(self.rank, np.int64)
        lo, hi = int(ranks.min()), int(ranks.max())
        where = f"global rank {lo}" if lo == hi else f"global ranks {lo}-{hi}"
        if self.offset:
            where = (f"match {first}" if n == 1 else f"matches {first}-{self.offset + n}"
                     ) + f", {where}"
        return (f"showing {n} user{'' if n == 1 else 's'} ({where}) of {self.total:,} "
                f"matching the filter")


def check_k(k: int, offset: int = 0, max_k: int = MAX_K) -> None:
    if not 1 <= k <= max_k:
        raise InvalidParameterError(f"k must be in [1, {max_k}], got {k}")
    if offset < 0:
        raise InvalidParameterError(f"offset must be >= 0, got {offset}")


def tier_bounds(total: int, tiers: Tiers = DEFAULT_TIERS) -> list[tuple[str, int, int]]:
    """(name, first rank, last rank) of each tier among ``total`` ranked candidates.

    Tier i ends at rank ceil(total x cumulative share / 100); a tier can be empty when the
    audience is small. Ranks after the last tier belong to no tier.
    """
    check_tiers(tuple(tiers))
    out: list[tuple[str, int, int]] = []
    start, cum = 1, 0.0
    for name, share in tiers:
        cum += share
        end = min(total, math.ceil(total * cum / 100 - 1e-9))
        out.append((name, start, end))
        start = max(start, end + 1)
    return out


def tier_of(ranks: NDArray[np.int64], total: int, tiers: Tiers = DEFAULT_TIERS
            ) -> list[str | None]:
    bounds = tier_bounds(total, tiers)
    ends = np.array([e for _, _, e in bounds])
    pos = np.searchsorted(ends, ranks, side="left")
    names = [n for n, _, _ in bounds]
    return [names[p] if p < len(names) else None for p in pos.tolist()]


def rank_users(
    model: Model,
    scores: NDArray[np.float32],
    film_id: str | None,
    k: int,
    offset: int = 0,
    exclude: NDArray[np.integer] | None = None,
    mask: NDArray[np.bool_] | None = None,
    tiers: Tiers = DEFAULT_TIERS,
    copy: bool = True,
    vector: NDArray[np.floating] | None = None,
) -> AudiencePage:
    """Rank users by ``scores`` (n_users,), dropping ``exclude`` users; one page of it.

    Ranks, percentiles and tiers are positions in the whole candidate ranking; a ``mask``
    (segment / attribute filter) selects which of those candidates the pages list.
    ``copy=False`` lets the function overwrite a float32 ``scores`` the caller no longer needs.
    When ``scores`` are ``user_factors @ vector``, the page is settled on exact dot products
    (``ranking.settle_top_k``, ``ranking.settled_rank_of``), so it is the same whichever BLAS
    kernel, thread count or batch computed ``scores``: the CLI, a single request and a
    batched or pre-computed ranking agree to the last digit.
    """
    check_k(k, offset)
    scores = np.array(scores, dtype=np.float32) if copy else np.asarray(scores, np.float32)
    if exclude is not None and len(exclude):
        scores[exclude] = -np.inf
    n_cand = int(np.count_nonzero(scores > -np.inf))
    shown: NDArray[np.float32] | None = None
    if mask is None:
        if vector is not None:
            top, shown = settle_top_k(scores, offset + k, model.user_factors, vector,
                                      model.score_slack(vector))
            top, shown = top[offset:], shown[offset:]
        else:
            top = top_k(scores, offset + k)[offset:]
        ranks = np.arange(offset + 1, offset + 1 + len(top), dtype=np.int64)
        total = n_cand
    else:
        listed = np.where(mask, scores, -np.inf).astype(np.float32)
        total = int(np.count_nonzero(listed > -np.inf))
        if vector is not None:
            slack = model.score_slack(vector)
            top, shown = settle_top_k(listed, offset + k, model.user_factors, vector, slack)
            top, shown = top[offset:], shown[offset:]
            ranks = settled_rank_of(scores, top, shown, model.user_factors, vector, slack)
        else:
            top = top_k(listed, offset + k)[offset:]
            ranks = rank_of(scores, top)
    percentile = 100.0 * (n_cand - ranks + 1) / max(n_cand, 1)
    return AudiencePage(
        film_id=film_id, user_idx=top, user_ids=model.users.to_ids(top), rank=ranks,
        score=scores[top] if shown is None else shown, percentile=percentile,
        tier=tier_of(ranks, n_cand, tiers),
        segment=np.asarray(model.segments.labels)[top].astype(np.int64), total=total,
        offset=offset, k=k,
    )


def film_scores(model: Model, film_idx: int) -> NDArray[np.float32]:
    """(n_users,) predicted affinity of every user for one film."""
    return np.asarray(model.user_factors @ model.film_factors[film_idx], dtype=np.float32)


def film_audience(
    model: Model,
    film_id: str,
    k: int = 100,
    offset: int = 0,
    exclude_seen: bool = True,
    segment: int | None = None,
    filters: Filters | None = None,
    tiers: Tiers = DEFAULT_TIERS,
) -> AudiencePage:
    """The users most likely to watch ``film_id``, best first, ``offset``..``offset+k``."""
    f = model.film_index(film_id)
    return rank_users(
        model, film_scores(model, f), film_id, k, offset,
        exclude=model.film_viewers(f) if exclude_seen else None,
        mask=candidate_mask(model, segment, filters), tiers=tiers, copy=False,
        vector=model.film_factors[f],
    )


def audience_summary(
    model: Model, film_id: str, tiers: Tiers = DEFAULT_TIERS, exclude_seen: bool = True
) -> dict[str, Any]:
    """Tiers (size, rank and score range, expected conversion), the segment split of each tier
    with lift, and the demographic portrait of the core tier against all users."""
    f = model.film_index(film_id)
    scores = film_scores(model, f)
    viewers = model.film_viewers(f)
    if exclude_seen:
        scores[viewers] = -np.inf
    n_cand = int(np.count_nonzero(scores > -np.inf))
    bounds = tier_bounds(n_cand, tiers)
    last = max((e for _, _, e in bounds), default=0)
    order = top_k(scores, last)
    base = calibration.base_rate(model.calibration)
    tier_rows: list[dict[str, Any]] = []
    cum = 0.0
    for (name, start, end), (_, share) in zip(bounds, tiers, strict=True):
        members = order[start - 1:end]
        conv = calibration.conversion(model.calibration, cum, cum + share)
        cum += share
        tier_rows.append({
            "tier": name,
            "share_pct": share,
            "size": int(len(members)),
            "rank_range": [int(start), int(end)] if len(members) else None,
            "score_range": ([round(float(scores[members].min()), 6),
                             round(float(scores[members].max()), 6)] if len(members) else None),
            "expected_conversion": None if conv is None else round(conv, 5),
            "conversion_lift": None if conv is None or not base else round(conv / base, 3),
            "segments": segment_split(model, members),
        })
    core = order[: bounds[0][2]] if bounds else order[:0]
    portrait = {name: lift_table(values, core)
                for name, values in sorted(model.user_table.attributes.items())
                if name in PORTRAIT_ATTRIBUTES}
    return {
        "film_id": film_id,
        "title": str(model.catalog.titles[f]),
        "viewers": int(len(viewers)),
        "candidates": n_cand,
        "base_conversion": None if base is None else round(base, 5),
        "tiers": tier_rows,
        "segments": segment_split(model, order),
        "portrait": portrait,
    }


PORTRAIT_ATTRIBUTES = (AGE_BAND, GENDER, OCCUPATION, REGION)


def lookalikes(
    model: Model, seed_user_ids: Sequence[str], k: int = 100, offset: int = 0,
    tiers: Tiers = DEFAULT_TIERS,
) -> tuple[AudiencePage, list[str]]:
    """Users most like the seed list (cosine to the seeds' mean taste), seeds excluded.

    Returns the page and the seed ids that were unknown (skipped). All unknown -> error.
    """
    if not seed_user_ids:
        raise InvalidParameterError("seed_user_ids must hold at least one user id")
    idx = model.users.to_index(seed_user_ids, strict=False)
    unknown = [u for u, i in zip(seed_user_ids, idx.tolist(), strict=True) if i < 0]
    known = np.unique(idx[idx >= 0])
    if len(known) == 0:
        raise UnknownUserError(unknown)
    uf = model.user_factors
    seed = (uf[known] / model.user_norms[known, None]).mean(axis=0)
    scores = (uf @ seed) / model.user_norms
    page = rank_users(model, scores.astype(np.float32), None, k, offset, exclude=known,
                      tiers=tiers)
    return page, unknown


def cold_start_vector(
    model: Model,
    comparable: Mapping[str, float] | Sequence[str] = (),
    genres: Sequence[str] = (),
) -> NDArray[np.float32]:
    """Taste vector of a film with no history: the weighted mean of its comparable films'
    vectors, where each requested genre counts as one more comparable (the mean vector of the
    catalog's films in that genre, weighted 1)."""
    weights = dict(comparable) if isinstance(comparable, Mapping) else dict.fromkeys(comparable,
                                                                                    1.0)
    if not weights and not genres:
        raise InvalidParameterError("give at least one comparable film id or one genre")
    if any(not np.isfinite(w) or w <= 0 for w in weights.values()):
        raise InvalidParameterError("comparable film weights must be positive numbers")
    vecs: list[NDArray[np.float32]] = []
    ws: list[float] = []
    if weights:
        idx = model.films.to_index(list(weights), strict=True, error=UnknownFilmError)
        vecs.append(np.asarray(model.film_factors[idx]))
        ws.extend(weights.values())
    if genres:
        vocab = {g.lower(): g for g in model.catalog.genre_vocabulary()}
        unknown = [g for g in genres if g.lower() not in vocab]
        if unknown:
            raise UnknownGenreError(unknown)
        split = [set(s.split("|")) for s in model.catalog.genres.tolist()]
        for g in genres:
            members = np.array([vocab[g.lower()] in row for row in split])
            vecs.append(np.asarray(model.film_factors[members]).mean(axis=0, keepdims=True))
            ws.append(1.0)
    stacked = np.vstack(vecs)
    w = np.asarray(ws, np.float64)
    w = w / w.max()  # relative weights; keeps huge or tiny weights from overflowing to 0
    return (w @ stacked / w.sum()).astype(np.float32)


def cold_start_audience(
    model: Model,
    comparable: Mapping[str, float] | Sequence[str] = (),
    genres: Sequence[str] = (),
    k: int = 100,
    offset: int = 0,
    segment: int | None = None,
    filters: Filters | None = None,
    tiers: Tiers = DEFAULT_TIERS,
) -> AudiencePage:
    """Audience of a new film from comparable titles and/or genres (same shape as a known
    film's audience; nobody has seen it, so nobody is excluded)."""
    vec = cold_start_vector(model, comparable, genres)
    scores = np.asarray(model.user_factors @ vec, np.float32)
    return rank_users(model, scores, None, k, offset, mask=candidate_mask(model, segment, filters),
                      tiers=tiers)


def batch_audiences(
    model: Model,
    film_idx: NDArray[np.integer],
    k: int = 100,
    exclude_seen: bool = True,
    batch: int = 256,
) -> Iterator[Block]:
    """Top-``k`` audiences of many films, ``batch`` films per matrix product.

    Yields ``(films, users, scores, counts)`` per batch: ``users`` and ``scores`` are
    (len(films), min(k, n_users)); row r's first ``counts[r]`` entries are real, and they are
    ``film_audience``'s users and scores to the last digit (settled on exact dot products).
    """
    check_k(k)
    yield from top_k_blocks(film_idx, model.film_factors, model.user_factors, model.seen_by_film,
                            k, exclude_seen, batch, model.score_slacks)
