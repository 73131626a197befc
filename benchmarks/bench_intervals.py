"""The campaign report's 95% intervals under overdispersed responses: results/intervals.*.

On the demo set-up of ``bench_campaigns.py`` (3,000 users x 400 films x 100,000 interactions,
seed 7, a 64-factor model from ``recommender train --no-tune``; ``--quick``: 1,000 x 120 x
20,000), each seed plans the slate ``simulator()`` plans there (6 mid-popular films, budget 150
each, 2 waves, holdout 0.3, ``plan_slate``'s cap of 1 unless a row says 3), and wave 1 is drawn
again and again under each response model of ``recommender.campaigns.response_models``
(independent Bernoulli; a user's true p from a Beta of intra-class correlation rho; a
log-normal shock per place shared by its targets and controls; both), each draw reported by
``compute_report``. For every interval the report gives (absolute uplift per film and overall,
relative uplift, the target and control rates) it counts how often it holds its estimand, the
planted one (``response_models.planted_rates`` of the planted p: what a repeat of the campaign
converts on average, ``simulate.coverage``'s) and the realised one (the same of the draw's own
true probabilities: what this campaign's users were set to convert). The report gives predicted
conversions as a number with no interval, so it counts how often the observed conversions fall
in the central 95% band of Binomial(rows, predicted / rows), with the planted p as the
prediction (a perfectly calibrated plan) and with the report's own (the plan's p stretched to
the 14-day window: the model's calibration, not the demo's planted truth). Each draw is also
put to the report's dispersion check (``recommender.campaigns.dispersion``, the places the
model's users' regions, as ``campaign report --model`` reads them), counting how often it
fires: under independent responses its false alarms, under a shock its power.

    nice -n 10 .venv/bin/python benchmarks/bench_intervals.py [--quick] [--render]
"""

from __future__ import annotations

import json
import math
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.compute as pc
from scipy import stats as sps

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from common import (
    base_args,
    campaign_demo,
    log,
    page_header,
    results_dir,
    saved_result,
    write_result,
)

from recommender.campaigns.dispersion import LEVEL as CHECK_LEVEL
from recommender.campaigns.dispersion import dispersion
from recommender.campaigns.plan import plan_slate
from recommender.campaigns.report import compute_report, predicted_scaling
from recommender.campaigns.response_models import (
    ResponseModel,
    place_labels,
    planted_rates,
    respond_with,
)
from recommender.campaigns.simulate import WINDOW_DAYS, demo_truth
from recommender.campaigns.slate import SlateFilm
from recommender.model import artifact
from recommender.model.calibration import scale

BUDGET, WAVES, HOLDOUT = 150, 2, 0.3  # simulator()'s slate and run_loop's plan
RHOS, SDS = (0.0, 0.01, 0.05, 0.2), (0.0, 0.1, 0.3)
#: (cap, places, rho, shock sd): the grid at a cap of 1 by region, then a cap of 3 (a user
#: holds up to 3 rows, which share their Beta draw) and shocks by cinema and by taste group
CELLS = ([(1, "region", r, s) for s in SDS for r in RHOS]
         + [(3, "region", r, 0.0) for r in (0.0, 0.05, 0.2)] + [(3, "region", 0.05, 0.3)]
         + [(1, "cinema", 0.0, 0.3), (1, "group", 0.0, 0.3)])
METRICS = ("absolute_uplift_films", "absolute_uplift", "relative_uplift", "target_rate",
           "control_rate")
BANDS = ("control_band", "target_band")
LEVEL = 0.95
LOSS_SE = 2.0  # a coverage this many Monte Carlo SE below 95% is a loss
#: what each draw's dispersion check records: whether it fired, whether each arm could be
#: tested (2 groups of places of 5 expected conversions and non-conversions), each arm's
#: conversions (placed, measured rows); under independent draws, whether it fired on the
#: same rows drawn with each (film, arm)'s mean planted p (``fired_flat``)
CHECK = ("fired", "controls_tested", "targets_tested", "controls_conversions",
         "targets_conversions", "fired_flat")


