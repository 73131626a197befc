"""What a campaign did: conversions of its targets against its control group, with intervals.

A plan row converts when the store holds an event for that film by that user at or after its
wave's start and before ``start + window_days``: the wave's recorded send (``wave_sends.py``,
``campaign sent``), else the plan's start (its ``created`` time, or the ``start`` asked for;
``wave_starts`` says which). From the plan's start, a wave sent weeks later counted its
controls' purchases before it went out (60 of 236 wave-2 controls converting on day 5 of a wave
sent on day 20 read -25 points, its targets' purchases of day 35 past the window). For each
film, each wave, each (film, wave) and overall, the report gives the target and control sizes,
their conversions and rates (each with a 95% Wilson score interval; ``score_interval``: at 3 or
fewer events on a side, that end is the exact Poisson limit where it is wider), the absolute
uplift ``rate_target - rate_control`` with Newcombe's hybrid score interval (method 10 of
Newcombe, Statistics in Medicine 1998: built from the two Wilson intervals), the relative
uplift ``rate_target / rate_control - 1`` with the MOVER-R interval of the ratio (Donner and
Zou, Statistical Methods in Medical Research 2012: the ratio's limits recovered from the two
Wilson intervals, as Newcombe's are for the difference; no control conversion: no estimate and
no upper bound. The Katz log interval it replaces held a true ratio in 70-86% of draws with one
or two controls, the size of a film's wave at the default holdout), incremental conversions
``targets x absolute uplift`` (interval scaled the same way), and predicted against observed
conversions (the sum of the plan's ``p``, the probability of watching within the calibration
horizon without a contact, stretched to the report's window by ``calibration.scale``:
``1 - (1 - p) ** k``, k the horizon factor of the window).

A block that spans several (film, wave) strata (a film over its waves, a wave over its films,
the whole plan) compares like with like: each stratum's controls stand for its own targets.
The waves' control groups are not the same share of their users (the waves' rounding gives a
third wave of 7 users no control after 1 and 1 in the first two), nor are the films' (1 of 5
users at a budget of 4 and a holdout of 0.1), so a pooled control group over-represented the
best-ranked waves and the smallest films: with no effect at all, 200 films of budget 20 read
-5 points, and the 95% interval held 0 in 34% of the draws (Simpson's paradox). The control
rate is each stratum's weighted by its targets (``w_s = targets_s / targets``: the rate the
targets would have had without a contact), the target rate is the targets' own, and the
intervals are Wilson's and Newcombe's with the control arm's effective size
``1 / sum(w_s^2 / controls_s)`` (the stratified Newcombe interval of Yan and Su, 2010; one
stratum, or controls in proportion to the targets in every stratum, gives the plain ones).
The targets of a stratum without controls cannot be compared: rates and uplift leave them out
and the block says how many (``measured_targets`` counts the others).

Only the waves that were sent count: ``sent_waves`` (waves 1..N; default: those a withdrawal
recorded (``withdraw.py``), else the largest ``sent_waves`` of the next waves planned after
this plan (waves said sent stay sent: a re-plan after fewer does not unsend them), else waves
1 to the last whose send was recorded (``campaign sent``; ``recorded_waves``), else every
wave of the plan); the rows of later waves were never contacted, and counting them would
dilute the uplift. A ``sent_waves`` past those a withdrawal recorded, or past the most a next
wave was planned after (it re-plans the rest: their sends are refused, the download leaves them
out), is refused naming it: given, it counted a wave never sent from the plan (151 rows of a
re-planned wave 2 read as contacted, and +8 points overall where wave 1 alone was +16).

Events dated after the report's time (``as_of``; the store takes them up to a day past its
clock: a simulator's responses are dated in the hours after their wave's start, a clock may be
ahead) are counted as any other, and said: ``events_after_as_of`` and the note. Cut at
``as_of``, a report read just after a simulated wave counted none of its responses; said
nowhere, a report "as of 22:05:01Z" counted responses dated six hours later without a word.

Small groups get wide intervals (``warning``), and so does a lopsided split (``split_warning``:
``small_groups.lopsided_warning``); a group with no user gets no estimate and says why.

Every interval assumes independent responses; ``dispersion`` (``dispersion.py``) says whether
the places of the rows' users (a model's region, city or cinema) convert more unevenly than
that allows, and the note says so when they do. It changes no interval.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from typing import Any

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray
from scipy import special

from recommender.campaigns.dispersion import dispersion, report_sentence
from recommender.campaigns.events import read_events
from recommender.campaigns.pairs import conversions, pair_keys, row_pair_keys
from recommender.campaigns.report_units import METHOD, UNITS, p_warning
from recommender.campaigns.report_units import predicted_scaling as predicted_scaling
from recommender.campaigns.report_waves import included_waves
from recommender.campaigns.report_waves import next_wave_link as next_wave_link
from recommender.campaigns.report_windows import (
    early_text,
    late_text,
    open_text,
    starts_text,
    wave_starts,
)
from recommender.campaigns.small_groups import FEW_IN_GROUP, block_warnings
from recommender.campaigns.store import CampaignStore
from recommender.campaigns.summary_fields import summary_films
from recommender.campaigns.wave_sends import plan_created, wave_send_times
from recommender.campaigns.waves import row_groups
from recommender.errors import InvalidParameterError
from recommender.model.calibration import scale
from recommender.model.calibration_horizon import DAY
from recommender.model.model import Model

Z95 = 1.959963984540054  # the 97.5% quantile of the standard normal
MIN_WINDOW_DAYS = 1 / DAY  # one second: timestamps are whole seconds
MAX_WINDOW_DAYS = 3650.0   # the bound of every surface (HTTP, CLI, Studio)
WINDOW_RULE = f"days in [1/86400, {MAX_WINDOW_DAYS:g}] (at least one second)"  # said by each
#: the store records a plan's model version, not its folder: the CLI is told the model
NO_MODEL = ("no model given: pass --model MODEL (the plan's model folder) to check it as "
            "GET /campaigns/{plan_id}/report does with the served model (its users' region, "
            "city or cinema are the places)")
def wilson(x: float, n: float, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval of a proportion ``x / n`` (``n`` > 0)."""
    p = min(max(x / n, 0.0), 1.0)  # x may be a weighted count a rounding past n or below 0
    den = 1.0 + z * z / n
    centre = (p + z * z / (2 * n)) / den
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / den
    return max(0.0, centre - half), min(1.0, centre + half)


