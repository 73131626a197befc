"""User -> films: recommendations, their explanations, comparable films, batch lists.

Recommendations are for known users, or for a new user from the films they watched.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from recommender.errors import InvalidParameterError, UnknownFilmError
from recommender.kernels.ranking import (
    exclude_rows,
    score_block,
    score_slack,
    settle_top_k,
    settled_top_k_rows,
    tied_rows,
    top_k,
    top_k_rows,
)
from recommender.model.fitted import explaining_films, unexplained
from recommender.model.foldin import fold_in_history
from recommender.model.model import Model
from recommender.query.audience import check_export_k, check_k
from recommender.query.blocks import Block, top_k_blocks
from recommender.query.catalog import film_fields
from recommender.query.id_titles import film_names
from recommender.query.limits import MAX_WATCHED
from recommender.query.pages import for_model


@dataclass
class FilmList:
    """Ranked films, aligned arrays; ``because`` lists per film the watched films that
    contributed most (film_id, title, share of the score)."""

    user_id: str | None
    film_idx: NDArray[np.int64]
    score: NDArray[np.float32]
    because: list[list[dict[str, Any]]] | None = None
    note: str | None = None  # what the list cannot say (``taste_note``), None when nothing

    def rows(self, model: Model) -> list[dict[str, Any]]:
        """JSON-ready rows: film_id, rank, score (rounded to 6 digits), title, year, genres,
        and ``because`` when the list has explanations."""
        out = []
        for r, ((film_id, title, year, genres), s) in enumerate(zip(
                film_fields(model, self.film_idx), self.score.tolist(), strict=True)):
            row: dict[str, Any] = {
                "film_id": film_id, "rank": r + 1, "score": round(s, 6), "title": title,
                "year": year, "genres": genres,
            }
            if self.because is not None:
                row["because"] = self.because[r]
            out.append(row)
        return out

    def to_json(self, model: Model) -> dict[str, Any]:
        """The recommendations body: ``user_id``, the film ``rows``, the ``note`` and where
        the model knows the user from (``known_from``)."""
        return {"user_id": self.user_id, "films": self.rows(model), "note": self.note,
                "known_from": None if self.user_id is None else known_from(model, self.user_id)}

    def similar_json(self, model: Model, film_id: str) -> dict[str, Any]:
        """``GET /films/{id}/similar``'s body (``similar_films``): ``film_id``, what names it
        (``id_titles.film_names``: title, year, also_titled), the film ``rows`` (``because``
        null: a comparable film has no reasons) and the ``note``."""
        return {"film_id": film_id, **film_names(model, model.film_index(film_id)),
                "films": [{**r, "because": None} for r in self.rows(model)],
                "note": self.note}

    def watched_json(self, model: Model, unknown: list[str]) -> dict[str, Any]:
        """The body of recommendations from a watch list (``recommend_for_watched``): the
        film ``rows``, the ``unknown`` ids skipped and the ``note``."""
        return {"films": self.rows(model), "unknown_film_ids": unknown, "note": self.note}


def known_from(model: Model, user_id: str) -> str:
    """"events" for a user the model learnt only from the campaign store's events since its
    training (a new user of the overlay, ``recommender.serving.overlay``: added after the
    trained ones), else "training"."""
    new = int((model.meta.get("overlay") or {}).get("new_users") or 0)
    return "events" if model.user_index(user_id) >= model.n_users - new else "training"


NO_TASTE = ("no taste was fitted for this viewer (nothing they watched was fitted, e.g. "
            "none of their ratings reaches the model's min_rating, or every film they watched "
            "has nothing fitted)")
UNRANKED_FILMS = NO_TASTE + (": every film scores the same, so the list is in catalog order, "
                             "not a ranking, and its scores say nothing")
BY_POPULARITY = NO_TASTE + ": the list ranks films by the popularity prior alone"
BY_BIAS = NO_TASTE + ": the list ranks films by the model's film bias alone"
BY_BIAS_AND_POPULARITY = NO_TASTE + (": the list ranks films by the model's film bias and the "
                                     "popularity prior alone")
THIN_VIEWERS = 5  # a film with fewer viewers gets ``thin_note``: its vector rests on them
MANY_TIED = 3  # as many films tied at the top score get it too (two alike are no crowd)
TIED = ("based on {viewers}: the {tied} films tied at score {score} are in no meaningful "
        "order (an internal tie-break orders them){few}")
FEW = "a similarity from so few watches says little, even at 1 (the same taste)"


def thin_note(viewers: int, scores: NDArray[np.floating], top: NDArray[np.integer]
              ) -> str | None:
    """The note of a similar-films list read from a film with fewer than ``THIN_VIEWERS``
    viewers, or whose first ``MANY_TIED`` or more films tie at the top score as the answer
    writes it (6 digits): a one-viewer film was 1.0 similar to 161 films, shown in internal
    order under "1 = the same taste" with no note. None otherwise. ``scores``: every
    candidate's, the film's own -inf."""
    if not len(top):
        return None
    shown = np.round(np.asarray(scores, np.float64), 6)  # as the answer rounds each score
    best = float(shown[int(top[0])])
    tied = int(np.count_nonzero(shown == best))
    few = viewers < THIN_VIEWERS
    named = f"{viewers:,} viewer{'s' * (viewers != 1)}"
    if tied >= MANY_TIED or few and tied > 1:
        return TIED.format(viewers=named, tied=f"{tied:,}", score=f"{best:.4f}",
                           few=f"; {FEW}" if few else "")
    return f"based on {named}: {FEW}" if few else None


NOT_SIMILAR = ("nothing fitted ties this film to the others (e.g. every viewer rated it below "
               "the model's min_rating): every film is as similar to it, so the list is in "
               "catalog order, not by similarity")


def taste_note(model: Model, tastes: NDArray[np.floating]) -> list[str | None]:
    """The note of each row of ``tastes`` (user factors, before ``Model.rec_tastes``): a zero
    taste (its bias columns aside, ``Model.bias_columns``) ranks nothing
    (``UNRANKED_FILMS``), or only by the films' bias (``BY_BIAS``; with the prior,
    ``BY_BIAS_AND_POPULARITY``) or the popularity prior (``BY_POPULARITY``) when the model has
    one; None for every other taste."""
    tastes = np.asarray(tastes)
    empty = np.atleast_1d(model.nothing_fitted(tastes, "users")).tolist()
    # a bias column in use ranks by the films' bias (a vector folded in from a history of
    # films with nothing fitted is zero there too: then nothing ranks it)
    biased = np.atleast_1d(tastes[..., tastes.shape[-1] - model.bias_columns:].any(axis=-1)
                           if model.bias_columns else np.zeros(len(empty), bool)).tolist()
    prior = model.film_prior is not None
    plain = BY_POPULARITY if prior else UNRANKED_FILMS
    by_bias = BY_BIAS_AND_POPULARITY if prior else BY_BIAS
    return [None if not e else for_model(by_bias if b else plain, model)
            for e, b in zip(empty, biased, strict=True)]


def _reasons(model: Model, watched: NDArray[np.integer], films: NDArray[np.integer],
             explain_n: int, note: str | None) -> list[list[dict[str, Any]]] | None:
    """``explain``'s reasons, or none for a list whose ``note`` says no taste ranked it: the
    watched films did not bring those films (empty lists; None without explanations)."""
    if not explain_n:
        return None
    return [[] for _ in films] if note else explain(model, watched, films, explain_n)


def fold_in(model: Model, film_idx: NDArray[np.integer], reg: float | None = None
            ) -> NDArray[np.float32]:
    """Taste vector of a user who is not in the model, from the films they watched:
    ``recommender.model.foldin.fold_in_history`` (ALS: implicit's user step with training's
    confidence, ``c_i = alpha x value``; EASE: the linear fold-in projection): the vector the
    live overlay gives a new user with one event per film."""
    return fold_in_history(model, film_idx, reg)


_ZERO = np.float32(0)
_NEG_INF = np.float32(-np.inf)
# (recommended x watched) cells ``explain`` works on at once: its float64 and float32
# temporaries are a few times 8 bytes per cell, so a long list for a heavy viewer (k=10,000
# beside 2,698 watched films on ml-latest-small) took a quarter of a GB per request unbounded
EXPLAIN_CELLS = 1 << 20


def _sorted_best(sim: NDArray[np.float32], n: int) -> NDArray[np.intp] | NDArray[np.int64]:
    """The ``n`` best positions per row by sorting (score descending, position ascending)."""
    if sim.shape[1] > 512:
        return top_k_rows(sim, n)[0]
    return (-sim).argsort(axis=1, kind="stable")[:, :n]


def _best_per_row(sim: NDArray[np.float32], n: int) -> NDArray[np.intp] | NDArray[np.int64]:
    """Per row of a block of finite values, the positions of its ``n`` largest entries, best first,
    ties to the lower position: exactly ``np.argsort(-sim, axis=1, kind="stable")[:, :n]``
    (and ``top_k_rows(sim, n)``: the two agree, see ``_sorted_best``).

    For the usual few per row on rows past a few dozen, ``n`` passes of ``argmax`` (first
    occurrence of the maximum, so ties go to the lower position) with each winner knocked
    out to -inf: linear in the row length, and cheaper than a sort even on short rows.
    """
    rows, h = sim.shape
    k = min(n, h)
    if h <= 32 or not 1 <= k <= 8:
        return _sorted_best(sim, n)
    work = sim.copy()
    every_row = np.arange(rows)
    best = np.empty((rows, k), np.intp)
    for j in range(k):
        col = work.argmax(axis=1)
        best[:, j] = col
        if j + 1 < k:
            work[every_row, col] = _NEG_INF
    return best


def _round_in_place(values: NDArray[np.float64], digits: int) -> None:
    """Replace each entry ``v`` (a float32 value held in float64) with ``round(v, digits)``,
    for ``digits`` <= 6.

    Exact, not approximate: a float32 has a 24-bit significand and ``10**digits`` a 20-bit
    one at most, so ``v * 10**digits`` is exact in float64; ``rint`` rounds it half to even
    as ``round`` does; and the division by ``10**digits`` is the double nearest the decimal
    result, which is what ``round`` returns (signed zeros, inf and NaN included).
    """
    scale = 10.0 ** digits
    values *= scale
    np.rint(values, out=values)
    values /= scale


def explain(model: Model, watched: NDArray[np.integer], films: NDArray[np.integer],
            n: int = 3) -> list[list[dict[str, Any]]]:
    """For each recommended film, the watched films whose taste vectors point the same way
    (cosine similarity of taste vectors, ``Model.taste_units``: BPR's and LMF's bias columns
    left out, as ``similar_films`` leaves them), with each one's share of the positive
    similarity mass: the ``n`` most similar with a positive cosine (a film pointing away, or
    one with nothing fitted, cosine 0, brought none of it and is no reason; such films were
    cited with share 0, e.g. on watch lists of two or three films). ``watched``: the films the
    viewer's taste was fitted on (``fitted.explaining_films``), not every film seen."""
    # On the query path right after the film-matrix product, each numpy call costs a few
    # microseconds of cold caches: this is written for few calls (methods, no Python-level
    # helpers such as np.stack / take_along_axis / errstate), not for brevity.
    if len(watched) == 0 or len(films) == 0:
        return [[] for _ in films]
    watched = np.asarray(watched)
    per_block = max(1, EXPLAIN_CELLS // len(watched))
    if len(films) > per_block:  # rows are independent: block by block is the same answer
        films = np.asarray(films)
        return [row for start in range(0, len(films), per_block)
                for row in explain(model, watched, films[start:start + per_block], n)]
    units = model.taste_units
    # (recs, watched) cosines from exact products summed in float64, then rounded to float32:
    # a float32 BLAS product differs in its last bits with the thread count and the block
    # shape, which flipped a rounded similarity between the CLI (threaded BLAS) and the
    # service (one BLAS thread); float64 sums round to the same float32 whatever the BLAS
    sim = (units.take(films, axis=0).astype(np.float64)
           @ units.take(watched, axis=0).astype(np.float64).T).astype(np.float32)
    # a watched film recommended again (exclude_seen false) is no reason for itself: below
    # every cosine, so it is chosen last, and dropped below with every non-positive one
    itself = np.asarray(films)[:, None] == watched
    if itself.any():
        sim[itself] = -2.0
    pos = np.maximum(sim, _ZERO)
    totals = np.add.reduce(pos, axis=1)  # positive similarity mass per row
    if any(t != t for t in totals.tolist()):  # NaN factors: the plain sort's NaN-last order
        best = _sorted_best(sim, n)
    else:  # no NaN: unit entries are at most ~1 in magnitude, so every similarity is finite
        best = _best_per_row(sim, n)
    rows, h = sim.shape
    k = best.shape[1]
    if k == 0:
        return [[] for _ in range(rows)]
    flat = best + np.arange(0, rows * h, h)[:, None]  # positions in sim.ravel()
    both = np.zeros((2, rows, k))  # similarities, shares
    both[0] = sim.take(flat)
    reason = both[0] > 0  # a positive cosine, before rounding
    # float32 division as the scores are; rows with no positive mass keep share 0
    mass = totals[:, None]
    np.divide(pos.take(flat), mass, out=both[1], where=mass > 0, dtype=np.float32)
    _round_in_place(both, 4)
    sims, shares = both.reshape(2, -1).tolist()
    ids, titles = model.film_labels
    entries = [{"film_id": ids[f], "title": titles[f], "similarity": s, "share": sh}
               for f, s, sh in zip(watched.take(best.ravel()).tolist(), sims, shares,
                                   strict=True)]
    out = [entries[i:i + k] for i in range(0, rows * k, k)]
    if not reason.all():
        out = [[e for e, r in zip(row, keep, strict=True) if r]
               for row, keep in zip(out, reason.tolist(), strict=True)]
    return out


def recommend_user(model: Model, user_id: str, k: int = 10, exclude_seen: bool = True,
                   explain_n: int = 3) -> FilmList:
    """Top-``k`` films for a known user, watched films excluded by default."""
    check_k(k)
    u = model.user_index(user_id)
    watched = model.user_films(u)
    # plain-ndarray views: a product of memory-mapped operands pays numpy.memmap's wrapping;
    # the film side carries the popularity prior, if any (Model.rec_films)
    ff = model.rec_films
    raw = np.asarray(model.user_factors)[u]
    taste = model.rec_tastes(raw)
    scores = np.asarray(ff @ taste, np.float32)
    if exclude_seen:
        scores[watched] = -np.inf
    # settled on exact dot products, as audiences are: the same list whatever BLAS did
    top, exact = settle_top_k(scores, k, ff, taste, float(_slacks(model, taste[None])[0]))
    note = taste_note(model, raw)[0]
    # reasons cite only the films the user's taste was fitted on (not those --min-rating left out)
    because = _reasons(model, explaining_films(model, u), top, explain_n, note)
    return FilmList(user_id, top, exact, because, _why_unexplained(model, u, explain_n, note))


def recommend_many(model: Model, requests: Sequence[tuple[int, int, bool]],
                   explain_n: int = 3) -> list[FilmList]:
    """``recommend_user`` for several (user index, k, exclude_seen) requests with one
    (films x f) @ (f x users) product: the film matrix is read once for all of them, which is
    what serving concurrent requests needs. Each list is the one ``recommend_user`` returns,
    to the last digit: both are settled on exact dot products."""
    if not requests:
        return []
    if len(requests) == 1:  # one mat-vec is faster than a one-column product
        u, k, exclude_seen = requests[0]
        return [recommend_user(model, str(model.users.ids[u]), k, exclude_seen, explain_n)]
    for _, k, _ in requests:
        check_k(k)
    users = np.asarray([u for u, _, _ in requests], np.int64)
    ff = model.rec_films
    raw = np.asarray(model.user_factors)[users]
    notes = taste_note(model, raw)
    tastes = model.rec_tastes(raw)
    scores = score_block(ff, tastes)  # (users x films)
    exclude_rows(scores, model.seen, users, np.flatnonzero([e for _, _, e in requests]))
    top, exact, counts = settled_top_k_rows(scores, max(k for _, k, _ in requests), ff,
                                            tastes, _slacks(model, tastes))
    out = []
    for r, (u, k, _) in enumerate(requests):
        films = top[r, :min(k, int(counts[r]))]
        because = _reasons(model, explaining_films(model, int(u)), films, explain_n, notes[r])
        out.append(FilmList(str(model.users.ids[u]), films, exact[r, :len(films)].copy(),
                            because, _why_unexplained(model, int(u), explain_n, notes[r])))
    return out


def _why_unexplained(model: Model, u: int, explain_n: int, note: str | None) -> str | None:
    """``note``, else (reasons asked for) ``fitted.UNEXPLAINED`` where the model cannot tell
    which films user ``u``'s taste was fitted on: every ``because`` came back empty with
    ``note`` null, and only README said why."""
    return note if note is not None or not explain_n else unexplained(model, u)


def _slacks(model: Model, tastes: NDArray[np.floating]) -> NDArray[np.float64]:
    """``ranking.score_slack`` of ``rec_films @ taste`` for each row of ``tastes`` (rows of
    ``Model.rec_tastes``; the bound is linear in the taste vector's norm), in one step."""
    norms = np.linalg.norm(np.asarray(tastes, np.float64), axis=1)
    return score_slack(int(model.rec_films.shape[1]), model.max_rec_film_norm, 1.0) * norms


def recommend_from_history(model: Model, film_ids: Sequence[str], k: int = 10,
                           explain_n: int = 3) -> FilmList:
    """Top-``k`` films for a user unknown to the model, from the films they watched."""
    check_k(k)
    if not film_ids:
        raise InvalidParameterError("give at least one watched film id")
    watched = np.unique(model.films.to_index(film_ids, strict=True, error=UnknownFilmError))
    raw = fold_in(model, watched)
    scores = np.asarray(model.rec_films @ model.rec_tastes(raw), np.float32)
    scores[watched] = -np.inf
    top = top_k(scores, k)
    note = taste_note(model, raw)[0]
    if note is None and model.nothing_fitted(model.film_factors[watched], "films").all():
        # LMF's fold-in of bias-only films is no zero vector, yet no taste either
        note = for_model(BY_BIAS if model.bias_columns else UNRANKED_FILMS, model)
    return FilmList(None, top, scores[top], _reasons(model, watched, top, explain_n, note), note)


def recommend_for_watched(model: Model, film_ids: Sequence[str], k: int = 10,
                          explain_n: int = 3) -> tuple[FilmList, list[str]]:
    """``recommend_from_history`` for a watch list that may hold ids the model does not know:
    those are skipped and returned (in their order, once each), as lookalikes skip unknown
    seeds. Fails (``UnknownFilmError``) only when no id is known."""
    check_k(k)
    if not film_ids:
        raise InvalidParameterError("give at least one watched film id")
    if len(film_ids) > MAX_WATCHED:
        raise InvalidParameterError(f"a watch list may name at most {MAX_WATCHED:,} films, got "
                                    f"{len(film_ids):,}")
    idx = model.films.to_index(list(film_ids), strict=False)
    unknown = list(dict.fromkeys(str(i) for i, j in zip(film_ids, idx, strict=True) if j < 0))
    known = [str(i) for i, j in zip(film_ids, idx, strict=True) if j >= 0]
    if not known:
        raise model.films.unknown(UnknownFilmError, unknown)
    return recommend_from_history(model, known, k, explain_n), unknown


def similar_films(model: Model, film_id: str, k: int = 10) -> FilmList:
    """Comparable films: cosine similarity of taste vectors (``Model.taste_units``), the film
    itself excluded. BPR's and LMF's bias columns are not taste and are left out (LMF's
    made a film with nothing fitted 1.0 similar to another by bias alone)."""
    check_k(k)
    f = model.film_index(film_id)
    # EASE: the projection's rows (film_units); films with nothing fitted are zero units
    units = model.taste_units
    scores = np.asarray(units @ units[f], np.float32)
    scores[f] = -np.inf
    top = top_k(scores, k)
    unranked = tied_rows(scores) or bool(model.nothing_fitted(model.film_factors[f], "films"))
    viewers = int(model.seen_by_film.indptr[f + 1] - model.seen_by_film.indptr[f])
    return FilmList(None, top, scores[top], note=for_model(NOT_SIMILAR, model) if unranked
                    else thin_note(viewers, scores, top))


def batch_recommendations(
    model: Model, user_idx: NDArray[np.integer], k: int = 10, exclude_seen: bool = True,
    batch: int = 1024,
) -> Iterator[Block]:
    """Top-``k`` films of many users, ``batch`` users per matrix product.

    Yields ``(users, films, scores, counts)``; row r's first ``counts[r]`` entries are real,
    and they are ``recommend_user``'s films and scores to the last digit."""
    check_export_k(k)
    yield from top_k_blocks(user_idx, model.user_factors, model.rec_films, model.seen, k,
                            exclude_seen, batch, lambda tastes: _slacks(model, tastes),
                            model.rec_tastes)