def _bands(n: int, predicted: float) -> tuple[float, float]:
    """The central 95% band of Binomial(n, predicted / n)."""
    q = min(max(predicted / n, 0.0), 1.0) if n else 0.0
    return float(sps.binom.ppf(0.025, n, q)), float(sps.binom.ppf(0.975, n, q))


def _holds(block: dict[str, Any], name: str, value: float) -> bool:
    iv = block.get(name)
    if iv is None or iv.get("low") is None or math.isnan(value):
        return False
    high = math.inf if iv["high"] is None else iv["high"]
    return bool(iv["low"] <= value <= high)


def _checks(block: dict[str, Any], t: float, c: float) -> dict[str, bool]:
    rel = t / c - 1 if c > 0 else math.nan
    return {"absolute_uplift": _holds(block, "absolute_uplift", t - c),
            "relative_uplift": _holds(block, "relative_uplift", rel),
            "target_rate": _holds(block, "target_rate", t),
            "control_rate": _holds(block, "control_rate", c)}


def cell(folder: Path, model: Any, films: list[str], cap: int, by: str, rho: float,
         sd: float, seeds: int, draws: int) -> dict[str, Any]:
    """Coverage of every interval over ``seeds`` plans x ``draws`` responses of wave 1."""
    rm = ResponseModel(rho=rho, shock_sd=sd)
    hits: dict[str, dict[str, list[float]]] = {e: {m: [] for m in METRICS}
                                               for e in ("planted", "realised")}
    bands: dict[str, dict[str, list[float]]] = {e: {b: [] for b in BANDS}
                                                for e in ("planted", "report_p")}
    errors, stated = [], []
    check: dict[str, list[float]] = {k: [] for k in CHECK}
    for seed in range(seeds):
        plan = plan_slate(model, [SlateFilm(f, BUDGET) for f in films], cap=cap, waves=WAVES,
                          holdout=HOLDOUT, seed=seed, progress=False)
        rows = plan.rows.filter(pc.equal(plan.rows.column("wave"), 1))
        truth = demo_truth(folder, model, films, seed=seed)
        places = place_labels(model, truth, by, folder)
        film = np.asarray(rows.column("film_id").to_numpy(zero_copy_only=False), str)
        target = np.asarray(rows.column("group").to_numpy(zero_copy_only=False), str) == \
            "target"
        cal, _ = predicted_scaling(plan.summary.get("horizon") or {}, WINDOW_DAYS)
        report_p = scale(np.asarray(rows.column("p").to_numpy(), np.float64), cal, WINDOW_DAYS)
        rng = np.random.default_rng([seed, 1])
        # independent draws only: the same rows drawn again with each (film, arm)'s mean
        # planted p (no difference between a film's users, by place or otherwise), from a
        # generator of their own, so every other figure keeps its draws
        flat_rng = np.random.default_rng([seed, 2])
        arm_of = np.unique(np.char.add(film, target.astype(str)), return_inverse=True)[1]
        band_at: dict[str, dict[str, tuple[float, float]]] = {}
        for d in range(draws):
            conv, p, q = respond_with(truth, rows, rng, rm, places)
            rep = compute_report(rows, conv)
            spread = dispersion(rows, conv, model)  # the report's check, on the model's places
            check["fired"].append(float(bool(spread["beyond_chance"])))
            for arm in ("controls", "targets"):
                check[f"{arm}_tested"].append(float(spread[arm]["p_value"] is not None))
                check[f"{arm}_conversions"].append(float(spread[arm]["conversions"]))
            if rm.independent:
                mean_p = (np.bincount(arm_of, weights=p) / np.bincount(arm_of))[arm_of]
                flat = dispersion(rows, flat_rng.random(len(p)) < mean_p, model)
                check["fired_flat"].append(float(bool(flat["beyond_chance"])))
            blocks = {b["film_id"]: b for b in rep["films"]}
            if d == 0:  # the bands depend on the plan's rows only
                band_at = {e: {b: _bands(int(m.sum()), float(pred[m].sum()))
                               for b, m in (("control_band", ~target),
                                            ("target_band", target))}
                           for e, pred in (("planted", p), ("report_p", report_p))}
            for e, band in band_at.items():
                for b, m in (("control_band", ~target), ("target_band", target)):
                    x = int(conv[m].sum())
                    bands[e][b].append(float(band[b][0] <= x <= band[b][1]))
            for e, truth_p in (("planted", p), ("realised", q)):
                overall = _checks(rep["overall"], *planted_rates(truth_p, target, film))
                for m in ("absolute_uplift", "relative_uplift", "target_rate", "control_rate"):
                    hits[e][m].append(float(overall[m]))
                per_film = [_checks(blocks[f], *planted_rates(truth_p[film == f],
                                                              target[film == f]))
                            ["absolute_uplift"] for f in films if f in blocks]
                hits[e]["absolute_uplift_films"].append(float(np.mean(per_film)))
            up = rep["overall"]["absolute_uplift"]
            t, c = planted_rates(p, target, film)
            errors.append(up["estimate"] - (t - c))
            stated.append((up["high"] - up["low"]) / (2 * sps.norm.ppf(0.975)))
    out: dict[str, Any] = {"cap": cap, "places": by, "rho": rho, "shock_sd": sd,
                           "draws": seeds * draws, "seeds": seeds}
    for e, per in hits.items():
        out[e] = {m: _coverage(v) for m, v in per.items()}
    for e, per in bands.items():
        out.setdefault(e, {}).update({b: _coverage(v) for b, v in per.items()})
    out["dispersion_check"] = {k: _coverage(v) for k, v in check.items()
                               if v and not k.endswith("_conversions")}
    out["dispersion_check"].update({k: round(float(np.mean(v)), 1) for k, v in check.items()
                                    if k.endswith("_conversions")})
    # how far the estimate strays from the planted uplift against the width the interval
    # states for it: 1 where the interval's standard error is the estimate's
    out["absolute_uplift_error_sd_over_stated_se"] = round(
        float(np.std(errors, ddof=1) / np.mean(stated)), 3)
    return out


