"""A film with no history, placed in taste space: the weighted mean of its comparable films.

``cold_start_vector`` is the vector a new film is scored with (its comparable films and
genres); ``known_comparables`` splits the comparable films given into those the model knows,
with their weights, and those it does not (skipped, and said); ``unfitted_comparables`` names
the known ones with nothing fitted (left out of the mean beside a fitted one);
``genres_only_note`` says when no comparable film given is known and the genres alone answer.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from numpy.typing import NDArray

from recommender.errors import InvalidParameterError, UnknownFilmError
from recommender.model.model import Model
from recommender.query.catalog import genre_members, resolve_genres


def weight_problem(weights: Mapping[str, float], most: int = 5) -> str | None:
    """What is wrong with comparable film weights, naming each film and its weight (the first
    ``most``), or None when every one is a positive finite number (the CLI's ``--like`` and
    HTTP's ``comparable_film_ids`` say the same)."""
    bad = [f"{f!r} has weight {float(w)!r}" for f, w in weights.items()
           if not (np.isfinite(w) and w > 0)]
    if not bad:
        return None
    more = f" and {len(bad) - most:,} more" if len(bad) > most else ""
    return (f"comparable film {'; '.join(bad[:most])}{more}: a weight must be a positive "
            "number (above 0, not infinite or NaN)")


def cold_start_vector(
    model: Model,
    comparable: Mapping[str, float] | Sequence[str] = (),
    genres: Sequence[str] = (),
    rows: NDArray[np.floating] | None = None,
) -> NDArray[np.float32]:
    """Taste vector of a film with no history: the weighted mean of its comparable films'
    vectors, where each requested genre counts as one more comparable (the mean vector of the
    catalog's films in that genre that the model fitted, weighted 1; of all of them, zero, when
    it fitted none). ``rows``: the films' vectors to average
    (default the film factors; EASE's ``fold_in_projection``, where its cosines are taken)."""
    factors = model.film_factors if rows is None else rows
    weights = dict(comparable) if isinstance(comparable, Mapping) else dict.fromkeys(comparable,
                                                                                    1.0)
    if not weights and not genres:
        raise InvalidParameterError("give at least one comparable film id or one genre",
                                    param=("comparable_film_ids", "genres"))
    if (bad := weight_problem(weights)) is not None:
        raise InvalidParameterError(bad)
    vecs: list[NDArray[np.float32]] = []
    ws: list[float] = []
    fits: list[bool] = []  # whether each part (a film, a genre) has anything fitted
    if weights:
        idx = model.films.to_index(list(weights), strict=True, error=UnknownFilmError)
        vecs.append(np.asarray(factors[idx]))
        ws.extend(weights.values())
        fits.extend((~model.nothing_fitted(model.film_factors[idx], "films")).tolist())
    if genres:
        # a genre named twice (in any case or spelling) is one genre, as a film id listed
        # twice is one film
        genres = list(dict.fromkeys(resolve_genres(model, genres)))
        learned = ~model.unfitted_rows("films")
        for members in genre_members(model, genres):
            # films nothing was fitted on (--min-rating left them no interaction; in an
            # evaluation, the films first seen after the cut-off) hold zero vectors: averaged
            # in, they shrank the genre's mean towards 0 by its share of them, and with it
            # the genre's weight against the others and the comparable films
            fitted = members & learned
            vecs.append(np.asarray(factors[fitted if fitted.any() else members]).mean(
                axis=0, keepdims=True))
            ws.append(1.0)
            fits.append(bool(fitted.any()))
    stacked = np.vstack(vecs)
    w = np.asarray(ws, np.float64)
    # a comparable film with nothing fitted (a zero vector) has no taste to lend, as a
    # lookalike seed has none: averaged in beside a fitted one it only shrank the vector
    # (the scores halved, and the nearest known film a distribution borrows moved);
    # ``unfitted_comparables`` names them for the answer's note
    keep = np.asarray(fits, bool)
    if keep.any():
        stacked, w = stacked[keep], w[keep]
    w = w / w.max()  # relative weights; keeps huge or tiny weights from overflowing to 0
    return (w @ stacked / w.sum()).astype(np.float32)


def known_comparables(
    model: Model, comparable: Mapping[str, float] | Sequence[str] = (),
) -> tuple[dict[str, float], list[str]]:
    """The comparable films the model knows (id -> weight, 1 for a list) and the ids it does
    not know, each once, in the order given (as ``lookalikes`` splits its seeds). Weights are
    checked first, unknown films' included."""
    weights = dict(comparable) if isinstance(comparable, Mapping) else dict.fromkeys(comparable,
                                                                                    1.0)
    if (bad := weight_problem(weights)) is not None:
        raise InvalidParameterError(bad)
    ids = list(comparable)
    idx = model.films.to_index(ids, strict=False).tolist() if ids else []
    unknown = list(dict.fromkeys(f for f, i in zip(ids, idx, strict=True) if i < 0))
    missing = set(unknown)
    return {f: w for f, w in weights.items() if f not in missing}, unknown


def unfitted_comparables(model: Model, known: Sequence[str]) -> list[str]:
    """The comparable films of ``known`` (ids the model knows) with nothing fitted
    (``Model.nothing_fitted``), in the order given: left out of ``cold_start_vector``'s mean
    beside a fitted film or genre."""
    ids = list(known)
    if not ids:
        return []
    idx = model.films.to_index(ids, strict=True, error=UnknownFilmError)
    blank = model.nothing_fitted(model.film_factors[idx], "films").tolist()
    return [f for f, b in zip(ids, blank, strict=True) if b]


def genres_only_note(known: Sequence[str], unknown: Sequence[str], genres: Sequence[str]
                     ) -> str | None:
    """What a new film's answer says when comparable films were given but the model knows
    none of them (``unknown``), so its genres alone place it (the cold-start audience's and
    distribution's ``genres_only``, and the CLI's, in the same words); None otherwise."""
    if known or not unknown or not genres:
        return None
    n = len(unknown)
    return (f"{'the' if n == 1 else 'none of the'} {n:,} comparable film"
            f"{'' if n == 1 else 's'} given {'is' if n == 1 else 'are'}"
            f"{' not' if n == 1 else ''} known to the model (skipped, listed as unknown), so "
            f"the new film is placed by its genre{'' if len(genres) == 1 else 's'} alone: "
            + ", ".join(genres))
