"""A film's expected demand by place, and a screen allocation that follows it.

For one film: every user who has not watched it is ranked by score; their probability of
watching within the calibration horizon is ``calibration.p_at`` at their rank fraction
(``(rank - 1) / candidates``, 0 = best). Summed by place (``np.bincount``), with the film's
existing viewers, that gives each place's expected viewers; one matrix-vector product, one sort
and two grouped sums, no loop over users. Places with fewer users than the minimum cell size
(``RECOMMENDER_MIN_CELL``, default 10) are merged into ``"other"``. Users with no value of
the attribute are in no place: they are counted apart (``users_without_place``, with their
viewers and expected demand), never merged with a real place, and the shares, the indices and
the screens cover the places only.

A film with no history (cold start) is scored with ``query.audience.cold_start_vector``; its
probabilities mix the calibrations of its comparable films, by their weights, and of the known
films nearest each genre's taste (``cold_calibration.new_film_calibration``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from recommender.distribution.cold_calibration import (
    cold_start_input,
    new_film_calibration,
    new_film_probabilities,
)
from recommender.distribution.place_screens import (
    CAPPED,
    NO_CINEMAS,  # noqa: F401 (re-exported: imported from here)
    _screens,
)
from recommender.distribution.places import PlaceGroups, check_placed, place_groups, place_merges
from recommender.distribution.screens import tie_rule, weight_words, whole_number
from recommender.errors import InvalidParameterError, UnknownFilmError, comparable_films
from recommender.io.places import CINEMA, Cinemas
from recommender.io.text import plural
from recommender.kernels.ranking import tied_rows
from recommender.model import calibration
from recommender.model.model import Model
from recommender.query.audience import cold_start_vector, known_comparables
from recommender.query.id_titles import NO_FILM_NAMES, film_names
from recommender.query.privacy import OTHER, min_cell_from_env

MAX_SCREENS = 10_000_000
SCREENS_BY = {"total": "expected_total", "new": "expected_new"}
"""``screens_by``'s values and the column each shares screens by (default ``total``: for a
film in its run past viewing dominates it; ``new`` follows the film's new audience)."""


def capped(by: str) -> bool:
    """Whether ``by`` (as ``places.check_place`` reads it: any case, surrounding blanks
    ignored) is a place a cinema table caps (``CAPPED``): " cinema" is the cinema."""
    return by.strip().lower() in CAPPED
UNRANKED_DEMAND = ("nothing fitted ties this film, or its comparable films, to the users: "
                   "every candidate scores the same (or, in BPR and LMF, by bias alone), so "
                   "users who tie are given the film's mean probability and the places' "
                   "expected new viewers follow their user counts, not a taste for the film")
UNITS = {
    "year": "the film's release year (calendar year; null when unknown or for a new film)",
    "city": "by=cinema: the cinema's city in the cinema table (null: 'other', a cinema it lacks, "
            "no table, or another by)",
    "users": "the model's users in the place",
    "viewers": "users in the place who watched the film in the training data or in the "
               "campaign store's events recorded since (when the answer reads a store)",
    "expected_new": "users expected to watch it within the calibration horizon: the sum over "
                    "the place's non-viewers of the probability measured for their rank "
                    "(model calibration; users with equal scores share the mean over the "
                    "ranks they span)",
    "expected_total": "viewers + expected_new (users)",
    "share": "the place's share of the film's expected_total over all places (0-1)",
    "user_share": "the place's share of the users with a place (0-1; not of "
                  "users_without_place)",
    "viewing_share": "the place's share of the interactions of the users with a place: the "
                     "training data's, and the campaign store's events recorded since when the "
                     "answer reads a store, as for viewers (0-1; not of users_without_place)",
    "index_vs_users": "100 * share / user_share (100 = as many as its users suggest)",
    "index_vs_viewing": "100 * share / viewing_share (100 = as its past viewing suggests)",
    "screens": "",  # screens_unit's, by the weight asked for
    "capacity": "screens of the place's cinemas in the cinema table (per row: the cinema's, "
                "or those of the cinemas the table puts in the city or region; the pooled "
                "places' sum for 'other'; in screens: all the rows'), which cap its "
                "allocation; null when not capped",
    "totals": "the body's users, viewers, expected_new and expected_total are sums over the "
              "places (users with a place only)",
    "min_cell": "users: a place with fewer is merged into 'other' (RECOMMENDER_MIN_CELL)",
    "merged_places": "places merged into 'other' (count of places)",
    "users_without_place": "users with no value of the attribute (e.g. new users from campaign "
                           "events, with no attributes), counted apart and not in any place; "
                           "their viewers and expected demand (users) are null when they are "
                           "fewer than the users a place needs to be shown, or when the "
                           "users with a place are (then no "
                           "place is shown), or when the trained users among them are (some "
                           "but fewer, beside users new from events) (their viewers are "
                           "still the film's viewers "
                           "less the places' total: README, Privacy by default)",
}


