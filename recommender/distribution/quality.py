"""Forecast quality: each place's forecast share of a film's new viewers against the share.

Is the forecast any good? Each place's forecast share is set against the share of the new
viewers that came, next to three baselines.

Given a model trained on the past and the viewings that came after (external ids), for every
film with at least ``min_new`` new viewers among the model's users, the realised share of each
place is its share of those new viewers. Compared with it:

- ``forecast``: the place's ``share`` in the distribution body, of the film's expected total
  (its viewers so far + the expected new viewers, ``demand.film_probabilities`` summed);
- ``forecast_new``: the share of the expected new viewers alone;
- three baselines: the place's share of users, of all past viewing, and of past viewing of the
  films sharing a genre with the film; and, for reference, the share of the film's own viewers
  so far (``film_viewers``).

Films the model does not know (first seen after the cut) are forecast from their genres alone
(``demand.cold_start_probabilities``), against the same baselines (``cold_start_quality``).
Per film: the mean absolute error over places (in share points, 0-1) and Spearman's rank
correlation; then the means over films, the share of films on which the forecast's error
is below each other method's, and the standard error of the paired difference.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
from numpy.typing import NDArray

from recommender.distribution.demand import cold_start_probabilities, film_probabilities
from recommender.distribution.places import PlaceGroups, place_groups
from recommender.model.model import Model

KNOWN_METHODS = ("forecast", "forecast_new", "users", "past_viewing", "genre_viewing",
                 "film_viewers")
COLD_METHODS = ("forecast", "users", "past_viewing", "genre_viewing")


def _ranks(x: NDArray[np.float64]) -> NDArray[np.float64]:
    """Average ranks (ties share the mean rank)."""
    order = np.argsort(x, kind="stable")
    ranks = np.empty(len(x))
    ranks[order] = np.arange(len(x), dtype=np.float64)
    _, inverse, counts = np.unique(x, return_inverse=True, return_counts=True)
    return (np.bincount(inverse, weights=ranks) / counts)[inverse]


def spearman(a: NDArray[np.float64], b: NDArray[np.float64]) -> float | None:
    """Spearman's rank correlation (Pearson's on average ranks); None when either is constant."""
    ra, rb = _ranks(np.asarray(a, np.float64)), _ranks(np.asarray(b, np.float64))
    da, db = ra - ra.mean(), rb - rb.mean()
    den = float(np.sqrt((da * da).sum() * (db * db).sum()))
    return float((da * db).sum() / den) if den > 0 else None


def _share(x: NDArray[Any]) -> NDArray[np.float64]:
    x = np.asarray(x, np.float64)
    s = float(x.sum())
    return x / s if s > 0 else np.full(len(x), 1.0 / len(x))


def _new_pairs(model: Model, users: NDArray[np.str_], films: NDArray[np.str_],
               film_ids: NDArray[np.str_]) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """(film position in ``film_ids``, user index) of distinct test viewings by the model's
    users, sorted by film; viewings already in the model's training data dropped."""
    if not len(film_ids):
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    u = model.users.to_index(np.asarray(users, dtype=str), strict=False)
    order = np.argsort(film_ids, kind="stable")
    f_ids = np.asarray(films, dtype=str)
    pos = np.clip(np.searchsorted(film_ids[order], f_ids), 0, len(order) - 1)
    hit = (film_ids[order][pos] == f_ids) & (u >= 0)
    f, u = order[pos][hit].astype(np.int64), u[hit].astype(np.int64)
    known = model.films.to_index(film_ids[f], strict=False)
    mask = known >= 0
    already = np.zeros(len(u), np.bool_)
    if mask.any():
        already[mask] = np.asarray(model.seen[u[mask], known[mask]]).ravel() > 0
    u, f = u[~already], f[~already]
    pairs = np.unique(f * model.n_users + u)
    return pairs // model.n_users, pairs % model.n_users


def _genre_share(model: Model, groups: PlaceGroups, genres: set[str],
                 genre_sets: list[set[str]]) -> NDArray[np.float64]:
    same = np.array([bool(s & genres) for s in genre_sets]) if genres else \
        np.ones(model.n_films, np.bool_)
    views = model.seen_by_film[np.flatnonzero(same)].indices
    return _share(groups.per_place(views)[:len(groups.labels)])


