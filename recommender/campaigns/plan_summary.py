"""A plan's summary: per film and in total, its numbers with their units, and its notes."""

from __future__ import annotations

import time
from typing import Any

import numpy as np
from numpy.typing import NDArray

from recommender.campaigns.slate import SlateFilm
from recommender.campaigns.small_groups import LOPSIDED_WIDTH, lopsided_warning, width_vs_even
from recommender.campaigns.waves import MAX_SELECTION, controls_upto, target_rows
from recommender.io.text import iso_utc, plural
from recommender.model import calibration
from recommender.model.model import Model
from recommender.query.catalog import store_events
from recommender.query.pages import for_model

# a slate film's note when nothing fitted ties it to the users (Model.nothing_fitted)
UNRANKED_PLAN = ("nothing fitted ties this film to the users (e.g. every viewer rated it below "
                 "the model's min_rating): its contacts are in no meaningful order, each "
                 "expected at the film's mean p")
#: past this ratio of the largest to the smallest value among the films that select anyone,
#: the small films' exchanges may fall under the exactness check's float64 tolerance (1e-12 of
#: the largest worth, ``allocation_exact``): measured against HiGHS's MILP on 4-film slates,
#: spans up to 1e7 planned exactly (the LP alone lost value from 1e3), from 1e8 the objective
#: fell short by ~1e-14 of it
VALUE_SPREAD = 1e7
UNITS = {
    "p": "probability that the user watches the film within the calibration horizon",
    "expected_conversions": "conversions expected within the horizon: (film, user) pairs, sum "
                            "of p (a user contacted for two films counts in each)",
    "expected_value": "value units (sum of value x p); value = worth of one conversion",
    "dual_price": "value units per selected user of the film: its shadow price, an optimal "
                  "dual of the LP's selected_limit row (where the LP has several, either "
                  "engine may give any): at least what one more selected user (selected_limit "
                  "+ 1, target or control) would add and at most what its last one adds (the "
                  "loss at selected_limit - 1); the local planner's is exactly the former, "
                  "to float64 rounding (Spark's: to solver tolerance, not necessarily either "
                  "where they differ); a contact of budget buys about "
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
    "excluded_erased": "opt-outs (count) naming users erased before (recommender forget), in "
                       "any form the opt-out reader reads: stored without their ids",
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
    # the cap's scope (cap_scope.py): the store's other live plans counted against the cap
    "cap_scope.plans": "stored plans whose rows counted against this plan's cap (count)",
    "users_limited": "users (count) the store's other plans left part of their cap",
    "users_excluded": "users (count) the store's other plans left none of their cap",
}



def summarise(model: Model, slate: list[SlateFilm], films: NDArray[np.int64],
             budgets: NDArray[np.int64], limits: NDArray[np.int64],
             values: NDArray[np.float64], eligible: NDArray[np.int64],
             f_pos: NDArray[np.int64], wave: NDArray[np.int16], control: NDArray[np.bool_],
             p: NDArray[np.float64], ev: NDArray[np.float64],
             naive_w: NDArray[np.float64], naive_f: NDArray[np.int64], solved: Any, cap: int,
             holdout: float, waves: int, seed: int, n_exclude: int, n_unknown: int
             ) -> dict[str, Any]:
    """The summary of a plan (``plan.plan_slate``'s, or the Spark planner's) from its
    selected rows (``f_pos``, ``wave``, ``control``, ``p``, ``ev``), the naive plan's rows
    and the solver's answer, JSON-ready: see ``plan``'s docstring."""
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
            if model.nothing_fitted(model.film_factors[films[i]], "films") else None})
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
            "note": _spread_note(values[limits > 0], solved)},
        "naive": {
            "objective": round(naive_value, 6), "selected": int(len(naive_f)),
            "planner_gain": (round(solved.objective / naive_value, 6)
                             if naive_value > 0 else None),
            "source": "each film's top selected_limit audience by value x p (budget targets "
                      "and their controls) independently, cap enforced afterwards by dropping "
                      "each user's contacts of lowest value x p (ties: the better rank kept, "
                      "then the earlier film in the slate); same units as objective"},
    }


