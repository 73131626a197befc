"""``plan_slate``: the public entry of the planner, from a slate to plan rows and a summary.

Steps: every candidate's rank and calibrated ``p`` (``probabilities``); the worth of each
allowed (film, user) pair, ``value x p`` (seen pairs and opted-out users not allowed); the
exact allocation under the films' selection sizes and the cap (``allocation``); waves and
control groups (``waves``). A film's budget counts its target rows (contacts): the allocation
selects at most ``waves.selection_size(budget)`` users of the film, the most whose waves
leave at most ``budget`` targets once each wave's control share is drawn, so the control group
comes on top of the budget. The cap row of the allocation counts every selected row of a user,
target or control (a user is selected for at most ``cap`` films); it is stricter than the cap
on target contacts alone, so the plan stays feasible. The summary reports, per film and in
total, the budget, the selection size, contacts, control size, expected conversions and value,
the film's dual price, the naive plan's objective, the LP upper bound and the optimality gap,
each with its unit.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from recommender.campaigns.allocation import allocate, naive_plan
from recommender.campaigns.probabilities import slate_candidates
from recommender.campaigns.pseudonymous import refuse_pseudonym_opt_outs
from recommender.campaigns.slate import MAX_CAP, MAX_SEED, MAX_WAVES, SlateFilm, check_slate
from recommender.campaigns.small_groups import LOPSIDED_WIDTH, lopsided_warning, width_vs_even
from recommender.campaigns.waves import (
    MAX_SELECTION,
    assign,
    controls_upto,
    rounding_phases,
    selection_sizes,
)
from recommender.errors import InvalidParameterError, UnknownFilmError
from recommender.io.convert import MAX_ID_BYTES
from recommender.io.progress import show_progress
from recommender.io.text import iso_utc
from recommender.model import calibration
from recommender.model.model import Model
from recommender.query.catalog import store_events
from recommender.query.pages import for_model
from recommender.serving.engine import Engine

PLAN_COLUMNS = ("plan_id", "film_id", "user_id", "wave", "group", "rank", "p",
                "expected_value")
PLAN_SCHEMA = pa.schema([("plan_id", pa.string()), ("film_id", pa.string()),
                         ("user_id", pa.string()), ("wave", pa.int16()), ("group", pa.string()),
                         ("rank", pa.int32()), ("p", pa.float64()),
                         ("expected_value", pa.float64())])
TARGET, CONTROL = "target", "control"
# a slate film's note when nothing fitted ties it to the users (Model.nothing_fitted)
UNRANKED_PLAN = ("nothing fitted ties this film to the users (e.g. every viewer rated it below "
                 "the model's min_rating): its contacts are in no meaningful order, each "
                 "expected at the film's mean p")
FILM_PHASE, HALF = "film_phase", "half"  # how control groups are rounded (waves.py)
TIEBREAK = 1e-7  # the rank bonus that breaks ties in p, relative to the largest worth
#: past this ratio of the largest to the smallest value among the films that select anyone,
#: the smaller films' worths fall within the solver's tolerance and the tie-break, which are
#: relative to the largest worth: measured against an exact MILP, ratios up to 1e3 planned
#: exactly, at 1e5 the reported gap reached 0.2%, and at 1e7 and more plans lost value while
#: their gap read ~1e-7
VALUE_SPREAD = 1e5
UNITS = {
    "p": "probability that the user watches the film within the calibration horizon",
    "expected_conversions": "conversions expected within the horizon: (film, user) pairs, sum "
                            "of p (a user contacted for two films counts in each)",
    "expected_value": "value units (sum of value x p); value = worth of one conversion",
    "dual_price": "value units one more selected user of the film (its selected_limit + 1, "
                  "target or control) would add; a contact of budget buys about "
                  "1 / (1 - holdout) selected users",
    "budget": "target rows (contacts) the film may have; its control group comes on top",
    "selected_limit": "most selected rows of the film (targets and controls): the largest "
                      "selection that leaves at most budget targets after its "
                      "floor(holdout x selected + phase) controls (phase: the film's own, in "
                      "[0, 1), from its id; shared among the waves; a next wave continues "
                      "the rounding of the campaign's sent waves)",
    "budget_exceeds_eligible": "selected_limit > eligible users: the film has fewer users "
                               "than its budget and control group call for (contacts may "
                               "fall short of the budget)",
    "contacts": "target rows, one per (film, user) to contact (a user holds one per film, up "
                "to the cap); at most the budget",
    "control": "control rows (selected users held out, never contacted for the film)",
    # every other number of the summary, by its field (or parent.field where one name is two)
    "eligible_users": "users who may be selected for the film (not watched, not opted out)",
    "selected": "selected rows (targets and controls)",
    "selected_expected_value": "value units (sum of value x p over the selected rows, targets "
                                "and controls)",
    "value": "value units: the worth of one conversion of the film (the slate's)",
    "wave": "the wave's number (1 is sent first)",
    "pairs": "(film, user) pairs", "plans_count": "stored plans",
    "objective": "value units over every selected row (targets and controls)",
    "lp_upper_bound": "value units: the LP dual bound on the objective",
    "gap": "a share (0-1): (lp_upper_bound - objective) / lp_upper_bound",
    "planner_gain": "a ratio: the plan's objective over the naive plan's",
    "pool_pairs": "(film, user) pairs in the solver's pool", "rounds": "solver rounds",
    "cap": "contacts per user at most, over the slate's films",
    "excluded_users": "users opted out", "excluded_unknown_users": "opted-out users the model "
                                                                  "does not know",
    "holdout": "a share (0-1) of each film's selected users held out as controls",
    "seed": "the control draw's seed (a number naming the draw, no unit)",
    "parameters.waves": "waves per film", "totals.films": "films in the slate",
    "seconds": "seconds (the whole plan)", "solve_seconds": "seconds (the solver)",
    # a next wave's (next_wave.py), and a model refreshed with the store's events
    "sent_waves": "waves of the previous plan that were sent",
    "events_seq": "the store's event sequence number the plan's model reflects (a position)",
    "through_seq": "the store's event sequence number (a position)",
    "events_applied": "store events", "new_users": "users new to the model",
    "pairs_contacted": "(film, user) pairs contacted in the sent waves",
    "pairs_held_out": "(film, user) pairs held out in the sent waves",
    "users_at_cap": "users", "users_opted_out": "users", "users_partly_capped": "users",
    "absolute_uplift": "a share: the sent waves' conversion share of targets less that of "
                       "controls (0.05 = 5 points), its estimate and 95% interval",
    "measured_uplift.targets": "plan rows contacted in the sent waves and compared",
    "measured_uplift.controls": "plan rows held out in the sent waves",
    "budget_left": "contacts (target rows) of the film's budget left unplanned",
}


@dataclass
class Plan:
    """A planned slate: ``rows`` (``PLAN_COLUMNS``) and the ``summary`` (JSON-ready)."""

    plan_id: str
    rows: pa.Table
    summary: dict[str, Any]


def new_plan_id() -> str:
    return "plan-" + uuid.uuid4().hex[:16]


def check_options(cap: int, holdout: float, waves: int, seed: int = 0) -> None:
    if not 1 <= cap <= MAX_CAP:
        raise InvalidParameterError(f"cap must be in [1, {MAX_CAP}] contacts per user, "
                                    f"got {cap}")
    if not 0.0 <= holdout < 1.0:
        raise InvalidParameterError(f"holdout must be a share in [0, 1), got {holdout}")
    if not 1 <= waves <= MAX_WAVES:
        raise InvalidParameterError(f"waves must be in [1, {MAX_WAVES}], got {waves}")
    if not 0 <= seed <= MAX_SEED:
        raise InvalidParameterError(f"seed must be in [0, {MAX_SEED}], got {seed}")


def check_opt_outs(exclude: list[str] | None) -> list[str]:
    """Each opt-out once, in the order given; one holding a NUL byte is refused (no store
    keeps it: PostgreSQL text refuses NUL, nor does training), and so is one longer than the
    ``convert.MAX_ID_BYTES`` a user id may be (no user has it; PostgreSQL's index of the
    plan's opt-outs refused one of about 2.7 kB as the plan was stored: a 503 "retry in 5 s"
    that failed every time, while a SQLite store kept it and could not be copied to
    PostgreSQL)."""
    out = list(dict.fromkeys(exclude or []))
    bad = next((u for u in out if "\x00" in u), None)
    if bad is not None:
        raise InvalidParameterError(f"opt-out user_id {bad!r} holds a NUL byte; expected "
                                    "text ids")
    long = next((u for u in out if len(u) * 4 > MAX_ID_BYTES
                 and len(u.encode("utf-8", "surrogatepass")) > MAX_ID_BYTES), None)
    if long is not None:
        raise InvalidParameterError(
            f"opt-out user_id {long[:40]!r}... is {len(long.encode('utf-8', 'surrogatepass')):,} "
            f"bytes in UTF-8, longer than the {MAX_ID_BYTES:,} a user id may be (training and "
            "events refuse longer ids): it names no user; is a line of the list damaged?")
    return out


#: opt-outs the model does not know named in a plan's summary (past them: counted only)
SHOWN_UNKNOWN_OPT_OUTS = 100


def unknown_opt_outs(exclude: Sequence[str], idx: NDArray[np.int64]) -> list[str]:
    """The first ``SHOWN_UNKNOWN_OPT_OUTS`` opt-outs (``idx``: their user indices, -1 for
    none) that name no user of the model, in the order given: a typo there (a case, a space,
    a JSON number for an id with leading zeros) leaves the person it meant in the plan. The
    CLI warns of them on stderr; an HTTP caller had only their count."""
    unknown = [u for u, i in zip(exclude, np.asarray(idx).tolist(), strict=True) if i < 0]
    return unknown[:SHOWN_UNKNOWN_OPT_OUTS]


def plan_slate(engine: Engine | Model, slate: list[SlateFilm], cap: int = 1,
               holdout: float = 0.1, waves: int = 3, seed: int = 0,
               exclude: list[str] | None = None, plan_id: str | None = None,
               progress: bool | None = None,
               user_caps: NDArray[np.int64] | None = None,
               control_offsets: NDArray[np.int64] | None = None,
               blocked: tuple[NDArray[np.int64], NDArray[np.int64]] | None = None,
               rounding: str = FILM_PHASE) -> Plan:
    """Plan ``slate`` on ``engine``'s model (see the module docstring).

    Unknown films raise ``UnknownFilmError`` naming all of them; ids in ``exclude`` that the
    model does not know are counted in the summary (they cannot be planned anyway).
    ``user_caps`` (one per model user, at most ``cap``) replaces ``cap`` in the allocation:
    a next wave gives each user what the sent waves left of the campaign's cap, and
    ``control_offsets`` (one per slate film) the film's users the sent waves selected, so its
    control group continues their rounding (``waves.target_rows``). ``blocked``: (slate
    positions, user indices) of pairs never planned that stay in the film's ranking (a next
    wave's sent pairs: contacted or held out, not watched, so the other candidates keep the
    rank, and the p, the film's audience gives them). ``rounding``: ``FILM_PHASE`` (each
    film's control group rounded at its own phase, ``waves.rounding_phases``) or ``HALF``
    (1/2 for every film: plans stored before the phases, whose next waves continue it)."""
    model = engine.model if isinstance(engine, Engine) else engine
    check_options(cap, holdout, waves, seed)
    check_slate(slate)
    if rounding not in (FILM_PHASE, HALF):  # before the work, with the other options
        raise InvalidParameterError(f"rounding must be {FILM_PHASE!r} or {HALF!r}, got "
                                    f"{rounding!r}")
    t0 = time.perf_counter()
    film_ids = [f.film_id for f in slate]
    films = model.films.to_index(film_ids, strict=True, error=UnknownFilmError)
    budgets = np.array([f.budget for f in slate], np.int64)
    values = np.array([f.value for f in slate], np.float64)
    exclude = check_opt_outs(exclude)
    refuse_pseudonym_opt_outs(exclude, model)  # they would exclude nobody
    ex_idx = model.users.to_index(exclude, strict=False) if exclude else np.zeros(0, np.int64)
    ex_known = np.unique(ex_idx[ex_idx >= 0])
    cands = slate_candidates(model, films, progress=progress)
    weights = cands.p * values[:, None]
    weights[:, ex_known] = np.nan
    if blocked is not None:
        weights[np.asarray(blocked[0], np.int64), np.asarray(blocked[1], np.int64)] = np.nan
    eligible = (~np.isnan(weights)).sum(axis=1)
    # targets <= budget, controls on top
    phases = rounding_phases(film_ids) if rounding == FILM_PHASE else np.full(len(slate), 0.5)
    limits = selection_sizes(budgets, waves, holdout, control_offsets, phases)
    # the tie-break is relative to the largest worth of the films that select anyone: a film
    # of budget 0 (a next wave's spent film too) takes no contact, and its worth (value 1e7
    # beside films of value 1) made the bonus outweigh the other films' worths
    open_rows = weights[limits > 0]
    top = float(np.nanmax(open_rows)) if np.isfinite(open_rows).any() else 0.0
    ranked = weights + TIEBREAK * max(top, 1e-12) * (
        1.0 - np.nan_to_num(cands.rank_fraction(), nan=1.0))  # ties: the better rank first
    caps = cap if user_caps is None else np.minimum(np.asarray(user_caps, np.int64), cap)
    # no film can select more users than the model has: the solver's sums stay 64-bit
    # integers whatever the budgets (a selection size reaches 2^52 at a holdout near 1)
    solvable = np.minimum(limits, len(model.users))
    solved = allocate(weights, solvable, caps, ranked=ranked,
                      progress=show_progress(progress))
    nf, nu = naive_plan(ranked, solvable, caps)
    del ranked
    t_solve = time.perf_counter() - t0
    plan_id = plan_id or new_plan_id()
    rank = cands.rank[solved.film, solved.user].astype(np.int64)
    order, wave, control = assign(solved.film, rank, films, waves, holdout, seed,
                                  control_offsets, phases)
    f_pos, users = solved.film[order], solved.user[order]
    p = cands.p[f_pos, users]
    ev = p * values[f_pos]
    rows = plan_rows(model, plan_id, film_ids, f_pos, users, wave, control, rank[order], p, ev)
    summary = _summary(model, slate, films, budgets, limits, values, eligible, f_pos, wave,
                       control, p, ev, weights[nf, nu], nf, solved, cap, holdout, waves, seed,
                       len(exclude), int(len(ex_idx) - (ex_idx >= 0).sum()))
    notes = small_plan_notes(slate, budgets, summary["films"], holdout, waves,
                             control_offsets, phases)
    if notes:  # a film without a control group, or with fewer waves than asked
        summary["plan_notes"] = notes
    summary["parameters"].update(rounding=rounding,
                                 excluded_unknown_user_ids=unknown_opt_outs(exclude, ex_idx))
    summary.update(plan_id=plan_id, seconds=round(time.perf_counter() - t0, 3),
                   solve_seconds=round(t_solve, 3))
    return Plan(plan_id, rows, summary)


def plan_rows(model: Model, plan_id: str, film_ids: Sequence[str], f_pos: NDArray[np.int64],
              users: NDArray[np.int64], wave: NDArray[Any], control: NDArray[np.bool_],
              rank: NDArray[np.int64], p: NDArray[np.float64], ev: NDArray[np.float64]
              ) -> pa.Table:
    """The plan's rows (``PLAN_SCHEMA``), one per selected (film position, user index), in
    the order given; the local and the Spark planner both write them here."""
    return pa.Table.from_arrays([
        pa.array(np.full(len(f_pos), plan_id, object), pa.string()),
        pa.array(np.asarray(film_ids, object)[f_pos], pa.string()),
        pa.array(model.users.to_ids(users), pa.string()),
        pa.array(wave, pa.int16()),
        pa.array(np.where(control, CONTROL, TARGET).astype(object), pa.string()),
        pa.array(rank.astype(np.int32), pa.int32()),
        pa.array(p, pa.float64()),
        pa.array(ev, pa.float64()),
    ], schema=PLAN_SCHEMA)


def _summary(model: Model, slate: list[SlateFilm], films: NDArray[np.int64],
             budgets: NDArray[np.int64], limits: NDArray[np.int64],
             values: NDArray[np.float64], eligible: NDArray[np.int64],
             f_pos: NDArray[np.int64], wave: NDArray[np.int16], control: NDArray[np.bool_],
             p: NDArray[np.float64], ev: NDArray[np.float64],
             naive_w: NDArray[np.float64], naive_f: NDArray[np.int64], solved: Any, cap: int,
             holdout: float, waves: int, seed: int, n_exclude: int, n_unknown: int
             ) -> dict[str, Any]:
    n = len(slate)
    target = ~control
    per = [np.bincount(f_pos, weights=w, minlength=n) for w in (
        target.astype(float), control.astype(float), np.where(target, p, 0.0),
        np.where(target, ev, 0.0), p * values[f_pos])]
    contacts, ctrl, conv, value, selected_value = per
    titles = model.catalog.titles
    selected, waves_rows = np.bincount(f_pos, minlength=n), wave_rows(f_pos, wave, control, n)
    film_rows = []
    for i, f in enumerate(slate):
        film_rows.append({
            "film_id": f.film_id, "title": str(titles[films[i]]), "budget": int(budgets[i]),
            "selected_limit": int(limits[i]),
            "value": float(values[i]), "eligible_users": int(eligible[i]),
            "budget_exceeds_eligible": bool(limits[i] > eligible[i]),
            "selected": int(selected[i]), "contacts": int(contacts[i]),
            "control": int(ctrl[i]), "expected_conversions": round(float(conv[i]), 6),
            "expected_value": round(float(value[i]), 6),
            "selected_expected_value": round(float(selected_value[i]), 6),
            "dual_price": round(float(solved.prices[i]), 9), "waves": waves_rows[i],
            "note": for_model(UNRANKED_PLAN, model)
            if model.nothing_fitted(model.film_factors[films[i]]) else None})
    naive_value = float(naive_w.sum())
    # far from an even split of targets and controls (a holdout near 0 or 1): a wide interval;
    # the holdout's own share decides, not a small plan's rounding (14 targets and 1 control
    # at the default 0.1 were told to hold out nearer 0.5)
    horizon = calibration.horizon(model.calibration)
    split = lopsided_warning(float(target.sum()), float(control.sum()),
                             what="uplift's 95% interval will be") if 0 < holdout < 1 and \
        width_vs_even(1 - holdout, holdout) >= LOPSIDED_WIDTH else None
    return {**({"split_warning": split} if split else {}),
        "created": iso_utc(time.time()),  # ISO 8601, UTC, ...Z
        "model_version": model.version,
        # the store's events the plan's exclusions and p reflect (null: the model as trained)
        "store_events": store_events(model.meta),
        "parameters": {"cap": cap, "holdout": holdout, "waves": waves, "seed": seed,
                       "excluded_users": n_exclude, "excluded_unknown_users": n_unknown},
        "horizon": {**horizon, "curve": model.calibration.get("horizon_curve")},  # report
        # scales p; a log without times: p and expected conversions are no forecast (the note)
        "units": {**UNITS, **{k: f"{UNITS[k]}; no forecast of conversion: "
                              f"{horizon['note']}" for k in ("p", "expected_conversions")}}
        if calibration.random_holdout(horizon) else UNITS,
        "films": film_rows,
        "totals": {"films": n, "budget": int(budgets.sum()),
                   "selected_limit": sum(int(x) for x in limits),  # Python ints: no wrap
                   "selected": int(len(f_pos)),
                   "contacts": int(target.sum()), "control": int(control.sum()),
                   "expected_conversions": round(float(p[target].sum()), 6),
                   "expected_value": round(float(ev[target].sum()), 6),
                   "flagged_films": [r["film_id"] for r in film_rows
                                     if r["budget_exceeds_eligible"]]},
        "optimality": {
            "objective": round(solved.objective, 6),
            "lp_upper_bound": round(solved.upper_bound, 6),
            "gap": solved.gap,
            "source": "objective: sum of value x p over every selected user (targets and "
                      "controls); lp_upper_bound: the LP dual function at the plan's film "
                      "prices (HiGHS, column generation; recommender/campaigns/allocation.py)",
            "rounds": solved.rounds, "pool_pairs": solved.pool,
            "note": _spread_note(values[limits > 0])},
        "naive": {
            "objective": round(naive_value, 6), "selected": int(len(naive_f)),
            "planner_gain": (round(solved.objective / naive_value, 6)
                             if naive_value > 0 else None),
            "source": "each film's top selected_limit audience (budget targets and their "
                      "controls) independently, cap enforced afterwards by dropping each "
                      "user's lower-p contacts; same units as objective"},
    }


def small_plan_notes(slate: list[SlateFilm], budgets: NDArray[np.int64],
                     film_rows: list[dict[str, Any]], holdout: float, waves: int,
                     offsets: NDArray[np.int64] | None, phases: NDArray[np.float64]
                     ) -> list[dict[str, str]]:
    """``{film_id, kind, note}`` of each film planned without a control group though a holdout
    was asked (``no_control``: its budget, or its eligible users, too few for one control at
    this holdout; the contacts one needs, from ``waves.controls_upto``), and of each planned in
    fewer waves than asked (``fewer_waves``: a wave holds at least one user)."""
    n = len(slate)
    off = np.zeros(n, np.int64) if offsets is None else np.asarray(offsets, np.int64)
    ph = np.asarray(phases, np.float64)
    base = controls_upto(off, holdout, ph)
    # the fewest users holding one control: floor(h (o + n) + ph) reaches base + 1 (+ floor ph)
    need = np.maximum(np.ceil((base + np.floor(ph) + 1 - ph) / max(holdout, 1e-300) - off), 1)
    need = np.minimum(need, MAX_SELECTION).astype(np.int64)
    need += controls_upto(off + need, holdout, ph) - base < 1  # float rounding: one more
    short = (need > 1) & (controls_upto(off + need - 1, holdout, ph) - base >= 1)
    need -= short.astype(np.int64)
    out = []
    for i, row in enumerate(film_rows):  # one entry per slate film, not per user
        fid, sel, n_waves = slate[i].film_id, int(row["selected"]), len(row["waves"])
        if holdout > 0 and row["contacts"] > 0 and row["control"] == 0:
            contacts = int(need[i]) - 1  # the targets of the smallest selection with a control
            why = (f"budget {int(budgets[i])} too small for holdout {holdout:g}: at least "
                   f"{contacts} contacts needed" if budgets[i] < contacts else
                   f"its {_users(sel, 'selected user')} too few for holdout {holdout:g} (at "
                   f"least {contacts} contact{'s' if contacts != 1 else ''} and one control "
                   f"needed; it has {int(row['eligible_users'])} eligible users"
                   + (", the others left to the slate's other films by the frequency cap"
                      if int(row["eligible_users"]) > sel else "") + ")")
            out.append({"film_id": fid, "kind": "no_control", "note": (
                f"no control group ({why}), so its uplift cannot be measured")})
        if 0 < n_waves < waves:
            out.append({"film_id": fid, "kind": "fewer_waves", "note": (
                f"{n_waves} wave{'s' if n_waves != 1 else ''}, not the {waves} asked: its "
                f"{sel} selected user{'s' if sel != 1 else ''} (contacts and controls) "
                f"fill{'s' if sel == 1 else ''} at most that many waves of one user")})
    return out


def _users(n: int, what: str) -> str:
    """'1 selected user is', '3 selected users are'."""
    return f"{n} {what} is" if n == 1 else f"{n} {what}s are"


def wave_rows(f_pos: NDArray[np.int64], wave: NDArray[Any], control: NDArray[np.bool_],
              n: int) -> list[list[dict[str, int]]]:
    """Each of the ``n`` films' waves (those its rows are in, ascending) with their contacts
    (targets) and controls, from one sort of the rows by (film, wave): a pass over every row
    per film and per wave (films x waves x rows) took 7 s for 50 films of 1,000 waves."""
    fp, wv = np.asarray(f_pos, np.int64), np.asarray(wave, np.int64)
    low = int(wv.min(initial=0))
    span = int(wv.max(initial=0)) - low + 1
    keys, inverse = np.unique(fp * span + (wv - low), return_inverse=True)
    total = np.bincount(inverse.ravel(), minlength=len(keys))
    held = np.bincount(inverse.ravel(), weights=np.asarray(control, np.float64),
                       minlength=len(keys)).astype(np.int64)
    out: list[list[dict[str, int]]] = [[] for _ in range(n)]
    for film, w, t, c in zip((keys // span).tolist(), (keys % span + low).tolist(),
                             total.tolist(), held.tolist(), strict=True):
        out[film].append({"wave": w, "contacts": t - c, "control": c})
    return out


def _spread_note(values: NDArray[np.float64]) -> str | None:
    """Why the plan may not be exact for the films of small value, or None: the solver's
    tolerance and the rank tie-break are relative to the largest worth (``VALUE_SPREAD``)."""
    if len(values) < 2 or values.max() <= VALUE_SPREAD * values.min():
        return None
    return (f"the films' values span {values.max() / values.min():.3g}x (more than "
            f"{VALUE_SPREAD:g}x): the solver's tolerance is relative to the largest worth, so "
            "the films of small value are planned within it, not exactly, and the gap does "
            "not show it; plan them in a slate of their own")