#: conversions (or non-conversions) at most this many take the exact Poisson limit where it is
#: wider than Wilson's (Brown, Cai & DasGupta 2001, section 4.1.1): the Wilson lower limit of 1
#: conversion is 0.19 / n whatever n, so a control rate near 0.1 / n (rare tickets, a small
#: holdout) fell outside its interval whenever one control converted: the control rate's
#: interval held the truth in 90% of draws and the relative uplift's in 91%
FEW_EVENTS = 3.0


def score_interval(x: float, n: float, z: float = Z95) -> tuple[float, float]:
    """The report's interval of a proportion ``x / n``: Wilson's, each end moved out to the
    exact one-sided Poisson limit at level ``(1 - coverage) / 2`` when at most ``FEW_EVENTS``
    are on that side (the modified Wilson interval of Brown, Cai and DasGupta). Counts may be
    weighted (effective sizes): the limit is the incomplete gamma's, defined for any x > 0."""
    low, high = wilson(x, n, z)
    tail = float(special.ndtr(-z))
    if 0 < x <= FEW_EVENTS:
        low = min(low, float(special.gammaincinv(x, tail)) / n)
    if 0 < n - x <= FEW_EVENTS:
        high = max(high, 1.0 - float(special.gammaincinv(n - x, tail)) / n)
    return low, high


def newcombe(x1: float, n1: float, x2: float, n2: float, z: float = Z95
             ) -> tuple[float, float, float]:
    """(p1 - p2, low, high): Newcombe's hybrid score interval of a difference of
    proportions."""
    p1, p2 = x1 / n1, x2 / n2
    l1, u1 = score_interval(x1, n1, z)
    l2, u2 = score_interval(x2, n2, z)
    d = p1 - p2
    return d, d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2), \
        d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)