def _coverage(values: list[float]) -> dict[str, Any]:
    """Share held, with its Monte Carlo standard error over the draws (each draw one value:
    0 or 1, or the share of the films held, whose films share a draw's shock)."""
    v = np.asarray(values, np.float64)
    return {"coverage": round(float(v.mean()), 4),
            "se": round(float(v.std(ddof=1) / math.sqrt(len(v))), 4), "n": int(len(v))}


# --------------------------------------------------------------------------------------------
# Rendering
# --------------------------------------------------------------------------------------------

NAMES = {"absolute_uplift_films": "absolute uplift, per film",
         "absolute_uplift": "absolute uplift, overall", "relative_uplift": "relative uplift",
         "target_rate": "target rate", "control_rate": "control rate",
         "control_band": "observed controls in band", "target_band": "observed targets in band"}


def label(c: dict[str, Any]) -> str:
    """A response model in words: ``rho 0.05, shock sd 0.3 by region, cap 3``."""
    parts = []
    if c["rho"]:
        parts.append(f"rho {c['rho']:g}")
    if c["shock_sd"]:
        parts.append(f"shock sd {c['shock_sd']:g} by {c['places']}")
    name = ", ".join(parts) or "independent (Bernoulli)"
    return name + (f", cap {c['cap']}" if c["cap"] != 1 else "")


def lost(x: dict[str, Any]) -> bool:
    """Below 95% beyond ``LOSS_SE`` Monte Carlo standard errors."""
    return bool(x["coverage"] < LEVEL - LOSS_SE * max(x["se"], 1e-12))


def pct(x: dict[str, Any]) -> str:
    text = f"{100 * x['coverage']:.1f}%"
    return f"**{text}**" if lost(x) else text