def screens_unit(weight: str = "expected_total") -> str:
    """``units.screens``: screens in proportion to ``weight`` (a ``SCREENS_BY`` column)."""
    why = " (viewers so far + expected new viewers)" if weight == "expected_total" else (
        " (the film's new audience, not its past viewers)")
    demand = "demand" if weight == "expected_total" else weight_words(weight)
    return (f"screens (or showtimes) allocated in proportion to each place's "
            f"{weight_words(weight)}{why}, largest remainder ({tie_rule(weight)}), capped by "
            "the screens of each cinema, city or region (by cinema, city or region) when a "
            f"cinemas.csv is loaded, 'other' then by the {demand} of its pooled places that "
            "have a cinema (see the screens note); the rows sum to the screens asked for")


UNITS["screens"] = screens_unit()


def check_screens_by(screens_by: object) -> str:
    """``screens_by`` (any case, surrounding blanks ignored, as ``by`` is) as a key of
    ``SCREENS_BY`` (None: ``total``); else ``InvalidParameterError`` naming the values.
    Without ``screens`` it changes nothing (the CLI says so in a note)."""
    if screens_by is None:
        return "total"
    key = str(screens_by).strip().lower()
    if key not in SCREENS_BY:
        raise InvalidParameterError(f"screens_by must be one of {', '.join(SCREENS_BY)} (the "
                                    f"column screens follow), got {screens_by!r}")
    return key


def film_probabilities(model: Model, scores: NDArray[np.floating], film: int,
                       viewers: NDArray[np.integer], unfitted: bool = False
                       ) -> NDArray[np.float64]:
    """Every user's probability of watching (0 for ``viewers``): ``calibration.p_at`` at the
    rank fraction ``(rank - 1) / candidates`` of their score among the non-viewers. Users who
    tie share the mean of ``p`` over the ranks their run spans: their order among themselves
    is arbitrary, so none of them is owed the run's first rank (a film whose candidates all
    tie, nothing fitted, gets its mean ``p`` everywhere, not its best). One sort, O(n log n).
    """
    n = model.n_users
    candidate = np.ones(n, np.bool_)
    candidate[np.asarray(viewers, np.int64)] = False
    cand = np.flatnonzero(candidate)
    p = np.zeros(n, np.float64)
    if len(cand) == 0:
        return p
    # ``unfitted``: the scores come from nothing fitted (``Model.nothing_fitted``), whose
    # order means nothing even where they differ (LMF: each user's own bias): one tie
    s = np.zeros(len(cand), np.float32) if unfitted else np.asarray(scores, np.float32)[cand]
    order = np.argsort(-s)  # ties share their run's mean p, so the sort need not be stable
    p[cand[order]] = calibration.p_in_order(model.calibration, film, s[order])
    return p


def tie_note(scores: NDArray[np.floating], viewers: NDArray[np.integer], unfitted: bool
             ) -> str | None:
    """``UNRANKED_DEMAND`` when every non-viewer scores the same (``ranking.tied_rows``) or
    the film's vector has nothing fitted (``unfitted``: ``Model.nothing_fitted``)."""
    if unfitted:
        return UNRANKED_DEMAND
    live = np.asarray(scores, np.float32).copy()
    live[np.asarray(viewers, np.int64)] = -np.inf
    return UNRANKED_DEMAND if tied_rows(live) else None