def mover_ratio(x1: float, n1: float, x2: float, n2: float, z: float = Z95
                ) -> tuple[float | None, float, float]:
    """(p1 / p2 - 1 or None when p2 = 0, low, high): the MOVER-R interval of the ratio of two
    proportions (Donner & Zou 2012), minus 1: the roots in ``t`` of
    ``(p1 - t p2)^2 = (p1 - l1)^2 + t^2 (u2 - p2)^2`` (low) and of the same with ``u1`` and
    ``l2`` (high), ``(l, u)`` the Wilson limits. It holds the observed ratio; with no control
    conversion (``l2 = 0``) the ratio has no upper bound. Counts may be weighted (effective
    sizes). The Katz log interval this replaced held a true +50% in 71% of the draws of 300
    targets against one control at 30%: its upper end fell below the truth whenever the
    control converted."""
    p1, p2 = x1 / n1, x2 / n2
    est = p1 / p2 - 1.0 if x2 > 0 else None
    l1, u1 = score_interval(x1, n1, z)
    l2, u2 = score_interval(x2, n2, z)

    def roots(a: float, c: float) -> tuple[float, float]:
        # (b - d) / a and (b + d) / a, the roots of a t^2 - 2 b t + c = 0, b = p1 p2: the
        # first as c / (b + d) (their product is c / a); a >= 0 on the high end's, whose root
        # runs off to infinity as a -> 0. A fixed threshold on a took the smaller root for the
        # high end (+3000% [-24%, +3000%]), then made +4,656% (1e-7 on both sides) unbounded
        b = p1 * p2
        # >= 0 in exact arithmetic (both sides); a c's product underflowed to 0 where both are
        # tiny (a weighted control count of 0.005 against no target conversion: the high
        # end's d read 0, its root 0, the interval [-100%, -100%] where its end is +1e154%)
        d = (math.hypot(b, math.sqrt(a) * math.sqrt(-c)) if a > 0 > c
             else math.sqrt(max(b * b - a * c, 0.0)))
        return (c / (b + d) if b + d > 0 else 0.0), ((b + d) / a if a > 0 else math.inf)

    low = max(roots(u2 * (2 * p2 - u2), l1 * (2 * p1 - l1))[0], 0.0)
    high = math.inf if l2 <= 0 else roots(l2 * (2 * p2 - l2), u1 * (2 * p1 - u1))[1]
    if est is not None:  # rounding of the roots: the interval holds the observed ratio
        low, high = min(low, est + 1.0), max(high, est + 1.0)
    return est, low - 1.0, high - 1.0


def _interval(est: float | None, low: float, high: float, digits: int = 6) -> dict[str, Any]:
    """An interval's JSON block; an unbounded end (``high`` infinite) is null."""
    return {"estimate": None if est is None else round(est, digits),
            "low": round(low, digits), "high": round(high, digits) if math.isfinite(high)
            else None}


FEW_CONTROLS = FEW_IN_GROUP  # the same bound on either group (small_groups)


def group_stats(n_t: int, x_t: int, n_c: int, x_c: int, p_t: float, p_c: float
                ) -> dict[str, Any]:
    """One group's block of the report (see the module docstring): one stratum."""
    one = [np.array([v], np.int64) for v in (n_t, x_t, n_c, x_c)]
    return strata_stats(one[0], one[1], one[2], one[3], p_t, p_c)