def table(doc: dict[str, Any], estimand: str, names: tuple[str, ...]) -> list[str]:
    lines = ["| response model | " + " | ".join(NAMES[n] for n in names) + " |",
             "|---" * (len(names) + 1) + "|"]
    for c in doc["cells"]:
        lines.append(f"| {label(c)} | " + " | ".join(pct(c[estimand][n]) for n in names)
                     + " |")
    return lines


def losses(doc: dict[str, Any], estimand: str, names: tuple[str, ...]) -> list[str]:
    """One line per interval that loses somewhere: the cells, worst first."""
    out = []
    for n in names:
        bad = sorted((c for c in doc["cells"] if lost(c[estimand][n])),
                     key=lambda c: c[estimand][n]["coverage"])
        if bad:
            out.append(f"- {NAMES[n]}: " + "; ".join(
                f"{label(c)} {100 * c[estimand][n]['coverage']:.1f}%" for c in bad))
    return out


def expectation(cells: list[dict[str, Any]]) -> list[str]:
    """The brief's expectation, checked on the strongest shock by region alone: a shock shared
    by a place's targets and controls largely cancels in the uplift, not in each arm's rate."""
    shock = [c for c in cells if c["cap"] == 1 and not c["rho"] and c["places"] == "region"
             and c["shock_sd"] == max(SDS)]
    if not shock:
        return []
    x = shock[0]["planted"]
    uplift_lost = lost(x["absolute_uplift_films"]) or lost(x["absolute_uplift"])
    rate_lost = lost(x["target_rate"]) or lost(x["control_rate"])
    verdict = ("the absolute uplift's intervals lost too: a multiplicative shock scales the "
               "uplift itself (a place's factor times its p1 - p0), so it cancels only in part"
               if uplift_lost else "the uplift's intervals held where a rate's lost: the "
               "expectation holds" if rate_lost else "neither lost at this strength")
    if uplift_lost and not lost(x["relative_uplift"]):
        verdict += ("; the relative uplift's held: a factor both arms of a place share "
                    "divides out of their ratio")
    return [f"Expectation checked (a shock shared by a place's targets and controls largely "
            f"cancels in the uplift, not in each arm's rate): at shock sd {max(SDS):g} by "
            f"region, the absolute uplift held the planted value in "
            f"{pct(x['absolute_uplift_films'])} of the films' draws and "
            f"{pct(x['absolute_uplift'])} overall, the relative uplift in "
            f"{pct(x['relative_uplift'])}, the target rate in {pct(x['target_rate'])} and "
            f"the control rate in {pct(x['control_rate'])}: {verdict}.", ""]


def _cell(cells: list[dict[str, Any]], sd: float) -> dict[str, Any] | None:
    """The cell of a shock of ``sd`` by region alone (0: independent), at a cap of 1."""
    return next((c for c in cells if c["cap"] == 1 and not c["rho"] and c["shock_sd"] == sd
                 and (c["places"] == "region" or not sd)), None)


def _over(x: dict[str, Any]) -> bool:
    """A share of draws the check fired in above its level beyond ``LOSS_SE`` SE."""
    return bool(x["coverage"] > CHECK_LEVEL + LOSS_SE * max(x["se"], 1e-12))