def demand_by_place(model: Model, film_id: str, by: str, screens: int | None = None,
                    min_cell: int | None = None, cinemas: Cinemas | None = None,
                    screens_by: str | None = None) -> dict[str, Any]:
    """The body of ``GET /films/{film_id}/distribution?by=...&screens=...``: the film (its id
    and ``id_titles.film_names``: title, year, also_titled) and its demand by place; screens
    follow ``SCREENS_BY[screens_by]`` (``check_screens_by``)."""
    f = model.film_index(film_id)
    groups = place_groups(model, by)  # checks ``by`` before any work
    screens = check_screens(screens)
    weight = SCREENS_BY[check_screens_by(screens_by)]
    scores = model.user_scores(model.film_factors[f])  # the audience's and the planner's
    viewers = model.film_viewers(f)
    check_placed(model, groups, len(viewers))
    unfitted = bool(model.nothing_fitted(model.film_factors[f], "films"))
    p = film_probabilities(model, scores, f, viewers, unfitted)
    body = _body(model, groups, p, viewers, screens, min_cell, cinemas, weight)
    return {"film_id": film_id, **film_names(model, f), **body,
            "note": tie_note(scores, viewers, unfitted),
            "screens_by_note": screens_by_note(screens_by, screens)}


def cold_start_demand(model: Model, comparable: Mapping[str, float] | Sequence[str],
                      genres: Sequence[str], by: str, screens: int | None = None,
                      min_cell: int | None = None, cinemas: Cinemas | None = None,
                      screens_by: str | None = None) -> dict[str, Any]:
    """The body of ``POST /distribution/cold-start``: the same breakdown for a film with no
    history, from comparable films (ids, or ``{id: weight}``) and genres; comparable films
    the model does not know are skipped and listed (``UnknownFilmError`` only when nothing
    known is left: every film unknown and no genre)."""
    groups = place_groups(model, by)
    check_placed(model, groups)
    screens = check_screens(screens)
    weight = SCREENS_BY[check_screens_by(screens_by)]  # alike here: no viewers
    # comparable films the model does not know are skipped and listed, as the cold-start
    # audience does (a 404 here, though the genres or the other films could answer)
    known, unknown = known_comparables(model, comparable)
    if unknown and not known and not genres:  # "no viewers to learn from" for a catalog film
        raise comparable_films(model.films.unknown(UnknownFilmError, dict.fromkeys(unknown)))
    scores, films, weights, unfitted = cold_start_scores(model, known, genres)
    nobody = np.zeros(0, np.int64)
    p = new_film_probabilities(model, scores, films, weights, unfitted)
    body = _body(model, groups, p, nobody, screens, min_cell, cinemas, weight)
    return {"film_id": None, **NO_FILM_NAMES, **body,
            "cold_start": cold_start_input(model, known, unknown, genres, films, weights,
                                           unfitted),
            "note": tie_note(scores, nobody, unfitted),
            "screens_by_note": screens_by_note(screens_by, screens)}


def screens_by_note(screens_by: str | None, screens: int | None) -> str | None:
    """Why ``screens_by`` changed nothing, when it came without ``screens`` (the CLI's note
    says so of ``--screens-by``; HTTP took it without a word), else None."""
    if screens_by is None or screens:
        return None
    return "screens_by is not read without screens: it says what the screens follow"


def cold_start_probabilities(model: Model, comparable: Mapping[str, float] | Sequence[str],
                             genres: Sequence[str]) -> tuple[NDArray[np.float64], int]:
    """Every user's probability of watching a film with no history, and the index of the
    known film with the largest share of its calibration (``new_film_calibration``)."""
    scores, films, weights, unfitted = cold_start_scores(model, comparable, genres)
    p = new_film_probabilities(model, scores, films, weights, unfitted)
    return p, int(films[0]) if len(films) else 0