def strata_stats(n_t: NDArray[np.int64], x_t: NDArray[np.int64], n_c: NDArray[np.int64],
                 x_c: NDArray[np.int64], p_t: float, p_c: float) -> dict[str, Any]:
    """The block of a group made of strata (one entry of each array per (film, wave)):
    targets, controls and their conversions, the target rate and the control rate weighted
    by the targets of the strata with controls, and the uplift between them (the module
    docstring); ``p_t``, ``p_c``: the predicted conversions."""
    out: dict[str, Any] = {
        "targets": int(n_t.sum()), "controls": int(n_c.sum()),
        "target_conversions": int(x_t.sum()), "control_conversions": int(x_c.sum()),
        "predicted_target_conversions": round(p_t, 4),
        "predicted_control_conversions": round(p_c, 4)}
    measured = (n_t > 0) & (n_c > 0)
    mt, mx = int(n_t[measured].sum()), int(x_t[measured].sum())
    out["measured_targets"] = mt if out["controls"] else 0
    if out["controls"] and 0 < mt < out["targets"]:  # none compared: no_estimate says why
        out["note"] = (f"{out['targets'] - mt:,} targets are in waves of a film with no control "
                       "group (its rounding gave that wave none): rates and uplift compare the "
                       f"other {mt:,} with the controls of their own film and wave")
    out["target_rate"] = (_interval(mx / mt, *score_interval(mx, mt)) if mt else
                          _interval(out["target_conversions"] / out["targets"],
                                    *score_interval(out["target_conversions"], out["targets"]))
                          if out["targets"] else None)
    if not mt:
        c, xc = out["controls"], out["control_conversions"]
        out["control_rate"] = _interval(xc / c, *score_interval(xc, c)) if c else None
        why = ("nobody selected (no eligible user, or no budget left)" if not n_t.any()
               and not n_c.any() else "no control group" if not n_c.any()
               else "no targets" if not n_t.any()
               else "no wave of any film holds both targets and controls")
        for name in ("absolute_uplift", "relative_uplift", "incremental_conversions"):
            out[name] = None
        out["no_estimate"] = f"{why}: uplift cannot be measured"
        return out
    w = n_t[measured] / mt
    rate_c = x_c[measured] / n_c[measured]
    if int(measured.sum()) == 1:  # the plain interval, on the counts themselves
        xc_eff, nc_eff = float(x_c[measured][0]), float(n_c[measured][0])
    else:
        nc_eff = 1.0 / float(np.sum(w * w / n_c[measured]))
        xc_eff = float(np.sum(w * rate_c)) * nc_eff
    out["control_rate"] = _interval(xc_eff / nc_eff, *score_interval(xc_eff, nc_eff))
    out["measured_conversions"] = mx  # the target rate's numerator (measured_targets its base)
    if int(measured.sum()) > 1:
        out["control_effective_size"] = round(nc_eff, 3)
    out.update(block_warnings(mt, nc_eff, int(measured.sum()), out["targets"],
                              int(n_c[measured].sum())))
    d, lo, hi = newcombe(mx, mt, xc_eff, nc_eff)
    out["absolute_uplift"] = _interval(d, lo, hi)
    none_c, all_c = not x_c[measured].any(), bool((x_c[measured] == n_c[measured]).all())
    out["relative_uplift"] = _interval(*mover_ratio(
        mx, mt, 0.0 if none_c else nc_eff if all_c else xc_eff, nc_eff))
    out["incremental_conversions"] = _interval(mt * d, mt * lo, mt * hi, 3)
    return out


def _block(mask: NDArray[np.bool_], target: NDArray[np.bool_], conv: NDArray[np.bool_],
           p: NDArray[np.float64], stratum: NDArray[np.int64]) -> dict[str, Any]:
    t, c = mask & target, mask & ~target
    k = int(stratum.max()) + 1 if len(stratum) else 1
    counts = [np.bincount(stratum[m], minlength=k).astype(np.int64)
              for m in (t, t & conv, c, c & conv)]
    keep = (counts[0] > 0) | (counts[2] > 0)
    n_t, x_t, n_c, x_c = (a[keep] for a in counts)
    return strata_stats(n_t, x_t, n_c, x_c, float(p[t].sum()), float(p[c].sum()))


