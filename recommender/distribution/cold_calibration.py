"""A new film's calibration: its comparable films' own, mixed by their weights.

A film with no history has no popularity or momentum of its own, so its probabilities
(``calibration.p_at``) are borrowed from known films. One film, the nearest to its taste
vector, lent them before: the figure then jumped wherever a small change of the comparable
films' weights moved the nearest film to another one (162.6, 53.0, 20.8 expected users on
the demo as one comparable's weight went 0.6, 0.5, 0.3), and nothing said so. Now ``p`` at
each rank is a weighted mean of known films' ``p``, with the parts of the new film's taste
vector (``cold_start_vector``) and their weights: each comparable film lends its own
calibration at its weight; each genre (weight 1) lends the mix of the ``NEAREST`` known
films nearest the genre's taste (cosine over ``Model.taste_units``), each weighted by its
cosine less that of the next film (the ``NEAREST + 1``-th), so a film enters or leaves that
mix at weight 0. The probabilities are a continuous function of the weights.
``benchmarks/bench_cold_calibration.py`` measured the rules on known films taken as new
(``benchmarks/results/cold_calibration.md``): against the films' own calibrated forecasts the
comparables' own calibrations erred least (median |log ratio| 0.13 against the one stand-in's
0.22 on MovieLens 100K, 0.26 against 0.32 on the demo, where the 5 nearest films tied them),
and the one stand-in alone moved in steps (its largest step 180-280% of its figure, the mix's
4-5%); against the viewers the films gained in the held-out slice no rule was clearly ahead
(the one stand-in the closest on MovieLens 100K, 0.46 against 0.51).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from recommender.errors import UnknownFilmError
from recommender.model import calibration
from recommender.model.model import Model
from recommender.query.audience import cold_start_vector
from recommender.query.catalog import resolve_genres
from recommender.query.cold_start_taste import genres_only_note, unfitted_comparables
from recommender.query.hints import skipped_hints
from recommender.query.id_titles import comparables_also_titled

#: known films whose calibrations a new film's is mixed from (the nearest by taste)
NEAREST = 5


def new_film_taste(model: Model, comparable: Mapping[str, float] | Sequence[str],
                   genres: Sequence[str]) -> NDArray[np.float64]:
    """The new film's taste direction at unit length (zeros when it has none), in the space of
    ``Model.taste_units``: BPR's and LMF's bias columns left out, or the film of the largest
    bias was the nearest to most new films; EASE's units are its projection's rows, so the
    new film's is their mean (its factors' mean, V / d, put 5 of 30 films' own elsewhere)."""
    raw = (cold_start_vector(model, comparable, genres, rows=model.fold_in_projection)
           if model.fold_in_projection is not None
           else model.taste(cold_start_vector(model, comparable, genres)))
    taste: NDArray[np.float64] = np.asarray(raw, np.float64)
    norm = float(np.linalg.norm(taste))
    return taste / norm if norm > 0 else np.zeros(taste.shape, np.float64)


def calibration_films(model: Model, taste: NDArray[np.floating], k: int = NEAREST,
                      exclude: NDArray[np.integer] | None = None
                      ) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    """The known films a new film of unit ``taste`` borrows its calibration from, nearest
    first (equal cosines: the lower index first), and their weights (summing to 1): the
    ``k`` nearest, each weighted by its cosine less the next film's (the ``k + 1``-th; -1
    when every film is in the mix), so the weights change continuously with ``taste``.
    Equal weights where all of those cosines tie (a taste of zeros). ``exclude``: films
    left out (a benchmark's film taken as new)."""
    cos = np.asarray(model.taste_units, np.float64) @ np.asarray(taste, np.float64)
    cos = np.clip(cos, -1.0, 1.0)
    if exclude is not None:
        cos[np.asarray(exclude, np.int64)] = -np.inf
    n = int(np.count_nonzero(cos > -np.inf))
    if n == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.float64)
    k = max(1, min(int(k), n))
    order = np.lexsort((np.arange(len(cos)), -cos))  # one sort over films, not users
    chosen = order[:k].astype(np.int64)
    floor = float(cos[order[k]]) if k < n else -1.0
    weights = cos[chosen] - floor
    if not weights.sum() > 0:  # every chosen cosine equals the next one's
        weights = np.ones(k, np.float64)
    return chosen, weights / weights.sum()


def mixed_p(model: Model, films: NDArray[np.integer], weights: NDArray[np.floating],
            rank_fraction: NDArray[np.floating]) -> NDArray[np.float64]:
    """``calibration.p_at`` of a new film at ``rank_fraction``: the ``weights``-mean of the
    ``films``' own (non-increasing in rank, as each of theirs is)."""
    frac = np.asarray(rank_fraction, np.float64)
    p = np.zeros(frac.shape, np.float64)
    for f, w in zip(np.asarray(films).tolist(), np.asarray(weights).tolist(), strict=True):
        p += w * calibration.p_at(model.calibration, int(f), frac)  # a loop over k films
    return p


def mixed_p_in_order(model: Model, films: NDArray[np.integer],
                     weights: NDArray[np.floating], desc: NDArray[np.floating]
                     ) -> NDArray[np.float64]:
    """``calibration.p_in_order`` of a new film whose candidates, best first, score ``desc``:
    ``mixed_p`` at rank fraction ``i / n``, users who tie sharing their run's mean."""
    n = len(desc)
    return calibration.tied_means(mixed_p(model, films, weights, np.arange(n) / max(n, 1)),
                                  np.asarray(desc))