def check_summary(cells: list[dict[str, Any]]) -> list[str]:
    """The dispersion check's false alarms and power, in words (the README's copy too)."""
    if not all("dispersion_check" in c for c in cells):
        return []
    base, shocks = _cell(cells, 0.0), [c for c in (_cell(cells, sd) for sd in SDS if sd)
                                       if c is not None]
    if base is None or not shocks:
        return []
    b = base["dispersion_check"]
    fired = b["fired"]
    over = _over(fired)
    strongest = shocks[-1]["dispersion_check"]["fired"]["coverage"]
    text = (
        "The report's dispersion check (`recommender/campaigns/dispersion.py`: each place's "
        "conversions, by the model's users' region, against its films' rates; beyond chance "
        f"at p < {CHECK_LEVEL:g} over both arms) fired in "
        f"{100 * fired['coverage']:.1f}% of the independent draws (its false alarms: at most "
        f"{100 * CHECK_LEVEL:g}% by design, Monte Carlo SE {100 * fired['se']:.2f} points"
        + ("; **above it**" if over else "") + ") and, as its power, in "
        + " and ".join(f"{100 * c['dispersion_check']['fired']['coverage']:.1f}% at shock sd "
                       f"{c['shock_sd']:g} by region" for c in shocks)
        + f". Wave 1's rows converted about {b['controls_conversions']:.0f} controls and "
        f"{b['targets_conversions']:.0f} targets a draw: the controls could be tested (2 "
        "groups of places each expected to convert 5 rows and leave 5) in "
        f"{100 * b['controls_tested']['coverage']:.1f}% of the draws, the targets in "
        f"{100 * b['targets_tested']['coverage']:.1f}%.")
    loud = [c for c in cells if not c["shock_sd"] and _over(c["dispersion_check"]["fired"])]
    if loud:
        text += (" Without a shock it fired beyond its level in " + "; ".join(
            f"{label(c)}: {100 * c['dispersion_check']['fired']['coverage']:.1f}%"
            for c in loud) + (" (no interval lost there)" if not any(
                lost(c["planted"][n]) for c in loud for n in METRICS) else "") + ".")
        flat = [c for c in cells if "fired_flat" in c["dispersion_check"]]
        if flat:
            text += (" Drawn again with each (film, arm)'s mean planted p (the same rows, "
                     "no difference left between a film's users) the independent draws fired "
                     "it in " + "; ".join(
                         f"{100 * c['dispersion_check']['fired_flat']['coverage']:.1f}% at a "
                         f"cap of {c['cap']}" for c in flat))
            if not any(_over(c["dispersion_check"]["fired_flat"]) for c in flat):
                text += (": what fires it without a shock is that the targeted users' planted "
                         "p differ by region within a film (the demo's taste groups are "
                         "over-represented in 1-2 regions), a stable difference between places "
                         "that the check cannot tell from a shock")
            text += "."
    if strongest < 0.8:
        gone = [NAMES[n] for n in METRICS if lost(shocks[-1]["planted"][n])]
        text += (" At this size a quiet check is no evidence of independent responses: it "
                 f"missed {100 * (1 - strongest):.0f}% of the draws of shock sd "
                 f"{shocks[-1]['shock_sd']:g} by region" + (
                     f", where these intervals lost: {', '.join(gone)}." if gone else "."))
    return [text, ""]


def check_table(cells: list[dict[str, Any]]) -> list[str]:
    """Every cell's dispersion check: how often it fired and each arm could be tested."""
    if not all("dispersion_check" in c for c in cells):
        return []
    lines = ["## The dispersion check", "",
             "Share of the draws in which the report's dispersion check fired (beyond chance "
             f"at p < {CHECK_LEVEL:g} over both arms; places: the model's users' regions, "
             "whatever the places of the shock), and in which each arm had at least 2 groups "
             "of places to test; conversions: the arm's mean a draw (measured rows with a "
             "place). Under independent draws, the last column: the check on the same rows "
             "drawn with each (film, arm)'s mean planted p (no difference between a film's "
             "users).", "",
             "| response model | check fired | Monte Carlo SE | controls tested | targets "
             "tested | control conversions | target conversions | fired, p flattened |",
             "|---|---|---|---|---|---|---|---|"]
    for c in cells:
        d = c["dispersion_check"]
        lines.append(f"| {label(c)} | {100 * d['fired']['coverage']:.1f}% | "
                     f"{100 * d['fired']['se']:.2f} | "
                     f"{100 * d['controls_tested']['coverage']:.1f}% | "
                     f"{100 * d['targets_tested']['coverage']:.1f}% | "
                     f"{d['controls_conversions']:.1f} | {d['targets_conversions']:.1f} | "
                     + (f"{100 * d['fired_flat']['coverage']:.1f}% (SE "
                        f"{100 * d['fired_flat']['se']:.2f}) |" if "fired_flat" in d else "– |"))
    return lines + [""]