def compute_report(rows: pa.Table, converted: NDArray[np.bool_],
                   films: Sequence[str] = ()) -> dict[str, Any]:
    """Per film, per wave, per (film, wave) and overall blocks for plan ``rows``
    (``PLAN_SCHEMA``) whose conversions are ``converted`` (aligned to the rows). ``films``
    (the plan's slate) keeps a film with no row in the report, saying why it has nothing."""
    film = np.asarray(rows.column("film_id").to_numpy(zero_copy_only=False), str)
    wave = np.asarray(rows.column("wave").to_numpy(), np.int64)
    target = np.asarray(rows.column("group").to_numpy(zero_copy_only=False), str) == "target"
    p = np.asarray(rows.column("p").to_numpy(), np.float64)
    conv = np.asarray(converted, bool)
    # each (film, wave) a stratum: its controls stand for its own targets
    names, film_code = np.unique(film, return_inverse=True)
    film_code = film_code.astype(np.int64).ravel()
    stratum = film_code * (int(wave.max(initial=0)) + 1) + wave
    # each film's rows once (a film's strata are its waves): a block per film and per
    # (film, wave) over every row of the plan took 22 s for 1,600 films of 250 rows
    order = np.argsort(film_code, kind="stable")
    ends = np.searchsorted(film_code[order], np.arange(len(names) + 1))
    in_order = film_code[np.sort(order[ends[:-1]])]  # the films by their first row: plan order
    at = {f: i for i, f in enumerate(names.tolist())}
    films_out = []
    for f in dict.fromkeys([*names[in_order].tolist(), *films]):
        i = at.get(f)
        r = order[ends[i]:ends[i + 1]] if i is not None else order[:0]
        w, t, c, q = wave[r], target[r], conv[r], p[r]
        films_out.append({"film_id": f, **_block(np.ones(len(r), bool), t, c, q, w),
                          "waves": _by_wave(w, t, c, q, w)})
    return {"overall": _block(np.ones(len(film), bool), target, conv, p, stratum),
            "waves": _by_wave(wave, target, conv, p, stratum), "films": films_out}


def _by_wave(wave: NDArray[np.int64], target: NDArray[np.bool_], conv: NDArray[np.bool_],
             p: NDArray[np.float64], stratum: NDArray[np.int64]) -> list[dict[str, Any]]:
    """A block per wave, its rows in row order (``waves.row_groups``), strata renumbered."""
    return [{"wave": int(wave[r[0]]), **_block(np.ones(len(r), bool), target[r], conv[r], p[r],
             np.unique(stratum[r], return_inverse=True)[1].ravel())} for r in row_groups(wave)]


def plan_start(summary: dict[str, Any], plan_id: str | None = None) -> int:
    """The plan's start in unix seconds: its ``created`` time (ISO 8601, UTC; ``plan_created``)."""
    return plan_created(summary, plan_id)