def cold_start_scores(model: Model, comparable: Mapping[str, float] | Sequence[str],
                      genres: Sequence[str]
                      ) -> tuple[NDArray[np.float32], NDArray[np.int64], NDArray[np.float64],
                                 bool]:
    """Every user's score of a film with no history (``cold_start_vector``), the known films
    whose calibrations its probabilities mix and their weights (``new_film_calibration``:
    the largest first), and whether the vector has nothing fitted (``Model.nothing_fitted``:
    its comparable films have none; under LMF the users' own bias then orders them, without
    a tie)."""
    vec = cold_start_vector(model, comparable, genres)
    scores = model.user_scores(vec)  # as the cold-start audience ranks them
    films, weights = new_film_calibration(model, comparable, genres)
    return scores, films, weights, bool(model.nothing_fitted(vec, "films"))


def check_screens(screens: object) -> int | None:
    """``screens`` as a whole number from 1 to ``MAX_SCREENS`` (``screens.whole_number``: the
    CLI's ``--screens`` text and HTTP's number or query text by one rule), or None."""
    return None if screens is None else whole_number(screens, "screens", 1, MAX_SCREENS)


def _body(model: Model, groups: PlaceGroups, p: NDArray[np.float64],
          viewers: NDArray[np.integer], screens: int | None, min_cell: int | None,
          cinemas: Cinemas | None, weight: str = "expected_total") -> dict[str, Any]:
    m = min_cell_from_env() if min_cell is None else int(min_cell)
    if m < 1:
        raise InvalidParameterError(f"min_cell must be >= 1, got {m}")
    k = len(groups.labels)
    new_all = groups.per_place(weights=p)
    seen_all = groups.per_place(np.asarray(viewers, np.int64))
    new, seen = new_all[:k], seen_all[:k]
    # small places pooled, and more where another breakdown would undo the pooling
    merge = place_merges(model, m)[groups.by]
    merged = int(merge.sum())
    pooled_places = int((merge & (groups.labels != OTHER)).sum())  # a real "other" is the pool
    # every place pooled and the pool still under min_cell, beside users without a place:
    # its row would be a small group's figures (the film's less theirs too), so no place is
    # shown, pooled or not, and theirs are hidden with it
    small = bool(k and merged == k and groups.unplaced_users and 0 < groups.users.sum() < m)
    # users new from campaign events have no place: with them, the trained users without one
    # must be none or at least min_cell too (9 of them beside 12 new users showed 12 viewers:
    # none of the 9, to anyone who knows the events)
    added = int((model.meta.get("overlay") or {}).get("new_users", 0))
    trained = groups.unplaced_users - added
    nowhere = _without_place(groups.unplaced_users, seen_all[k], new_all[k], m,
                             small or bool(added and 0 < trained < m))
    if small:
        merge = np.zeros(k, np.bool_)
    keep = np.flatnonzero(~merge) if not small else np.zeros(0, np.intp)
    labels = groups.labels[keep].tolist()
    parts = [keep]
    if merge.any():
        labels.append(OTHER)
        parts.append(np.flatnonzero(merge))

    def pooled(values: NDArray[Any]) -> NDArray[np.float64]:
        out = [np.asarray(values, np.float64)[keep]]
        if merge.any():
            out.append(np.asarray([np.asarray(values, np.float64)[merge].sum()]))
        return np.concatenate(out)

    users, viewing = pooled(groups.users), pooled(groups.viewing)
    n_view, exp_new = pooled(seen), pooled(new)
    total = n_view + exp_new
    share = total / total.sum() if total.sum() > 0 else np.zeros(len(total))
    user_share = users / users.sum() if users.sum() > 0 else np.zeros(len(total))
    viewing_share = viewing / viewing.sum() if viewing.sum() > 0 else np.zeros(len(total))
    if screens is not None and not len(total):  # small (no place at all: check_placed)
        placed = int(groups.users.sum())
        raise InvalidParameterError(
            f"no place is shown to share screens among: only {plural(placed, 'user')} "
            f"{'has' if placed == 1 else 'have'} a {groups.by}, fewer than the {m:,} a place "
            "needs to be shown")
    new_only = weight == "expected_new" and screens is not None  # else it changes nothing
    by_rows = exp_new if new_only else total
    if screens is not None and not by_rows.sum() > 0:
        # the reason where the model measured no conversion (calibration.horizon says why)
        why = "" if calibration.measured(model.calibration) \
            else f" ({calibration.horizon(model.calibration)['description']})"
        raise InvalidParameterError(
            "there is no expected new demand to share screens by (screens by expected new "
            "viewers): the film "
            f"has no expected new viewers{why}" if new_only else "there is no expected demand "
            f"to share screens by: the film has no viewers and no expected new viewers{why}")
    alloc, capacity, capped_by, warning, pool_note = _screens(
        groups, keep, merge, by_rows, screens, cinemas, new if new_only else seen + new, m,
        weight)
    # largest first; "other" last
    order = np.lexsort((np.array(labels), -total))
    if merge.any():
        order = np.concatenate([order[order != len(labels) - 1], [len(labels) - 1]])
    # the rows column by column (numpy rounding, .tolist()): no Python work per value
    places = [labels[i] for i in order.tolist()]
    cities = (cinemas.cities_of(places) if groups.by == CINEMA and cinemas is not None
              else [None] * len(places))
    columns: dict[str, list[Any]] = {
        "place": places, "city": cities[:-1] + [None] if merge.any() else cities,
        "users": users[order].astype(np.int64).tolist(),
        "viewers": n_view[order].astype(np.int64).tolist(),
        "expected_new": np.round(exp_new[order], 3).tolist(),
        "expected_total": np.round(total[order], 3).tolist(),
        "share": np.round(share[order], 6).tolist(),
        "user_share": np.round(user_share[order], 6).tolist(),
        "viewing_share": np.round(viewing_share[order], 6).tolist(),
        "index_vs_users": _index(share[order], user_share[order]),
        "index_vs_viewing": _index(share[order], viewing_share[order]),
        "screens": [None] * len(order) if alloc is None else alloc[order].tolist(),
        "capacity": [None] * len(order) if capacity is None else capacity[order].tolist(),
    }
    rows = [dict(zip(columns, values, strict=True)) for values in zip(*columns.values(),
                                                                       strict=True)]
    return {
        "by": groups.by,
        "min_cell": m,
        "merged_places": pooled_places,
        "users": int(users.sum()),
        "viewers": int(n_view.sum()),
        "expected_new": round(float(exp_new.sum()), 3),
        "expected_total": round(float(total.sum()), 3),
        "horizon": calibration.horizon(model.calibration),
        "model_version": model.version,  # a saved CLI --json says what made it
        "screens": None if screens is None else {
            "total": int(screens), "capped_by": capped_by,
            "capacity": None if capacity is None else int(capacity.sum()), "warning": warning,
            "note": pool_note},
        "places": rows,
        "users_without_place": nowhere,
        "units": UNITS if not new_only else {**UNITS, "screens": screens_unit(weight)},
    }


def _index(share: NDArray[np.float64], base: NDArray[np.float64]) -> list[float | None]:
    """100 * share / base, to 0.1; None where the base is 0."""
    ok = base > 0
    values = np.round(100.0 * share / np.where(ok, base, 1.0), 1).tolist()
    return [v if k else None for v, k in zip(values, ok.tolist(), strict=True)]


def _without_place(users: int, viewers: float, expected_new: float, min_cell: int,
                   hide_all: bool = False) -> dict[str, Any]:
    """The users with no place value, apart from the breakdown (figures hidden under
    ``min_cell`` users, as for any cell, and with ``hide_all``: the places' are hidden, or
    the trained users among them are under ``min_cell``)."""
    hide = users < min_cell or hide_all
    return {"users": int(users),
            "viewers": None if hide else int(viewers),
            "expected_new": None if hide else round(float(expected_new), 3),
            "expected_total": None if hide else round(float(viewers + expected_new), 3)}
