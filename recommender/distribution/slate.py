"""Films opening together: each cinema's screens shared among them by expected attendance.

The slate (``SLATE.csv``) has the header ``film_id`` and optional ``min_screens`` and
``max_screens``: the film's total screens over all cinemas (its release width; empty = no
bound). The screens file (``--screens-per-cinema``) has ``cinema_id,screens`` (a
``cinemas.csv`` will do). A film's expected attendance at a cinema is the expected number of
new viewers (``demand.film_probabilities`` summed over the users whose most-visited cinema it
is, the model's ``cinema`` attribute).

The allocation is the exact optimum of an integer programme: integer screens ``x[c, j]``
with ``sum_j x[c, j] = screens[c]`` and each film's total within its bounds, minimising
``sum |x[c, j] - t[c, j]|``, where the target
``t[c, j] = screens[c] * w[j] d[c, j] / sum_k w[k] d[c, k]`` shares the cinema's screens in
proportion to the films' expected attendance ``d`` (by ``w`` alone when no film has any).
``w`` is 1 but for a film its bounds hold back (``solve_bounded``: a bound the allocation
without bounds meets holds nothing back): its demand is scaled by one factor at every
cinema (at one without demand only a factor under 1, ``slate_fit.at_flat``) until its total
target meets the bound (``_weights``, film by film, each factor
solved exactly with the others held, until none moves; films whose minimums no finite
factors meet, alone or together, take the limit, ``slate_fit``), so a capped film's spare
screens go to the others in proportion to their demand, and a capped film gets exactly its
cap (a bound, not a target: its thin targets would round to nothing). (Against the unscaled
targets every spare screen deviates alike, and the cheapest place for it was a film whose
target rounds to nothing: a film of 3 expected viewers took one screen at every cinema.)
Among allocations with the same deviation, screens go to the films with the larger share of
the cinema's demand (films of equal shares take them in turn from one cinema to the next).
The films are solved in the order of their ids, so the allocation does not depend on the
order the slate lists them in
(at a cinema without demand, e.g. one no user names, the films of equal weight ``w``
have equal targets, so any split among them deviates the same: ``_even_out`` re-deals
them cinema by cinema, so that over all such cinemas their totals differ by at most one
screen; a film a bound holds back has its own weight and is not in the share, and a
group whose re-dealt totals would cross one of its films' bounds keeps the programme's
split). The programme is a transportation problem with convex costs, whose LP optimum is whole
(``solve``), so HiGHS's dual simplex (``scipy.optimize.linprog``) solves it without branching
(once per class of cinemas alike in screens, costs and bounds, most of those without demand;
where identical cinemas tie, e.g. over a capped film's last screens, each class's screens
are dealt to its cinemas in turn, the earlier ones in the table taking the extra screens
first: a stated rule, not the simplex's pick: ``slate_classes``; ties between classes, and
the whole programme's, go to the least secondary cost, earlier classes first: ``slate_lex``).
A cinema whose figures the minimum cell size hides (``pooled_cinemas``) shares its screens by
the summed demand of all the model's such cinemas (the pool a film's breakdown by cinema shows
as "other"; by no demand when that pool holds fewer than min_cell users), whichever
cinemas the request names, so that its screens do not show its own users' demand. The
answer lists the cinemas of the screens file that no user names (``cinemas_without_users``):
a typo in an id shows there.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import linprog

from recommender.distribution.demand import film_probabilities, tie_note
from recommender.distribution.near_ids import near_misses
from recommender.distribution.places import (
    PlaceGroups,
    place_attributes,
    place_groups,
    place_merges,
)
from recommender.distribution.screens import whole_number
from recommender.distribution.slate_classes import allocate
from recommender.distribution.slate_even import _even_out
from recommender.distribution.slate_file import (
    NEW_FILM_HINT,
    InfeasibleSlateError,
    SlateFilm,
    check_films,
)
from recommender.distribution.slate_greedy import by_cinema
from recommender.distribution.slate_size import check_size, max_cells_from_env
from recommender.distribution.slate_targets import (
    _fit,
    _targets,  # noqa: F401 (re-exported: the tests import it from here)
    _weights,  # noqa: F401 (re-exported: the tests import it from here)
)
from recommender.distribution.slate_ties import set_ids
from recommender.distribution.slate_units import SLATE_UNITS
from recommender.errors import InvalidParameterError, UnknownFilmError
from recommender.io.places import CINEMA, MAX_COUNT, Cinemas
from recommender.io.text import plural
from recommender.kernels.threads import off_main
from recommender.model import calibration
from recommender.model.model import Model
from recommender.query.privacy import min_cell_from_env

TIE_BREAK = 1e-7  # per screen, times the film's share of the cinema's demand (<< any deviation)


def cinema_demand(model: Model, film_ids: list[str], cinema_ids: NDArray[np.str_]
                  ) -> tuple[NDArray[np.float64], NDArray[np.int64], list[str | None]]:
    """(cinemas x films expected new viewers, users per cinema, each film's note) for the
    given cinema ids (0 for a cinema no user names); a film's note says its demand follows
    user counts, not taste (``demand.tie_note``). One score, sort and grouped sum per film."""
    demand, users, notes, _ = _cinema_demand(model, film_ids, cinema_ids, None)
    return demand, users, notes


def _cinema_demand(model: Model, film_ids: list[str], cinema_ids: NDArray[np.str_],
                   pool: NDArray[np.bool_] | None
                   ) -> tuple[NDArray[np.float64], NDArray[np.int64], list[str | None],
                              NDArray[np.float64]]:
    """``cinema_demand``, and each film's demand summed over the model's cinemas that
    ``pool`` marks (one flag per cinema of ``place_groups``; zeros without ``pool``)."""
    groups, where, hit = _cinema_slots(model, cinema_ids)
    idx = model.films.to_index(film_ids, strict=True, error=UnknownFilmError)
    demand = np.zeros((len(where), len(film_ids)))
    pooled = np.zeros(len(film_ids))
    notes: list[str | None] = []
    k = len(groups.labels)
    for j, f in enumerate(np.asarray(idx).tolist()):
        scores = model.user_scores(model.film_factors[f])  # the audience's and the planner's
        viewers = model.film_viewers(f)
        unfitted = bool(model.nothing_fitted(model.film_factors[f], "films"))
        p = film_probabilities(model, scores, f, viewers, unfitted)
        per_label = groups.per_place(weights=p)  # the last slot: users without a cinema
        demand[:, j] = np.where(hit, per_label[where], 0.0)
        if pool is not None:
            pooled[j] = float(per_label[:k][pool].sum())
        notes.append(tie_note(scores, viewers, unfitted))
    return demand, np.where(hit, groups.users[where], 0).astype(np.int64), notes, pooled


def pooled_cinemas(model: Model, cinema_ids: NDArray[np.str_], min_cell: int
                   ) -> NDArray[np.bool_]:
    """True for the given cinemas whose figures a film's breakdown by cinema pools into
    "other" (``demand.place_breakdown``: the small ones, the smallest others until the pool
    holds ``min_cell`` users, and more where a city's total would undo it) and for those no
    user names: the slate hides the same ones, so that no two answers differ by one cinema."""
    groups, where, hit = _cinema_slots(model, cinema_ids)
    return ~hit | _merged(model, groups, min_cell)[where]


def _merged(model: Model, groups: PlaceGroups, min_cell: int) -> NDArray[np.bool_]:
    """The model's cinemas (one flag per cinema of ``groups``) that a film's breakdown by
    cinema pools into "other"."""
    return place_merges(model, min_cell)[groups.by]


def need_cinemas(model: Model) -> None:
    """``InvalidParameterError`` unless ``model``'s users name a cinema, saying how they get
    one: checked before a cinema table is looked for (a log without users.csv, FilmTrust's,
    was first asked for a table of screens it could not use)."""
    if CINEMA not in model.user_table.attributes:  # place_groups' sentence names a by= not given
        raise InvalidParameterError(
            "a slate shares each cinema's screens by the demand of the users who name it, and "
            "this model's users have no 'cinema' attribute (its place attributes: "
            f"{', '.join(place_attributes(model)) or 'none'}; cinema is a column of the users "
            "file: train with a users.csv or users.parquet beside the log, or --users FILE, "
            "holding one)")


def _cinema_slots(model: Model, cinema_ids: NDArray[np.str_]
                  ) -> tuple[PlaceGroups, NDArray[np.intp], NDArray[np.bool_]]:
    """The users' cinema groups, each given cinema's slot in them and whether a user names it."""
    need_cinemas(model)
    groups = place_groups(model, CINEMA)
    order = np.argsort(groups.labels, kind="stable")
    ids = np.asarray(cinema_ids, dtype=str)
    pos = np.clip(np.searchsorted(groups.labels[order], ids), 0, len(order) - 1)
    hit = (groups.labels[order][pos] == ids) if len(order) else np.zeros(len(ids), bool)
    return groups, order[pos] if len(order) else np.zeros(len(ids), np.intp), hit


def solve(demand: NDArray[np.float64], screens: NDArray[np.int64],
          lo: NDArray[np.int64], hi: NDArray[np.float64],
          weights: NDArray[np.float64] | None = None,
          targets: NDArray[np.float64] | None = None,
          report: dict[str, Any] | None = None) -> NDArray[np.int64]:
    """The integer programme of the module docstring: cinemas x films screens (``weights``
    and ``targets``: the films' demand factors, ``_weights``, and their targets, when the
    caller has them; ``report``, when given, gets the programme's size and optimality)."""
    n_c, n_f = demand.shape
    s = np.asarray(screens, np.float64)
    _check_totals(s, lo, hi)
    if weights is None or targets is None:
        weights, targets = _fit(demand, screens, lo, hi)
    w, target = weights, np.asarray(targets, np.float64).ravel()
    # a film its cap holds back gets its cap: spread thin, its targets round to nothing at
    # every cinema (a cap of 4 over 10 cinemas gave it 0 screens)
    held = (w < 1.0) & np.isfinite(hi)
    lo_held = np.where(held, np.maximum(lo, np.asarray(hi, np.float64)), lo).astype(np.int64)
    if lo_held.sum() <= s.sum():
        lo = lo_held
    # |x - t| on whole x is convex and piecewise linear with its bends at floor(t) and
    # ceil(t): x is three pieces filled in order of their slopes (-1 up to floor(t), then
    # 1 - 2 frac(t) for one screen, then +1), each (cinema, film) an arc of a transportation
    # problem (cinema rows, film rows). Its matrix is totally unimodular and every bound is
    # whole, so the LP's optimum is whole (a MILP with the absolute values' auxiliary
    # variables had HiGHS branch for minutes at 2,000 cinemas)
    n = n_c * n_f
    floor = np.floor(target)
    frac = target - floor
    # ties of the absolute deviation (a film at its bound leaves the others' excess screens
    # free to go either way) go to the films with the larger share of the cinema's demand
    row = demand.sum(axis=1, keepdims=True)
    prefer = np.where(row > 0, demand / np.where(row > 0, row, 1.0), 0.0)
    # films of exactly equal shares at a cinema tie again: they take its spare screens in
    # turn (the n-th cinema where the same m films tie puts the ((n + i) mod m)-th of them
    # first), by steps under half the smallest gap between the cinema's distinct shares, so
    # that no other order changes (the vertex gave one film the spare screen every time)
    equal = prefer[:, :, None] == prefer[:, None, :]
    group = equal.sum(axis=2)
    if (group > 1).any():
        ordered = np.sort(prefer, axis=1)
        diff = np.diff(ordered, axis=1)
        gaps = np.where(diff > 0, diff, np.inf)
        step = 0.5 * np.minimum(gaps.min(axis=1, initial=np.inf), 1.0)
        before = (equal & np.tri(n_f, k=-1, dtype=bool)[None, :, :]).sum(axis=2)
        # the turn counts the earlier cinemas where the same films tie, not every cinema:
        # counted by the cinema's index, ties at every other cinema (or every m-th) gave the
        # spare screen to the same film each time
        lead = np.argmax(equal, axis=2)  # each film's tie group, by its first member
        first = (group > 1) & (before == 0)
        ids = set_ids(equal)  # np.unique's axis=0 rows: 12.7 s of 13.8 at 2,000 x 50
        key = np.where(first, ids, -1).ravel()  # cinema by cinema
        by = np.argsort(key, kind="stable")
        run = np.r_[0, np.flatnonzero(np.diff(key[by])) + 1]
        seen = np.empty(len(key), np.int64)
        seen[by] = np.arange(len(key)) - np.repeat(run, np.diff(np.r_[run, len(key)]))
        seen = seen.reshape(n_c, n_f)[np.arange(n_c)[:, None], lead]
        turn = (before - seen) % group
        prefer = prefer + np.where(group > 1, step[:, None] * (group - turn) / group, 0.0)
    # at the cinemas without demand every split ties: their spare screens are dealt round
    # the films in turn (each such cinema starts where the one before left off), so that
    # the films share them equally over all those cinemas (the LP's vertex otherwise gave
    # them to the same few films at every cinema: one film 3,405 screens, another 0)
    none = row[:, 0] <= 0
    if none.any() and n_f > 1:
        start = (np.cumsum(s[none]) - s[none]) % n_f
        turn = (np.arange(n_f)[None, :] - start[:, None]) % n_f
        prefer[none] = (n_f - turn) / n_f
    tie_break = (-TIE_BREAK * prefer).ravel()
    cost = np.concatenate([tie_break - 1.0, tie_break + 1.0 - 2.0 * frac, tie_break + 1.0])
    capped = np.isfinite(hi)
    cap = np.repeat(s, n_f)
    bounds = np.concatenate([np.minimum(floor, cap), np.where(frac > 0, 1.0, 0.0), cap])
    # a film's minimum row only where it has one (a minimum of 0 bounds nothing: x >= 0)
    floored = lo > 0
    if not floored.any() and not capped.any():  # no film row: the programme separates
        if report is not None:
            report.update(status="optimal", gap=0.0, solver="each cinema's cheapest pieces "
                          "(no film bound: its programme alone)", variables=3 * n,
                          constraints=n_c, nonzeros=3 * n, classes=n_c, solved_variables=0,
                          solved_constraints=0, solved_nonzeros=0, tie_variables=0)
        return _even_out(by_cinema(cost, bounds, s, n_c, n_f), none, w, lo, hi)
    # one programme per class of identical cinemas, dealt to its members (slate_classes)
    solved, res, size = allocate(lambda *a, **k: off_main(linprog, *a, **k), cost, bounds, s, n_f,
                           floored, capped, lo, hi)
    if solved is None:
        raise InfeasibleSlateError(f"no allocation satisfies the slate's bounds ({res.message})")
    rows = int(floored.sum() + capped.sum())  # the whole programme's film rows
    x = np.rint(solved.reshape(3, n).sum(axis=0)).astype(np.int64).reshape(n_c, n_f)
    if report is not None:  # a vertex of a totally unimodular programme: whole, no gap
        done = res.status == 0
        report.update(status="optimal" if done else str(res.message), gap=0.0 if done else None,
                      solver="HiGHS dual simplex, linear programme (its optimum is whole)",
                      variables=3 * n, constraints=n_c + rows, nonzeros=3 * (n + n_c * rows),
                      **size)  # the whole programme's size, and what HiGHS solved (classes)
    return _even_out(x, none, w, lo, hi)


def _check_totals(s: NDArray[np.float64], lo: NDArray[np.int64], hi: NDArray[np.float64]
                  ) -> None:
    """``InfeasibleSlateError`` where the minimums add up to more than the screens ``s`` or
    the caps to fewer."""
    if lo.sum() > s.sum():
        raise InfeasibleSlateError(f"the films' min_screens add up to {int(lo.sum())}, more "
                                   f"than the {plural(int(s.sum()), 'screen', sep=',')} available",
                                   "min_screens")
    if hi.sum() < s.sum():
        raise InfeasibleSlateError(f"the films' max_screens add up to {int(hi.sum())}, fewer "
                                   f"than the {plural(int(s.sum()), 'screen', sep=',')} to fill",
                                   "max_screens")


def solve_bounded(demand: NDArray[np.float64], screens: NDArray[np.int64],
                  lo: NDArray[np.int64], hi: NDArray[np.float64],
                  report: dict[str, Any] | None = None
                  ) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    """(``solve``'s screens, the targets they deviate from) where a bound the allocation
    without any bound already meets changes nothing: that allocation first, then, if some
    films' totals cross their bounds, the targets rescaled for those films' bounds alone
    (``_fit``) and every bound held by the programme. (Rescaled for every bound, a minimum
    of 95 for a film that took 108 screens without it gave it 962.)"""
    s = np.asarray(screens, np.float64)
    _check_totals(s, lo, hi)
    free_lo, free_hi = np.zeros_like(lo), np.full(len(lo), np.inf)
    w, t = _fit(demand, screens, free_lo, free_hi)
    x = solve(demand, screens, free_lo, free_hi, w, t, report)
    total = x.sum(axis=0)
    crossed = (total < lo) | (total > hi)
    if not crossed.any():
        return x, t
    w, t = _fit(demand, screens, np.where(crossed, lo, 0), np.where(crossed, hi, np.inf))
    return solve(demand, screens, lo, hi, w, t, report), t


def plan_slate(model: Model, films: list[SlateFilm], cinemas: Cinemas,
               min_cell: int | None = None, max_cells: int | None = None,
               say: Callable[[str], None] | None = None) -> dict[str, Any]:
    """The slate's allocation: each cinema's screens among the films (see the module
    docstring). Expected attendance is not shown (``null``) for a cinema with users that
    ``pooled_cinemas`` hides (under the minimum cell, or pooled with such); its screens are
    still allocated. A cinema no user names reads 0: it has no users, nothing is hidden.
    More than ``max_cells`` cinemas x films (default ``RECOMMENDER_MAX_SLATE_CELLS``) is
    refused before any work (``slate_size``). ``say``, when given, is told each step as it
    starts and how long the one before took (the CLI's progress lines: the solve ran silent
    for half a minute)."""
    t0 = time.perf_counter()
    m = min_cell_from_env() if min_cell is None else int(min_cell)
    check_size(len(cinemas.ids), len(films),
               max_cells_from_env() if max_cells is None else max_cells)
    films = check_films(films)  # bounds whole and in range before the solver, by films[i]
    ids = [f.film_id for f in films]
    index = np.asarray(model.films.to_index(ids, strict=False))
    known = index >= 0
    if not known.all():  # named by position too, as a body's other errors are
        lost = np.flatnonzero(~known).tolist()
        error = UnknownFilmError([ids[i] for i in lost])
        where = ", ".join(f"films[{i}]" for i in lost[:10]) + (" ..." if len(lost) > 10 else "")
        error.args = (f"{error} ({where}){model.films.did_you_mean(error.ids)}; "
                      f"{NEW_FILM_HINT}",)
        raise error
    for c, n in enumerate(np.asarray(cinemas.screens).tolist()):
        whole_number(n, f"cinemas[{c}] ({str(cinemas.ids[c])!r}): screens", 1, MAX_COUNT)
    hidden = pooled_cinemas(model, cinemas.ids, m)
    # the pool is the model's, every cinema a film's breakdown pools into "other", not the
    # request's hidden cinemas: a request naming one hidden cinema alone (or two requests
    # differing by one) gave its users' demand for each film to 8 digits
    groups = place_groups(model, CINEMA)
    merged = _merged(model, groups, m)
    demand, users, notes, pool = _cinema_demand(model, ids, cinemas.ids, merged)
    lo = np.array([f.min_screens for f in films], np.int64)
    hi = np.array([np.inf if f.max_screens is None else f.max_screens for f in films])
    # a cinema whose figures are hidden shares its screens by its pool's demand (its own
    # users' would show in its screens: 2^31-1 screens at a one-user cinema gave that user's
    # demand for each film to 8 digits), as a film's breakdown pools it into "other"; a pool
    # still under min_cell (every cinema pooled, few users name one) shares as no users do
    share = demand.copy()
    pooled = hidden & (users > 0)
    if pooled.any():
        share[pooled] = pool if groups.users[merged].sum() >= m else 0.0
    t1 = time.perf_counter()
    if say is not None:
        say(f"each cinema's demand: {t1 - t0:.1f} s; fitting each film's targets and solving "
            f"the allocation of {len(cinemas.ids):,} cinemas x {len(ids):,} films ...")
    by_id = np.argsort(np.asarray(ids, dtype=object), kind="stable")  # slate order is moot
    x, t = (np.empty((len(cinemas.ids), len(ids)), np.int64), np.empty(share.shape))
    optimality: dict[str, Any] = {}
    x[:, by_id], t[:, by_id] = solve_bounded(share[:, by_id], cinemas.screens, lo[by_id],
                                             hi[by_id], optimality)
    if say is not None:
        t2 = time.perf_counter()
        say(f"allocation solved in {t2 - t1:.1f} s by {optimality.get('solver', 'its solver')}"
            f"; {t2 - t0:.1f} s in all")
    city = cinemas.cities_of(np.asarray(cinemas.ids, str).tolist())
    unnamed = [str(c) for c in np.asarray(cinemas.ids)[users == 0]]
    rows = [{"cinema_id": str(cinemas.ids[c]), "city": city[c], "film_id": ids[j],
             "screens": int(x[c, j]),
             # a cinema no user names has nothing to hide: 0 (null there read as a hidden
             # figure, while every film's expected_new_hidden_cinemas said 0)
             "expected_new": None if hidden[c] and users[c] > 0
             else round(float(demand[c, j]), 3)}
            for c, j in zip(*np.nonzero(x), strict=True)]
    return {
        "films": [{"film_id": f.film_id, "title": model.film_labels[1][index[j]],
                   "min_screens": f.min_screens, "max_screens": f.max_screens,
                   "screens": int(x[:, j].sum()),
                   "expected_new": round(float(demand[~hidden, j].sum()), 3),
                   "expected_new_hidden_cinemas": int(hidden[users > 0].sum()),
                   "note": notes[j]}
                  for j, f in enumerate(films)],
        "cinemas": len(cinemas),
        "cinemas_without_users": unnamed,
        # each one's id as users spell it, where a shown cinema's is it but for case, spaces or
        # zeros (a pooled cinema is never offered: README, Privacy of attribute values)
        "near_misses": near_misses(unnamed, groups.labels[~merged].tolist()),
        "screens": int(cinemas.screens.sum()),
        "min_cell": m,
        "horizon": calibration.horizon(model.calibration),
        "model_version": model.version,  # a saved CLI --json says what made it
        "allocation": rows,
        "units": dict(SLATE_UNITS),
        # what the targets followed: the headline said "by expected new viewers" where every
        # one was 0 (a model without calibration) and the screens were shared equally
        "shared_by": "expected_new" if (share > 0).any() else "equally",
        "objective": round(float(np.abs(x - t).sum()), 6),
        "optimality": optimality,
    }