def campaign_report(store: CampaignStore, plan_id: str, window_days: float = 30.0,
                    start: int | None = None, sent_waves: int | None = None,
                    until_seq: int | None = None, model: Model | None = None,
                    no_model: str = NO_MODEL, as_of: int | None = None, replan: bool = False
                    ) -> dict[str, Any]:
    """The report of a stored plan's sent waves (see the module docstring), of the events
    stored up to sequence ``until_seq`` (default: all); ``UnknownPlanError`` when there is no
    such plan, ``InvalidParameterError`` for ``sent_waves`` outside 1..the plan's waves.
    ``model``: whose users' places the ``dispersion`` check reads (``dispersion.py``; None:
    not checked, ``no_model`` says why); ``as_of``: the report's time, unix seconds (default:
    now), at which each wave's window has passed ``wave_starts``'s ``window_elapsed_days``;
    ``replan``: ``included_waves``'."""
    if not MIN_WINDOW_DAYS <= window_days <= MAX_WINDOW_DAYS:  # NaN too
        raise InvalidParameterError(f"window_days: expected {WINDOW_RULE}, got {window_days}")
    summary = store.summary(plan_id)
    parts = list(store.iter_rows(plan_id))
    from recommender.campaigns.plan import PLAN_SCHEMA

    rows = pa.concat_tables(parts) if parts else PLAN_SCHEMA.empty_table()
    wave = np.asarray(rows.column("wave").to_numpy(), np.int64)
    sent, planned, sent_source = included_waves(store, plan_id, summary,
                                                int(wave.max(initial=0)), sent_waves, replan)
    rows = rows.filter(pa.array(wave <= sent))
    horizon = summary.get("horizon") or {}
    cal, predicted = predicted_scaling(horizon, window_days)
    p_window = scale(np.asarray(rows.column("p").to_numpy(), np.float64), cal, window_days)
    rows = rows.set_column(rows.schema.get_field_index("p"), "p",
                           pa.array(p_window, rows.schema.field("p").type))
    begin = plan_start(summary, plan_id) if start is None else int(start)
    length = int(round(window_days * DAY))
    end = begin + length
    now = report_now() if as_of is None else int(as_of)
    starts = wave_starts(wave_send_times(store, plan_id), sent, begin, length, now)
    lut = np.full(sent + 1, begin, np.int64)
    lut[[w["wave"] for w in starts]] = [w["start"] for w in starts]
    row_start = lut[np.clip(np.asarray(rows.column("wave").to_numpy(), np.int64), 0, sent)]
    films = [f["film_id"] for f in summary_films(summary, plan_id)]  # each named: refused
    # from a day before the start: events of a log of dates sit at midnight, before a plan
    # created that day, and are counted apart (``early_conversions``), never in the uplift
    first = min([begin, *lut.tolist()])
    ev = read_events(store, until=until_seq, films=films, since_ts=first - DAY) \
        if films else None
    conv, before = np.zeros(rows.num_rows, bool), np.zeros(rows.num_rows, bool)
    seen = np.zeros(0 if ev is None else len(ev.timestamp), bool)  # events of some window
    dated = True  # a log of dates: every event of a plan row in the day before its start at
    for s in np.unique(row_start).tolist():  # a midnight (UTC)
        if ev is None:
            break
        m = row_start == s  # each wave's rows from their own start (a few waves at most)
        part = rows.filter(pa.array(m))
        conv[m], before[m] = conversions(part, ev.user_id, ev.film_id, ev.timestamp,
                                         (s, s + length), (s - DAY, s))
        seen |= (ev.timestamp >= s) & (ev.timestamp < s + length)
        if (before[m] & ~conv[m]).any():
            day = (ev.timestamp >= s - DAY) & (ev.timestamp < s)
            mine = np.isin(pair_keys(ev.film_id[day], ev.user_id[day]), row_pair_keys(part))
            dated &= bool(np.all(ev.timestamp[day][mine] % DAY == 0))
    early = int((before & ~conv).sum())  # a row that converted in the window is counted
    # dated after the report's time, counted all the same (``report_windows.late_text``)
    late = seen & (ev.timestamp > now) if ev is not None else seen
    body = compute_report(rows, conv, films)
    spread = dispersion(rows, conv, model, no_model, summary.get("model_version"))
    titles = {f["film_id"]: f.get("title", "") for f in summary.get("films", [])}
    for block in body["films"]:
        block["title"] = titles.get(block["film_id"], "")
    return {"plan_id": plan_id, "model_version": summary.get("model_version", ""),
            "start": begin, "end": end, "window_days": window_days, "as_of": now,
            "window_open": any(w["window_open"] for w in starts),
            # those of the window, as conversions count them (it counted every event from
            # the start on, past the window's end too: a year's, reported a year later)
            "events_read": int(seen.sum()), "events_after_as_of": int(late.sum()),
            "wave_starts": starts,
            "early_conversions": early,
            "sent_waves": sent, "plan_waves": planned,
            "waves_included": list(range(1, sent + 1)), "sent_waves_source": sent_source,
            "recorded_waves": sorted(wave_send_times(store, plan_id)),
            "horizon": horizon, "predicted": predicted, "method": METHOD,
            "calibration_warning": p_warning(horizon),  # a random holdout's p
            "units": UNITS,
            "note": f"waves {_waves_text(sent)} of {planned} included ({sent_source}); "
                    f"predicted conversions: {predicted['scaling']}"
                    + open_text(starts, window_days)
                    + late_text(int(late.sum()), int(ev.timestamp[late].max(initial=now))
                                if ev is not None else now, now) + report_sentence(spread)
                    + starts_text(starts)
                    + early_text(early, dated, any(w["source"] == "recorded" for w in starts)),
            "dispersion": spread, **body}


def report_now() -> int:
    """The report's time when none is given (unix seconds): the clock's, replaced in tests."""
    return int(time.time())


def _waves_text(n: int) -> str:
    return "1" if n == 1 else f"1-{n}"
