"""Film -> users: a film's ranked audience and its tiers, summary, lookalikes and cold start.

Also the segment split and demographic portrait of a tier, and batch audiences of many films.
Every ranking is one matrix-vector (or matrix-matrix, for batches) product followed by
``argpartition``; there is no Python loop over users.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from recommender.errors import (
    InvalidParameterError,
    UnknownFilmError,
    UnknownUserError,
    comparable_films,
)
from recommender.io.text import listing, plural
from recommender.kernels.ranking import rank_of, settle_top_k, settled_rank_of, top_k
from recommender.model import calibration, calibration_interval
from recommender.model.config import DEFAULT_TIERS
from recommender.model.model import Model
from recommender.model.probability_digits import round_probability
from recommender.query.blocks import Block, top_k_blocks
from recommender.query.catalog import resolve_genres
from recommender.query.cold_start_taste import (
    cold_start_vector,
    genres_only_note,
    known_comparables,
    unfitted_comparables,
)
from recommender.query.filters import Filters, candidate_mask, cut_text, resolve_filters
from recommender.query.id_titles import comparables_also_titled, film_names
from recommender.query.pages import (
    MAX_K,
    UNRANKED_LOOKALIKE,
    AudiencePage,
    Tiers,
    check_export_k,
    check_k,
    check_served_k,
    empty_note,
    for_model,
    named_film,
    resolve_tier,
    ring_info,
    tie_note,
    tier_bounds,
    tier_of,
)
from recommender.query.privacy import DEFAULT_MIN_CELL
from recommender.query.render import percentiles
from recommender.query.seed_ids import matched_seeds, refuse_weighted_seeds
from recommender.query.summary_cells import summary_cells, tier_row
from recommender.query.summary_rings import film_scores, summary_ranking

__all__ = ["DEFAULT_TIERS", "MAX_K", "AudiencePage", "Tiers", "audience_summary",
           "batch_audiences", "check_export_k", "check_k", "check_served_k", "cold_start_audience",
           "cold_start_page",
           "cold_start_vector", "known_comparables",
           "film_audience", "film_scores", "lookalikes", "nobody_note", "rank_users",
           "resolve_tier",
           "ring_info", "tier_bounds", "tier_of"]


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
    tier: str | None = None,
    unfitted: bool = False,
) -> AudiencePage:
    """Rank users by ``scores`` (n_users,), dropping ``exclude`` users; one page of it.

    Ranks, percentiles and tiers are positions in the whole candidate ranking; a ``mask``
    (segment / attribute filter) selects which of those candidates the pages list.
    ``copy=False`` lets the function overwrite a float32 ``scores`` the caller no longer needs.
    When ``scores`` are ``user_factors @ vector``, the page is settled on exact dot products
    (``ranking.settle_top_k``, ``ranking.settled_rank_of``), so it is the same whichever BLAS
    kernel, thread count or batch computed ``scores``: the CLI, a single request and a
    batched or pre-computed ranking agree to the last digit.

    ``tier`` (a tier name, any case) pages within that ring: offset 0 is the ring's first
    user, ``total`` counts the ring's users (that pass the ``mask``), and ``ring`` gives the
    ring's name, global rank range and size.

    ``unfitted`` says the scores come from a query with nothing fitted (lookalike seeds, cold
    start's comparable films), whose scores need not tie under BPR and LMF (LMF's cold start
    orders users by their own bias): the page then carries the note, as one from a ``vector``
    with nothing fitted does.
    """
    # a page of a library caller as large as it likes up to MAX_K, and any up to every user
    # (the exports' cut pages: --k above the users lists them all)
    check_k(k, offset, max(MAX_K, len(scores)))
    scores = np.array(scores, dtype=np.float32) if copy else np.asarray(scores, np.float32)
    if exclude is not None and len(exclude):
        scores[exclude] = -np.inf
    n_cand = int(np.count_nonzero(scores > -np.inf))
    ring, lead, stop = None, 0, n_cand  # the listed ranks: lead + 1 .. stop
    if tier is not None:
        ring = ring_info(resolve_tier(tier, tiers), n_cand, tiers)
        if ring["rank_range"] is not None:
            lead, stop = ring["rank_range"][0] - 1, ring["rank_range"][1]
        else:
            lead = stop = 0
        if mask is not None:
            in_ring = np.zeros(len(scores), bool)
            if stop > lead:
                order = (settle_top_k(scores, stop, model.user_factors, vector,
                                      model.score_slack(vector))[0] if vector is not None
                         else top_k(scores, stop))
                in_ring[order[lead:stop]] = True
            mask = mask & in_ring
    shown: NDArray[np.float32] | None = None
    if mask is None:
        first = lead + offset
        want = max(0, min(k, stop - first))
        if want == 0:
            top = np.zeros(0, np.int64)
            shown = None if vector is None else np.zeros(0, np.float32)
        elif vector is not None:
            top, shown = settle_top_k(scores, first + want, model.user_factors, vector,
                                      model.score_slack(vector))
            top, shown = top[first:], shown[first:]
        else:
            top = top_k(scores, first + want)[first:]
        ranks = np.arange(first + 1, first + 1 + len(top), dtype=np.int64)
        total = stop - lead
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
    percentile = percentiles(ranks, n_cand)
    return AudiencePage(
        film_id=film_id, user_idx=top, user_ids=model.users.to_ids(top), rank=ranks,
        score=scores[top] if shown is None else shown, percentile=percentile,
        tier=tier_of(ranks, n_cand, tiers),
        segment=np.asarray(model.segments.labels)[top].astype(np.int64), total=total,
        offset=offset, k=k, ring=ring,
        note=for_model(tie_note(scores, film_id, unfitted or (
            vector is not None and bool(model.nothing_fitted(vector, "films")))), model),
    )


def film_audience(
    model: Model,
    film_id: str,
    k: int = 100,
    offset: int = 0,
    exclude_seen: bool = True,
    segment: int | str | None = None,
    filters: Filters | None = None,
    tiers: Tiers = DEFAULT_TIERS,
    tier: str | None = None,
    min_cell: int | None = None,
) -> AudiencePage:
    """The users most likely to watch ``film_id``, best first, ``offset``..``offset+k`` (of
    one ring, with ``tier``; of one segment, by number or label, and attribute filters, read
    at ``min_cell``: the server's setting, default ``RECOMMENDER_MIN_CELL``)."""
    f = model.film_index(film_id)
    # at the caller's cell; its exact spellings resolve to themselves at any other
    filters = resolve_filters(model, filters, min_cell) if filters else filters
    viewers = model.film_viewers(f) if exclude_seen else np.zeros(0, np.int64)
    mask = candidate_mask(model, segment, filters, min_cell)
    page = rank_users(model, film_scores(model, f), film_id, k, offset, exclude=viewers,
                      mask=mask, tiers=tiers, copy=False, vector=model.film_factors[f],
                      tier=tier)
    if page.total == 0:  # why nobody: no candidate, an empty ring or the filter
        page.empty = nobody_note(model, page.ring, viewers, mask,
                                 cut_text(model, segment, filters, min_cell=min_cell))
    return named_film(model, page, f)


def nobody_note(model: Model, ring: dict[str, Any] | None, excluded: NDArray[np.integer],
                mask: NDArray[np.bool_] | None, cut: str) -> str:
    """Why an audience lists nobody (its ``total`` is 0), as ``empty_note`` words it: its
    candidates are the users not ``excluded`` (a film's viewers; none for a new film), of
    them those of ``mask`` (a segment and filters, ``cut`` as ``filters.cut_text`` names
    them; None: no cut) and of the ``ring`` asked for. One reason for a film's audience, a
    new film's (cold start) and an export's films with no rows."""
    outside = np.ones(model.n_users, bool)
    outside[excluded] = False
    return empty_note(int(outside.sum()), ring, 0 if mask is None else int(
        np.count_nonzero(mask & outside)), cut)


def audience_summary(
    model: Model, film_id: str, tiers: Tiers = DEFAULT_TIERS, exclude_seen: bool = True,
    tier: str | None = None, min_cell: int = DEFAULT_MIN_CELL,
) -> dict[str, Any]:
    """Tiers (size, rank and score range, expected conversion), the segment split of each tier
    with lift, and the demographic portrait of the ranks ``tier`` names (``portrait_scope``:
    by default core + extended) against all users.

    Every cell carries its count; a cell of fewer than ``min_cell`` users (segment splits and
    portrait alike) is left out, and ``suppressed_cells`` counts them; an empty ring's split
    and a portrait of nobody have no rows."""
    if min_cell < 1:
        raise InvalidParameterError(f"min_cell must be >= 1, got {min_cell}")
    f = model.film_index(film_id)
    viewers = model.film_viewers(f)
    ranking = summary_ranking(model, f, tiers, exclude_seen)
    scores, n_cand, bounds = ranking.scores, ranking.n_cand, ranking.bounds
    vector = model.film_factors[f]
    # calibrated p (calibration.p_at) of this film, averaged over the ranks: all candidates
    # for the base, each tier's ranks for its expected conversion (so it falls ring by ring)
    # p is for users who have not watched the film: with its viewers ranked in, there is no
    # conversion to expect (they converted already), so none is given
    base = calibration.mean_p(model.calibration, f, 1, n_cand, n_cand) if exclude_seen \
        else None
    # a ranking in no meaningful order: every ring expects the film's mean p, as the planner
    # and distribution give users who tie (calibration.p_in_order), not its best ranks' rates
    note = for_model(tie_note(scores, film_id, bool(model.nothing_fitted(vector, "films"))), model)
    # the 95% intervals of each ring's conversion and lift (the calibration's estimation noise)
    spans, lifts = calibration_interval.tier_intervals(
        model.calibration, f, [(s, e) for _, s, e in bounds], n_cand, note is not None) \
        if exclude_seen else ([None] * len(bounds), [None] * len(bounds))
    tier_rows = []
    for t, ((_, start, end), (_, share), span, span_lift) in enumerate(zip(
            bounds, tiers, spans, lifts, strict=True)):
        conv = (None if not exclude_seen else base if note is not None and end >= start
                else calibration.mean_p(model.calibration, f, start, end, n_cand))
        tier_rows.append(tier_row(ranking, t, share, conv, base, span, span_lift))
    # every scope a portrait may picture (adjacent tiers, or all), hidden together, and so
    # are the summary's with viewers ranked the other way (compared, they gave a small group)
    other = summary_ranking(model, f, tiers, not exclude_seen).rings
    cells = summary_cells(model, ranking, other, tier_rows, tiers, tier, min_cell,
                          exclude_seen)
    return {
        "film_id": film_id,
        **film_names(model, f),  # title, year, also_titled
        "viewers": int(len(viewers)),
        "candidates": n_cand,
        "base_conversion": None if base is None else round_probability(base),
        "horizon": calibration.horizon(model.calibration),
        "conversion_interval_note": calibration_interval.interval_note(model.calibration)
        if exclude_seen else None,
        "tiers": tier_rows,
        "segments": cells["segments"],
        "portrait": cells["portrait"],
        "portrait_scope": cells["portrait_scope"],
        "min_cell": min_cell,
        "suppressed_cells": cells["suppressed_cells"],
        "note": note,
    }


def lookalikes(
    model: Model, seed_user_ids: Sequence[str], k: int = 100, offset: int = 0,
    tiers: Tiers = DEFAULT_TIERS, tier: str | None = None,
    where: Callable[[int], str] | None = None,
) -> tuple[AudiencePage, list[str]]:
    """Users most like the seed list (mean cosine to the seeds), seeds excluded.

    A user's score is the mean of their taste vector's cosines to each seed user's (the
    cosine to the mean of the seeds' unit vectors, times that mean's length): not the cosine
    to the seeds' mean vector, which a seed of long vector would pull towards itself.

    Returns the page and the seed ids that were unknown (skipped), each once, in the order
    given (as a seed file is read and ``recommend_for_watched`` lists its films). All unknown
    -> error (with what they may mean). A seed is the user it names as written, else the
    user it names stripped of its surrounding spaces (``seed_ids.matched_seeds``; the page's
    ``stripped_seed_ids`` names those, as sent). ``extra``'s ``tied`` says whether every
    candidate scores the same (the note is then ``tie_note``'s, not the one naming the seeds
    left out of the mean taste), so a client need not read the note's words. A seed
    ``USER_ID=WEIGHT`` of a known user is refused (``seed_ids.refuse_weighted_seeds``;
    ``where`` names a seed's place, by default the body's element).
    """
    if not seed_user_ids:
        raise InvalidParameterError("seed_user_ids must hold at least one user id")
    idx, stripped, unknown = matched_seeds(model.users, seed_user_ids)
    refuse_weighted_seeds(model.users, seed_user_ids, idx, where)
    known = np.unique(idx[idx >= 0])
    if len(known) == 0:
        raise model.users.unknown(UnknownUserError, unknown)
    uf = model.user_factors
    if model.bias_columns:  # BPR's and LMF's bias columns are no taste (as similar_films):
        # in the cosine, a user's bias (LMF) or the constant 1 (BPR) ranked the lookalikes
        taste = model.taste(np.asarray(uf, np.float32))
        norms = np.linalg.norm(taste, axis=1).astype(np.float32)
        norms = np.where(norms > 0, norms, np.float32(1))
    else:
        taste, norms = uf, model.user_norms
    # a seed with nothing fitted (a zero vector) has no taste to be like: the mean is the
    # fitted seeds' (counted, it was cosine 0 to everyone and halved the scores beside one)
    blank = model.nothing_fitted(uf[known], "users")
    fitted = known[~blank]
    # every seed blank: no taste, every candidate scores 0 (a vector shrunk almost to zero
    # has a noise direction, whose cosines looked like a ranking); so do users with none
    seed = ((taste[fitted] / norms[fitted, None]).mean(axis=0) if len(fitted)
            else np.zeros(taste.shape[1], np.float32))
    scores = np.where(model.unfitted_rows("users"), np.float32(0), (taste @ seed) / norms)
    page = rank_users(model, scores.astype(np.float32), None, k, offset, exclude=known,
                      tiers=tiers, tier=tier, unfitted=bool(blank.all()))
    if page.note is not None:  # the tie's, in a lookalike's words (it has no conversions),
        page.note = for_model(UNRANKED_LOOKALIKE, model)  # or that the model learned nothing
    unfitted = model.users.to_ids(known[blank]).tolist()
    # tied: the note is rank_users' (every candidate scores the same), not the left-out one
    # every seed blank: the mean is of them all (zero), as with exact zero vectors
    page.extra = {"seeds_used": len(fitted) or len(known), "unfitted_seed_ids": unfitted,
                  "stripped_seed_ids": stripped, "tied": page.note is not None}
    if unfitted and not blank.all():  # left out of the mean: said, counted and named
        page.note = page.note or left_out_note(unfitted, len(known), "seed user")
    if page.total == 0:  # why nobody, as a film's audience says it (it said empty: null)
        left = model.n_users - len(known)
        page.empty = ("no candidate: every user the model knows is a seed (the seeds are "
                      "left out)" if left == 0 else
                      empty_note(left, page.ring) if page.ring is not None else None)
    return page, unknown


def cold_start_audience(
    model: Model,
    comparable: Mapping[str, float] | Sequence[str] = (),
    genres: Sequence[str] = (),
    k: int = 100,
    offset: int = 0,
    segment: int | str | None = None,
    filters: Filters | None = None,
    tiers: Tiers = DEFAULT_TIERS,
    tier: str | None = None,
    min_cell: int | None = None,
) -> AudiencePage:
    """Audience of a new film from comparable titles and/or genres (same shape as a known
    film's audience; nobody has seen it, so nobody is excluded). Comparable films with
    nothing fitted beside a fitted film or genre are left out of the mean and named in the
    note (unless every candidate ties: that note wins, as a lookalike's); ``extra`` says what
    the mean is of (comparable_films, unfitted_film_ids, genres; genres_only None:
    ``cold_start_page`` says it), whether the note is the tie's (``tied``) and the comparable
    films whose id is also other films' title (``comparable_also_titled``)."""
    vec = cold_start_vector(model, comparable, genres)
    # the exact dot products rounded to float32 (``Model.user_scores``), as the cold-start
    # distribution and summary rank users: no BLAS order splits or joins a near tie
    scores = model.user_scores(vec)
    blank = bool(model.nothing_fitted(vec, "films"))
    mask = candidate_mask(model, segment, filters, min_cell)
    page = rank_users(model, scores, None, k, offset, mask=mask, tiers=tiers, tier=tier,
                      unfitted=blank)
    if page.total == 0:  # why nobody, as a film's audience says it (it said empty: null)
        page.empty = nobody_note(model, page.ring, np.zeros(0, np.int64), mask,
                                 cut_text(model, segment, filters, min_cell=min_cell))
    weights = dict(comparable) if isinstance(comparable, Mapping) else dict.fromkeys(comparable,
                                                                                    1.0)
    unfitted = unfitted_comparables(model, list(weights))
    named = list(dict.fromkeys(resolve_genres(model, genres))) if genres else []
    # nothing fitted anywhere: the mean of them all (zero), and the page's note says so
    left = set() if blank else set(unfitted)
    page.extra = {"comparable_films": {f: float(w) for f, w in weights.items() if f not in left},
                  "unfitted_film_ids": unfitted, "genres": named,
                  "genres_only": None,  # cold_start_page's, which knows the unknown films
                  "tied": page.note is not None,  # the tie's note wins, as a lookalike's
                  # an id that is also a title is the film used (as a film's also_titled)
                  "comparable_also_titled": comparables_also_titled(model, list(weights))}
    if left:  # left out of the mean: said, counted and named
        page.note = page.note or left_out_note(unfitted, len(weights), "comparable film",
                                               bool(named))
    return page


def cold_start_page(
    model: Model,
    comparable: Mapping[str, float] | Sequence[str] = (),
    genres: Sequence[str] = (),
    k: int = 100,
    offset: int = 0,
    segment: int | str | None = None,
    filters: Filters | None = None,
    tiers: Tiers = DEFAULT_TIERS,
    tier: str | None = None,
    min_cell: int | None = None,
) -> tuple[AudiencePage, list[str]]:
    """``cold_start_audience`` over the comparable films the model knows (``extra``'s
    ``genres_only`` says when none is and the genres alone answer): returns the page and
    the unknown comparable film ids (skipped, as ``lookalikes`` skips unknown seeds). Fails
    (``UnknownFilmError``) only when nothing known remains: every comparable film unknown and
    no genre given."""
    known, unknown = known_comparables(model, comparable)
    if unknown and not known and not genres:  # "no viewers to learn from" for a catalog film
        raise comparable_films(model.films.unknown(UnknownFilmError, dict.fromkeys(unknown)))
    page = cold_start_audience(model, known, genres, k, offset, segment=segment,
                               filters=filters, tiers=tiers, tier=tier, min_cell=min_cell)
    extra = page.extra or {}
    page.extra = {**extra, "genres_only": genres_only_note(list(known), unknown,
                                                           extra.get("genres", []))}
    return page, unknown


def left_out_note(unfitted: list[str], given: int, noun: str, genres: bool = False) -> str:
    """The note of a lookalike or cold-start page some of whose seeds or comparable films
    have nothing fitted (a zero vector), left out of the mean taste: how many, which (the
    first 10), and what the mean is of (the others, and the ``genres`` when given)."""
    used = given - len(unfitted)
    of = " and ".join(([f"the other {plural(used, noun, sep=',')}"] if used else [])
                      + (["the genres"] if genres else []))
    return (f"{len(unfitted):,} of the {plural(given, noun, sep=',')} given "
            f"{'has' if len(unfitted) == 1 else 'have'} nothing fitted (a zero taste vector: "
            f"{listing([repr(u) for u in unfitted], 10)}) and "
            f"{'is' if len(unfitted) == 1 else 'are'} left out of the mean taste, which is "
            f"that of {of}")


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
    check_export_k(k)
    yield from top_k_blocks(film_idx, model.film_factors, model.user_factors, model.seen_by_film,
                            k, exclude_seen, batch, model.score_slacks)