def small_plan_notes(slate: list[SlateFilm], budgets: NDArray[np.int64],
                     film_rows: list[dict[str, Any]], holdout: float, waves: int,
                     offsets: NDArray[np.int64] | None, phases: NDArray[np.float64]
                     ) -> list[dict[str, str]]:
    """``{film_id, kind, note}`` of each film planned without a control group though a holdout
    was asked (``no_control``: its budget, or its eligible users, too few for one control at
    this holdout; the contacts one needs, from ``waves.controls_upto``), and of each planned in
    fewer waves than asked (``fewer_waves``: a wave holds at least one user), and of each with
    a control group but waves holding none of it (``waves_without_control``:
    ``uncontrolled_waves``)."""
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
        if holdout > 0 and row["control"] > 0 and (said := uncontrolled_waves(
                row, int(budgets[i]), holdout, waves, int(off[i]), float(ph[i]))):
            out.append({"film_id": fid, "kind": "waves_without_control", "note": said})
        if 0 < n_waves < waves:
            out.append({"film_id": fid, "kind": "fewer_waves", "note": (
                f"{n_waves} wave{'s' if n_waves != 1 else ''}, not the {waves} asked: its "
                f"{sel} selected user{'s' if sel != 1 else ''} (contacts and controls) "
                f"fill{'s' if sel == 1 else ''} at most that many waves of one user")})
    return out


def uncontrolled_waves(row: dict[str, Any], budget: int, holdout: float, waves: int,
                       offset: int, phase: float) -> str | None:
    """Why a film's waves with targets but no control (``row["waves"]``: the rounding of the
    holdout gives a wave of fewer than ``1 / holdout`` users one in the share of films its
    phase puts there) leave their targets out of the report's rates and uplift
    (``report.strata_stats``), and what gives every wave one: a wave of at least
    ``m = ceil(1 / holdout)`` users always holds one (``floor(h x users + phase)`` grows by at
    least 1 over it), so ``waves x m`` users (the budget leaving that many, where the film has
    the eligible users), at most ``selected // m`` waves, or a holdout of 1 / the smallest
    wave's users: bounds that suffice, not the least values (the waves' slices and the
    films' phases make a smaller budget or holdout work for some films; at budget 10, 3 waves
    and holdout 0.1 a note said 27 where 20 did, 0.34 where 0.18 did); None when every wave
    with targets has a control."""
    bare = [w for w in row["waves"] if w["contacts"] > 0 and w["control"] == 0]
    if not bare:
        return None
    m = int(np.ceil(1 / holdout))
    names = [str(w["wave"]) for w in bare]
    listed = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"
    left = sum(int(w["contacts"]) for w in bare)
    fixes = []
    if int(row["eligible_users"]) >= waves * m:
        least = int(target_rows(waves * m, waves, holdout, offset, phase))
        fixes.append(f"a budget of at least {least:,}" if least > budget else "")
    fixes.append(f"at most {plural(max(int(row['selected']) // m, 1), 'wave')}")
    smallest = min(int(w["contacts"]) + int(w["control"]) for w in row["waves"])
    if (h := np.ceil(100 / smallest) / 100) < 1:
        fixes.append(f"a holdout of at least {h:g}")
    fixes = [f for f in fixes if f]
    either = fixes[0] if len(fixes) == 1 else f"{', '.join(fixes[:-1])} or {fixes[-1]}"
    return (f"wave{'s' if len(bare) > 1 else ''} {listed} hold{'' if len(bare) > 1 else 's'} no "
            f"control group (at holdout {holdout:g} the rounding may leave a wave of fewer "
            f"than {m} users none): the report leaves {'their' if len(bare) > 1 else 'its'} "
            f"{plural(left, 'target', sep=',')} (of {int(row['contacts']):,}) out of its rates "
            f"and uplift; every wave holds a control with {either} (each suffices by "
            f"itself, a bound from waves of at least {m} users, not the least that works: "
            "a smaller budget or holdout may do too)")


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


def _spread_note(values: NDArray[np.float64], solved: Any) -> str | None:
    """Why the plan may not be exact for the films of small value, or None: the exactness
    check works to 1e-12 of the largest worth (``VALUE_SPREAD``), and gives up after
    ``allocation_exact.MAX_EXCHANGES`` exchanges (``solved.certified`` False)."""
    if not getattr(solved, "certified", True):
        return ("the plan could not be certified exactly optimal: the solver's answer still "
                f"had improving exchanges after {solved.exchanges:,} were applied (its "
                "tolerance is relative to the largest worth); plan the films of small value "
                "in a slate of their own")
    if len(values) < 2 or values.max() <= VALUE_SPREAD * values.min():
        return None
    return (f"the films' values span {values.max() / values.min():.3g}x (more than "
            f"{VALUE_SPREAD:g}x): the plan is checked exactly optimal only to 1e-12 of the "
            "largest worth, so exchanges among the films of small value worth less than that "
            "are not seen, and the gap does not show them; plan them in a slate of their own")