def new_film_calibration(model: Model, comparable: Mapping[str, float] | Sequence[str],
                         genres: Sequence[str], exclude: NDArray[np.integer] | None = None
                         ) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    """The known films a new film's calibration is mixed from and their weights (summing to
    1), the largest first (equal weights: the lower index first): the parts of its taste
    vector (``cold_start_vector``: known comparable films, ``{id: weight}`` or ids at 1, and
    genres at 1 each; those with nothing fitted left out beside a fitted one, as there),
    each film lending its own calibration and each genre ``calibration_films``' mix of its
    taste. ``exclude``: films left out of the genres' mixes (a benchmark's film)."""
    weights = dict(comparable) if isinstance(comparable, Mapping) else dict.fromkeys(
        comparable, 1.0)
    parts: list[tuple[NDArray[np.int64], NDArray[np.float64], float, bool]] = []
    if weights:
        idx = model.films.to_index(list(weights), strict=True, error=UnknownFilmError)
        blank = model.nothing_fitted(model.film_factors[idx], "films").tolist()
        for i, w, b in zip(idx.tolist(), weights.values(), blank, strict=True):
            parts.append((np.array([i], np.int64), np.ones(1), float(w), not b))
    for genre in dict.fromkeys(resolve_genres(model, genres)) if genres else ():
        taste = new_film_taste(model, (), [genre])
        films, mix = calibration_films(model, taste, exclude=exclude)
        parts.append((films, mix, 1.0, bool(taste.any())))
    if not parts:
        return np.zeros(0, np.int64), np.zeros(0, np.float64)
    kept = [p for p in parts if p[3]] or parts  # nothing fitted anywhere: all of them
    scale = max(w for _, _, w, _ in kept)  # relative weights, as cold_start_vector's
    total = np.zeros(model.n_films, np.float64)
    for films, mix, w, _ in kept:  # a loop over the parts (films and genres), not users
        np.add.at(total, films, mix * (w / scale))
    chosen = np.flatnonzero(total > 0)
    chosen = chosen[np.lexsort((chosen, -total[chosen]))].astype(np.int64)
    return chosen, total[chosen] / total[chosen].sum()


def new_film_probabilities(model: Model, scores: NDArray[np.floating],
                           films: NDArray[np.integer], weights: NDArray[np.floating],
                           unfitted: bool = False) -> NDArray[np.float64]:
    """Every user's probability of watching a new film scoring them ``scores`` (every user a
    candidate): ``mixed_p`` at the rank fraction ``(rank - 1) / users``, users who tie sharing
    their run's mean (``demand.film_probabilities``' rule; ``unfitted``: one tie)."""
    n = len(scores)
    p = np.zeros(n, np.float64)
    if n == 0 or len(films) == 0:
        return p
    s = np.zeros(n, np.float32) if unfitted else np.asarray(scores, np.float32)
    order = np.argsort(-s)  # ties share their run's mean p, so the sort need not be stable
    p[order] = mixed_p_in_order(model, films, weights, s[order])
    return p


def cold_start_input(model: Model, known: Mapping[str, float] | Sequence[str],
                     unknown: Sequence[str], genres: Sequence[str],
                     films: NDArray[np.integer], weights: NDArray[np.floating],
                     blank: bool = False) -> dict[str, Any]:
    """A new film's distribution's ``cold_start``: what it was asked with (the known
    comparable films, ``comparable_films`` with their weights and ``unfitted_film_ids`` as the
    cold-start audience gives them, ``comparable_also_titled`` as it names them (an id that is
    also other films' title), the unknown ones skipped, the genres and ``genres_only``
    when they alone answer) and where its calibration came from: ``calibrated_from`` (each
    film's share of the mix, ``films`` and ``weights``, the largest first) and
    ``calibrated_as`` (the first of them). ``blank``: the new film's vector has nothing
    fitted (then no comparable film is left out of its mean)."""
    weights_given = dict(known) if isinstance(known, Mapping) else dict.fromkeys(known, 1.0)
    unfitted = unfitted_comparables(model, list(weights_given))
    # as the cold-start audience: nothing fitted anywhere is the mean of them all (zero)
    left = set() if blank else set(unfitted)
    named = list(dict.fromkeys(resolve_genres(model, genres))) if genres else []
    ids = model.films.ids[np.asarray(films, np.int64)].tolist()
    return {"comparable_film_ids": list(map(str, weights_given)),
            "comparable_films": {str(f): float(w) for f, w in weights_given.items()
                                 if f not in left},
            "unfitted_film_ids": unfitted,
            # an id that is also a title is the film used (as the cold-start audience says)
            "comparable_also_titled": comparables_also_titled(model, list(weights_given)),
            "unknown_film_ids": list(unknown),
            "unknown_film_hints": skipped_hints(model, list(unknown)),
            "genres": named,
            "genres_only": genres_only_note(list(weights_given), unknown, named),
            "calibrated_as": str(ids[0]),
            "calibrated_from": {str(f): round(float(w), 6)
                                for f, w in zip(ids, np.asarray(weights).tolist(),
                                                strict=True)}}