def _compare(model: Model, by: str, film_ids: NDArray[np.str_], test_users: NDArray[np.str_],
             test_films: NDArray[np.str_], min_new: int, max_films: int,
             genres_of: Callable[[int], set[str]],
             forecasts: Callable[[int], dict[str, NDArray[np.float64]]]) -> dict[str, Any]:
    groups = place_groups(model, by)
    k = len(groups.labels)
    f, u = _new_pairs(model, test_users, test_films, film_ids)
    per_film = np.bincount(f, minlength=len(film_ids))
    films = np.flatnonzero(per_film >= min_new)
    films = films[np.argsort(-per_film[films], kind="stable")][:max_films]
    genre_sets = [set(g.split("|")) - {""} for g in model.catalog.genres.tolist()]
    fixed = {"users": _share(groups.users), "past_viewing": _share(groups.viewing)}
    errors: dict[str, list[float]] = {}
    corr: dict[str, list[float]] = {}
    for film in films.tolist():
        start = int(np.searchsorted(f, film))
        realised = _share(groups.per_place(u[start:start + per_film[film]])[:k])
        shares = {**forecasts(film), **fixed,
                  "genre_viewing": _genre_share(model, groups, genres_of(film), genre_sets)}
        for name, s in shares.items():
            errors.setdefault(name, []).append(float(np.abs(s - realised).mean()))
            rho = spearman(s, realised)
            corr.setdefault(name, [])
            if rho is not None:
                corr[name].append(rho)
    err = {m: np.asarray(v) for m, v in errors.items()}
    return {
        "by": by, "places": k, "films": int(len(films)), "min_new_viewers": min_new,
        "new_viewers": int(per_film[films].sum()),
        "mae": {m: _mean(v) for m, v in err.items()},
        "spearman": {m: _mean(np.asarray(v)) for m, v in corr.items()},
        "forecast_wins": {m: round(float((err["forecast"] < v).mean()), 4)
                          for m, v in err.items() if m != "forecast"},
        # the standard error of the mean paired difference (forecast - method): a difference
        # smaller than about twice this is within the noise of this many films
        "mae_difference_se": {m: (round(float(np.std(err["forecast"] - v, ddof=1)
                                              / np.sqrt(len(v))), 6) if len(v) > 1 else None)
                              for m, v in err.items() if m != "forecast"},
    }


def forecast_quality(model: Model, by: str, test_users: NDArray[np.str_],
                     test_films: NDArray[np.str_], min_new: int = 20,
                     max_films: int = 300) -> dict[str, Any]:
    """Films the model knows (see the module docstring); at most ``max_films``, those with
    the most new viewers."""
    groups = place_groups(model, by)
    k = len(groups.labels)
    genre_sets = [set(g.split("|")) - {""} for g in model.catalog.genres.tolist()]

    def forecasts(film: int) -> dict[str, NDArray[np.float64]]:
        scores = model.user_scores(model.film_factors[film])  # the audience's order
        p = film_probabilities(model, scores, film, model.film_viewers(film),
                               bool(model.nothing_fitted(model.film_factors[film], "films")))
        past = groups.per_place(model.film_viewers(film))[:k]
        new = groups.per_place(weights=p)[:k]
        return {"forecast": _share(new + past), "forecast_new": _share(new),
                "film_viewers": _share(past)}

    return _compare(model, by, np.asarray(model.films.ids, dtype=str), test_users, test_films,
                    min_new, max_films, lambda film: genre_sets[film], forecasts)


def cold_start_quality(model: Model, by: str, test_users: NDArray[np.str_],
                       test_films: NDArray[np.str_], genres: Mapping[str, str],
                       min_new: int = 20, max_films: int = 300) -> dict[str, Any]:
    """Films the model does not know, forecast from their genres (``genres``: film id ->
    ``"A|B"``) with the cold-start vector; films without a genre the model knows are left
    out."""
    vocab = list(model.catalog.genre_vocabulary())
    cased: dict[str, list[str]] = {}
    for g in vocab:
        cased.setdefault(g.lower(), []).append(g)
    # a genre as written, else the one of that name in another case (as resolve_genres reads
    # it: "Sci-Fi" beside "Sci-fi" was read as the last of them; a name of both is left out)
    named = {g: [g] for g in vocab}
    ids = sorted({str(x) for x in np.asarray(test_films, dtype=str).tolist()}
                 - set(map(str, model.films.ids.tolist())))
    known = [[hit[0] for g in genres.get(i, "").split("|")
              if len(hit := named.get(g) or cased.get(g.lower(), [])) == 1] for i in ids]
    film_ids = np.asarray([i for i, g in zip(ids, known, strict=True) if g], dtype=str)
    film_genres = [g for g in known if g]
    groups = place_groups(model, by)
    k = len(groups.labels)

    def forecasts(film: int) -> dict[str, NDArray[np.float64]]:
        p, _ = cold_start_probabilities(model, (), film_genres[film])
        return {"forecast": _share(groups.per_place(weights=p)[:k])}

    return _compare(model, by, film_ids, test_users, test_films, min_new, max_films,
                    lambda film: set(film_genres[film]), forecasts)


def _mean(v: NDArray[np.float64]) -> float | None:
    return round(float(v.mean()), 6) if len(v) else None
