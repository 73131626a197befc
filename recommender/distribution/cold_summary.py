"""A new film's audience summary: its tiers with expected conversion, segments and portrait.

The known film's summary (``query.audience.audience_summary``) over the new film's ranking:
its users scored by ``cold_start_vector`` and ranked as its cold-start audience ranks them
(the same rings), the rows and the hidden cells by the same functions
(``query.summary_cells``). A new film has no calibration of its own, so each rank's ``p`` is
the mix of known films' that its distribution forecast uses (``cold_calibration``): a tier's
expected conversion is the mean of that mixed ``p`` over the tier's ranks, as a known film's
is the mean of its own ``p``.

No interval is given: the coefficient draws behind a known film's interval would cover the
noise of fitting the borrowed calibrations, not how far a new film's conversion is from its
comparables', which is larger (``INTERVAL_NOTE``, from ``benchmarks/results/
cold_calibration.md``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from recommender.distribution import cold_error_figures as measured
from recommender.distribution.cold_calibration import (
    cold_start_input,
    mixed_p,
    new_film_calibration,
)
from recommender.errors import InvalidParameterError, UnknownFilmError, comparable_films
from recommender.model import calibration
from recommender.model.config import DEFAULT_TIERS
from recommender.model.model import Model
from recommender.model.probability_digits import round_probability
from recommender.query.audience import left_out_note
from recommender.query.cold_start_taste import (
    cold_start_vector,
    known_comparables,
    unfitted_comparables,
)
from recommender.query.id_titles import NO_FILM_NAMES
from recommender.query.pages import Tiers, for_model, tie_note
from recommender.query.privacy import DEFAULT_MIN_CELL
from recommender.query.summary_cells import summary_cells, tier_row
from recommender.query.summary_rings import ranking_of

#: why a new film's tiers give no interval (its expected_conversion_interval is null); its
#: figures are the benchmark's (``cold_error_figures``, written by scripts/readme_results.py)
INTERVAL_NOTE = (
    "no interval: a new film's conversion probability is borrowed, a mix of those of the "
    "known films it is calibrated from, and the calibration's coefficient draws would give "
    "only the noise of fitting those, not "
    "how far a new film's conversion lies from its comparables', which is larger: known films "
    f"taken as new, each like {measured.COMPARABLES} comparables the model chose (its nearest "
    "films by its own trained taste vector, which a new film lacks), forecast the viewers they "
    "gained in the held-out slice with a median |log ratio| error of "
    f"{measured.HELD_OUT_COMPARABLES} from those comparables, {measured.HELD_OUT_GENRES} from "
    f"genres alone (a factor of 2 is {math.log(2):.2f}); their agreement with the model's own "
    f"forecast of them ({measured.OWN_COMPARABLES} from comparables, {measured.OWN_GENRES} "
    "from genres) is no accuracy against outcomes (benchmarks/results/cold_calibration.md)")

#: the horizon's words for a known film's p, and a new film's, whose p is borrowed
PER_FILM = "calibrated per film"
BORROWED = {True: "borrowed from its comparable films' calibrations, each calibrated per film",
            False: "borrowed from the calibrations of its genres' nearest known films, each "
                   "calibrated per film"}

#: where a new film's conversions come from (the summary's ``conversion_note``)
CONVERSION_NOTE = (
    "borrowed calibration: a new film has none of its own, so the conversion probability at "
    "each rank is the mean of those of the known films it is calibrated from, at the same "
    "rank fraction, weighted by their shares (its comparable films' own at their weights; "
    "each genre's nearest known films), as its distribution forecast gives them; its horizon "
    "is theirs, the model's")


def borrowed_horizon(model: Model, comparables: bool) -> dict[str, Any]:
    """The model's horizon, its description saying a new film's p is borrowed (from its
    comparable films', with ``comparables``; else its genres' nearest films'), not its own."""
    horizon = calibration.horizon(model.calibration)
    horizon["description"] = horizon["description"].replace(PER_FILM, BORROWED[comparables], 1)
    return horizon


def cold_start_summary(
    model: Model, comparable: Mapping[str, float] | Sequence[str] = (),
    genres: Sequence[str] = (), tiers: Tiers = DEFAULT_TIERS, tier: str | None = None,
    min_cell: int = DEFAULT_MIN_CELL,
) -> dict[str, Any]:
    """The summary of a film with no history, from comparable films (ids, or ``{id:
    weight}``) and genres: ``audience_summary``'s body (``film_id`` and names null, no
    viewers, every user a candidate; intervals null, ``conversion_interval_note`` saying why;
    ``conversion_note`` saying where p comes from; ``note`` the tie's when every user scores
    the same, else the comparable films left out, and ``tied`` which, as the cold-start
    audience's) with the new film's ``cold_start``
    (``cold_calibration.cold_start_input``: what it was asked with and ``calibrated_from``).
    Comparable films the model does not know are skipped and listed (``UnknownFilmError``
    only when nothing known is left: every film unknown and no genre)."""
    if min_cell < 1:
        raise InvalidParameterError(f"min_cell must be >= 1, got {min_cell}")
    known, unknown = known_comparables(model, comparable)
    if unknown and not known and not genres:  # as the cold-start audience refuses it
        raise comparable_films(model.films.unknown(UnknownFilmError, dict.fromkeys(unknown)))
    vec = cold_start_vector(model, known, genres)
    scores = model.user_scores(vec)  # the cold-start audience's
    blank = bool(model.nothing_fitted(vec, "films"))
    ranking = ranking_of(model, scores, tiers)  # the cold-start audience's rings
    films, weights = new_film_calibration(model, known, genres)
    n = ranking.n_cand
    note = for_model(tie_note(scores, None, blank), model)
    measured = calibration.measured(model.calibration) and len(films) > 0 and n > 0
    # each rank's mixed p (one pass over the users per film of the mix), its mean over the
    # ranks: all of them for the base, each tier's for its conversion
    by_rank = mixed_p(model, films, weights, np.arange(n) / max(n, 1)) if measured else None
    base = float(by_rank.mean()) if by_rank is not None else None
    rows = []
    for t, ((_, start, end), (_, share)) in enumerate(zip(ranking.bounds, tiers, strict=True)):
        conv = (None if by_rank is None or end < start else base if note is not None
                else float(by_rank[start - 1:end].mean()))
        rows.append(tier_row(ranking, t, share, conv, base))
    cells = summary_cells(model, ranking, None, rows, tiers, tier, min_cell)
    unfitted = unfitted_comparables(model, list(known))
    tied = note is not None  # the tie's note wins, as the cold-start audience's does
    if unfitted and not blank:  # left out of the mean, as the cold-start audience says it
        note = note or left_out_note(unfitted, len(known), "comparable film", bool(genres))
    return {
        "film_id": None,
        **NO_FILM_NAMES,
        "viewers": 0,
        "candidates": n,
        "base_conversion": None if base is None else round_probability(base),
        "horizon": borrowed_horizon(model, bool(known)),
        "conversion_interval_note": INTERVAL_NOTE if base is not None else None,
        "tiers": rows,
        **cells,
        "note": note,
        "tied": tied,
        "conversion_note": CONVERSION_NOTE if base is not None else None,
        "cold_start": cold_start_input(model, known, unknown, genres, films, weights, blank),
    }