def render(doc: dict[str, Any]) -> str:
    cells = doc["cells"]
    ses = [c[e][n]["se"] for c in cells for e in ("planted", "realised", "report_p")
           for n in c[e]]
    draws = sorted({c["draws"] for c in cells})
    base = next(c for c in cells if c["cap"] == 1 and not c["rho"] and not c["shock_sd"])
    ratio = [(label(c), c["absolute_uplift_error_sd_over_stated_se"]) for c in cells]
    worst_ratio = max(ratio, key=lambda r: r[1])
    lines = [
        *page_header(doc, "The campaign report's intervals under overdispersed responses",
                     "bench_intervals.py", data=True,
                     then=f"; {doc['cpu_seconds']:.0f} CPU seconds in all (training included)."),
        "Each seed plans the slate of `bench_campaigns.py`'s simulator (6 mid-popular films, "
        f"budget {doc['budget']} each, {doc['waves']} waves, holdout {doc['holdout']:g}) and "
        "draws wave 1's responses again and again under each response model "
        "(`recommender/campaigns/response_models.py`): rho is the intra-class correlation "
        "of a user's rows (each user's true p drawn from a Beta of mean p and variance "
        "rho p (1 - p), fresh in each draw); a shock multiplies the true p of every user of "
        "a place, targets and controls alike, by a log-normal factor of mean 1 whose log has "
        "that sd. At the plan's cap of 1 every user holds one row, so rho alone changes "
        "nothing a row's response can show (a Bernoulli draw with a Beta p is a Bernoulli "
        "draw with its mean); at a cap of 3 a user's rows share the draw.", "",
        "## Summary", "",
        f"Share of {', '.join(f'{d:,}' for d in draws)} draws ({doc['seeds']} plans x "
        f"{doc['draws_per_seed']:,} draws of wave 1) in which each 95% interval of "
        "`campaign report` held the **planted** value: the uplift or rate the planted "
        "probabilities give the same users, what a repeat of the campaign converts on "
        "average (the estimand of the existing simulator check). Monte Carlo standard error "
        f"of every share this benchmark measured at most {100 * max(ses):.2f} points; "
        f"**bold**: below 95% by more than {LOSS_SE:g} standard errors (the report's "
        "interval loses). The bands: predicted conversions have no interval in the report, "
        "so the last two columns count the draws whose observed conversions lie in the "
        "central 95% band of Binomial(rows, predicted / rows), predicted from the planted p "
        "(a perfectly calibrated plan).", "",
        *table(doc, "planted", (*METRICS, *BANDS)), ""]
    lines += (["Where the report's intervals lose, against the planted value (worst first):",
               ""] + losses(doc, "planted", (*METRICS, *BANDS)) + [""]
              ) if losses(doc, "planted", (*METRICS, *BANDS)) else [
        "No interval loses against the planted value in any response model measured.", ""]
    lines += expectation(cells)
    lines += check_summary(cells)
    spread = [c for c in cells if c["rho"] and not c["shock_sd"]]
    spread_lost = [c for c in spread if any(lost(c["planted"][n]) for n in (*METRICS, *BANDS))]
    if spread:
        caps = " or ".join(str(k) for k in sorted({c["cap"] for c in spread}))
        lines += [("A user's spread alone (rho up to "
                   f"{max(c['rho'] for c in spread):g}, no shock) made no interval or band "
                   f"lose, at a cap of {caps}." if not spread_lost else
                   "A user's spread alone (no shock) made an interval or band lose in: "
                   + "; ".join(label(c) for c in spread_lost) + "."), ""]
    realised_lost = losses(doc, "realised", METRICS)
    least = min(c["realised"][n]["coverage"] for c in cells for n in METRICS)
    lines += [
        "Against the **realised** value (the same uplift or rate of the draw's own true "
        "probabilities: what this campaign's users, in the conditions they met, were set to "
        "convert) " + ("every interval held it in at least "
                       f"{100 * least:.1f}% of the draws in every model "
                       "(`benchmarks/results/intervals.md`): a shock or a user's spread "
                       "changes what there is to estimate, not how well the report estimates "
                       "it." if not realised_lost else "some intervals lose too:"), ""]
    lines += realised_lost + ([""] if realised_lost else [])
    lines += [
        "The overall absolute uplift's estimate strayed from the planted uplift by "
        f"{base['absolute_uplift_error_sd_over_stated_se']:.2f}x the standard error its "
        f"interval states under independent draws, and by up to {worst_ratio[1]:.2f}x "
        f"({worst_ratio[0]}): an interval that held the planted value 95% of the time would "
        "have to be about that much wider.", "",
        "With the report's own predicted conversions (the plan's p, stretched to the "
        f"{doc['window_days']:g}-day window) the observed control conversions lay in the band "
        f"in {100 * base['report_p']['control_band']['coverage']:.1f}% of the independent "
        "draws: the demo's planted truth is not the model's calibration, so that figure "
        "measures the simulator's truth against the model, not the band.", "",
        *check_table(cells),
        "## Against the realised value", "", *table(doc, "realised", METRICS), "",
        "## Every figure", "",
        "| response model | estimand | interval | coverage | Monte Carlo SE | draws |",
        "|---|---|---|---|---|---|"]
    for c in cells:
        for e in ("planted", "realised", "report_p"):
            for n, x in c[e].items():
                lines.append(f"| {label(c)} | {e.replace('_', ' ')} | {NAMES[n]} | "
                             f"{100 * x['coverage']:.2f}% | {100 * x['se']:.2f} | "
                             f"{x['n']:,} |")
    lines += ["", "Estimate's spread over the stated standard error (overall absolute "
              "uplift, planted value): " + "; ".join(f"{n} {r:.2f}" for n, r in ratio) + "."]
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = base_args(__doc__.splitlines()[0])
    ap.add_argument("--render", action="store_true",
                    help="only rewrite intervals.md from intervals.json")
    args = ap.parse_args()
    if args.render:
        doc = saved_result("intervals", args.quick, "bench_intervals.py")
        (results_dir(args.quick) / "intervals.md").write_text(render(doc))
        return
    quick = args.quick
    seeds, draws = (2, 60) if quick else (4, 400)
    t0 = time.process_time()
    with tempfile.TemporaryDirectory(prefix="bench-intervals-") as tmp:
        folder, model_dir, data = campaign_demo(Path(tmp), quick)
        model = artifact.load(model_dir)
        films = model.films.ids[np.argsort(model.film_counts(), kind="stable")
                                [model.n_films // 3:model.n_films // 3 + 6]].tolist()
        cells = []
        for cap, by, rho, sd in CELLS:
            log(f"cap {cap}, places {by}, rho {rho:g}, shock sd {sd:g} ...")
            cells.append(cell(folder, model, films, cap, by, rho, sd, seeds, draws))
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    payload = {"data": data, "films": films, "budget": BUDGET,
               "waves": WAVES, "holdout": HOLDOUT, "window_days": WINDOW_DAYS,
               "seeds": seeds, "draws_per_seed": draws, "level": LEVEL,
               "cpu_seconds": round(time.process_time() - t0 + children.ru_utime
                                    + children.ru_stime, 1),
               "cells": cells}
    worst = max(c[e][n]["se"] for c in cells for e in ("planted", "realised", "report_p")
                for n in c[e])
    if not quick and worst >= 0.015:
        log(f"warning: a Monte Carlo standard error of {100 * worst:.2f} points (over 1.5)")
    path = write_result("intervals", payload, quick)
    doc = json.loads(path.read_text())
    (results_dir(quick) / "intervals.md").write_text(render(doc))
    log(f"wrote {results_dir(quick) / 'intervals.md'}")


if __name__ == "__main__":
    main()
