"""Calibration of p on the time protocol: predicted against realised conversions per tier/decile.

For each dataset (MovieLens 100K and latest-small, read in place with the project readers):
train ``recommender train --no-tune``'s defaults (``TrainConfig``) on the interactions up to
the 80th-percentile timestamp
(users and films indexed as if that were all the data), then for every film rank every
training user who had not watched it, take ``calibration.p_at`` for each candidate, stretch it
from the calibration horizon (the held-out slice's span) to the test period's span with
``calibration.scale`` (constant daily rate), and compare with who watched the film in the test
period. Reported per tier (core / extended / broad / the rest) and per decile of p, with the
expected calibration error (ECE: count-weighted mean |predicted - realised| over the deciles),
for the films with 5 or more test-period viewers (the issue's protocol) and for every film.

Five ways of getting p are compared in the same run: the shipped per-film model; one rank
curve for every film (isotonic fit of the same held-out rank-bin counts: what the tiers used
before, now over the same films and known users, and scaled the same way); the per-film model
stretched with a constant daily rate (D / horizon days) instead of the measured activity curve;
the per-film model not stretched at all; and one isotonic rank curve per popularity x momentum
tercile group (fitted on the same hold-out, stretched like the shipped model).

    nice -n 10 python benchmarks/bench_calibration.py [--datasets ../shared/datasets]

Writes benchmarks/results/calibration.json and calibration.md.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import scipy.sparse as sp
from numpy.typing import NDArray

from recommender.evaluation.report import write_json
from recommender.evaluation.splits import time_split
from recommender.io import readers
from recommender.io.atomic import atomic_file
from recommender.io.dataset import Interactions
from recommender.model import calibration, calibration_interval
from recommender.model.config import DEFAULT_TIERS, TrainConfig
from recommender.model.model import Model
from recommender.model.training import calibration_fit_config, fit_factors, holdout_mask, train
from recommender.model.weighting import confidence, filter_min_rating
from recommender.query.audience import audience_summary, tier_bounds

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402
from common import provenance  # noqa: E402

HERE = Path(__file__).resolve().parent
DATASETS = ("ml-100k", "ml-latest-small")
MIN_TEST_VIEWERS = 5
# seeded draws of outcomes from p behind the selection floor (their median is reported)
SELECTION_DRAWS = 20
SELECTED_VIEW = f"films with {MIN_TEST_VIEWERS}+ test viewers"
EVERY_VIEW = "every film"
GOAL = (0.8, 1.25)
VARIANTS = ("per-film model (shipped)", "one rank curve for every film",
            "per-film model, constant daily rate", "per-film model, horizon not scaled",
            "isotonic per popularity x momentum group")
TIER_NAMES = [name for name, _ in DEFAULT_TIERS] + ["rest"]


def compact(part: Interactions) -> Interactions:
    """``part`` re-indexed to its own users and films, as if it were the whole data."""
    return Interactions.from_columns(
        pa.array(part.users.ids[part.user_idx]), pa.array(part.films.ids[part.film_idx]),
        rating=part.rating, weight=part.weight, timestamp=part.timestamp,
        catalog=part.catalog, user_table=part.user_table, source=part.source)


def test_matrix(model: Model, data: Interactions, test: Interactions,
                keep: NDArray[np.bool_] | None = None) -> sp.csr_matrix:
    """Films x users (the model's indices, 1 per pair) of the ``test`` rows (``keep``: a mask
    over them) whose user and film the model knows; ``data`` holds the ids ``test`` indexes."""
    tu = model.users.to_index(data.users.ids[test.user_idx], strict=False)
    tf = model.films.to_index(data.films.ids[test.film_idx], strict=False)
    ok = (tu >= 0) & (tf >= 0)
    if keep is not None:
        ok &= keep
    m = sp.csr_matrix((np.ones(int(ok.sum()), np.float32), (tf[ok], tu[ok])),
                      shape=(model.n_films, model.n_users))
    m.sum_duplicates()
    return m


def run_dataset(path: Path, seed: int) -> dict[str, Any]:
    t0 = time.perf_counter()
    data = readers.load(path)
    split = time_split(data)
    assert split.cutoff is not None and data.timestamp is not None
    test_days = float(int(data.timestamp.max()) - split.cutoff) / 86400.0
    config = TrainConfig(seed=seed)
    model = train(compact(split.train), config, progress=False)
    cal = model.calibration
    iso = isotonic_groups(compact(split.train), config)
    hor = calibration.horizon(cal)
    print(f"{path.name}: trained in {time.perf_counter() - t0:.1f} s; calibration horizon "
          f"{hor['days']} days, test period {test_days:.1f} days", file=sys.stderr)
    test = test_matrix(model, data, split.test)
    # the first half of the test period (by time), for the period-to-period floor
    t_ts = np.asarray(split.test.timestamp, np.int64)
    first = test_matrix(model, data, split.test,
                        t_ts <= split.cutoff + (int(data.timestamp.max()) - split.cutoff) // 2)
    before = {k: v for k, v in cal.items() if k != "model"}
    flat = {k: v for k, v in cal.items() if k != "horizon_curve"}
    uf, ff = np.asarray(model.user_factors), np.asarray(model.film_factors)
    seen = model.seen_by_film
    cols: dict[str, list[NDArray[Any]]] = {"tier": [], "y": [], "selected": [], "film": [],
                                           "y_first": [],
                                           **{v: [] for v in VARIANTS}}
    check: list[float] = []
    # the summary's 95% interval behind each tier's expected_conversion: per film and tier,
    # tier size x the tier's mean p under each coefficient draw (mean_p_draws, the draws
    # tier_intervals takes percentiles of), stretched to the test period; draw k is the same
    # coefficient vector for every film (a fixed seed), so summing over films keeps draws joint
    drawn = calibration_interval.interval_note(cal) == calibration_interval.COVERS
    span_draws = np.zeros((model.n_films, len(DEFAULT_TIERS),
                           calibration_interval.DRAWS if drawn else 0))
    for f in range(model.n_films):
        scores = uf @ ff[f]
        viewers = seen.indices[seen.indptr[f]:seen.indptr[f + 1]]
        cand = np.setdiff1d(np.arange(model.n_users), viewers)
        t = len(cand)
        if t == 0:
            continue
        order = cand[np.lexsort((cand, -scores[cand]))]
        y = np.zeros(model.n_users, bool)
        y[test.indices[test.indptr[f]:test.indptr[f + 1]]] = True
        frac = np.arange(t) / t
        tier = np.full(t, len(DEFAULT_TIERS), np.int8)
        for i, (_, start, end) in enumerate(tier_bounds(t, DEFAULT_TIERS)):
            tier[start - 1:end] = i
        p = calibration.p_at(cal, f, frac)
        if drawn:
            ranges = [(start, end) for _, start, end in tier_bounds(t, DEFAULT_TIERS)]
            sizes = np.array([max(end - start + 1, 0) for start, end in ranges], np.float64)
            means = calibration_interval.mean_p_draws(cal, f, ranges, t)
            span_draws[f] = np.where(sizes[:, None] > 0, sizes[:, None] * calibration.scale(
                np.nan_to_num(means), cal, test_days), 0.0)
        cols["tier"].append(tier)
        cols["y"].append(y[order])
        y_first = np.zeros(model.n_users, bool)
        y_first[first.indices[first.indptr[f]:first.indptr[f + 1]]] = True
        cols["y_first"].append(y_first[order])
        cols["film"].append(np.full(t, f, np.int32))
        cols["selected"].append(np.full(t, int(y[order].sum()) >= MIN_TEST_VIEWERS))
        cols[VARIANTS[0]].append(calibration.scale(p, cal, test_days).astype(np.float32))
        cols[VARIANTS[1]].append(calibration.scale(calibration.p_at(before, f, frac), before,
                                                   test_days).astype(np.float32))
        cols[VARIANTS[2]].append(calibration.scale(p, flat, test_days).astype(np.float32))
        cols[VARIANTS[3]].append(p.astype(np.float32))
        cols[VARIANTS[4]].append(calibration.scale(calibration.p_at(iso, f, frac), iso,
                                                   test_days).astype(np.float32))
        if f % 97 == 0:  # the summary's expected conversion is the mean p over the tier
            s = audience_summary(model, str(model.films.ids[f]))
            for row, (_, start, end) in zip(s["tiers"], tier_bounds(t, DEFAULT_TIERS),
                                            strict=True):
                if row["expected_conversion"] is not None:
                    check.append(abs(row["expected_conversion"] - float(p[start - 1:end].mean())))
    pooled = {k: np.concatenate(v) for k, v in cols.items()}
    out: dict[str, Any] = {
        "dataset": path.name,
        "users": model.n_users, "films": model.n_films,
        "train_interactions": len(split.train), "test_interactions": int(test.nnz),
        "test_users": int(len(np.unique(test.indices))),
        "cutoff_timestamp": split.cutoff,
        "calibration_horizon_days": hor["days"],
        "horizon": hor["description"],
        "test_period_days": round(test_days, 2),
        "films_selected": int(sum(int(v[0]) for v in cols["selected"])),
        "summary_matches_mean_p_max_abs_diff": max(check, default=0.0),
        "seconds": round(time.perf_counter() - t0, 1),
        "views": {},
        "interval_note": calibration_interval.interval_note(cal),
    }
    film_selected = np.zeros(model.n_films, bool)
    for films, sel in zip(cols["film"], cols["selected"], strict=True):
        film_selected[films[0]] = bool(sel[0])
    for view, mask in ((SELECTED_VIEW, pooled["selected"]),
                       (EVERY_VIEW, np.ones(len(pooled["y"]), bool))):
        y = pooled["y"][mask]
        tiers = pooled["tier"][mask]
        per_variant: dict[str, Any] = {}
        for v in VARIANTS:
            p = pooled[v][mask].astype(np.float64)
            per_variant[v] = {"tiers": tier_rows(p, y, tiers), **decile_rows(p, y)}
        keep = film_selected if view == SELECTED_VIEW else np.ones(model.n_films, bool)
        add_intervals(per_variant[VARIANTS[0]]["tiers"], span_draws[keep] if drawn else None)
        out["views"][view] = per_variant
        out.setdefault("floors", {})[view] = {
            "period": period_floor(pooled["y_first"][mask], y, tiers),
        }
    out["floors"][SELECTED_VIEW]["selection"] = selection_floor(
        pooled[VARIANTS[0]].astype(np.float64), pooled["film"], pooled["tier"], model.n_films,
        seed, SELECTION_DRAWS)
    return out


def add_intervals(rows: list[dict[str, Any]], draws: NDArray[np.float64] | None) -> None:
    """Add to the shipped p's tier ``rows`` the summary's 95% interval, summed over the films
    (``draws``: films x tiers x coefficient draws of each film's tier size x its stretched mean
    p; None: the calibration gives no interval), as conversions and as a rate per candidate,
    and whether it holds the realised conversions (None for the rest, which has no interval)."""
    for i, row in enumerate(rows):
        if draws is None or i >= draws.shape[1]:
            row.update(interval_conversions=None, interval=None, interval_covers=None)
            continue
        span = calibration_interval.percentile_interval(draws[:, i].sum(axis=0), 1)
        n = row["candidates"]
        row["interval_conversions"] = span
        row["interval"] = None if span is None or not n else [round(v / n, 6) for v in span]
        row["interval_covers"] = None if span is None else bool(
            span[0] <= row["realised_conversions"] <= span[1])


def coverage(result: dict[str, Any]) -> dict[str, Any]:
    """How many tier rows (dataset x view x tier with an interval) the shipped 95% interval
    covers the realised conversions of, and which it misses."""
    rows = [(rep["dataset"], view, row) for rep in result["datasets"]
            for view, per in rep["views"].items() for row in per[VARIANTS[0]]["tiers"]
            if row.get("interval_covers") is not None]
    def count(view: str | None) -> dict[str, int]:
        kept = [r for _, v, r in rows if view is None or v == view]
        return {"covered": sum(bool(r["interval_covers"]) for r in kept), "rows": len(kept)}

    return {**count(None), "views": {view: count(view) for view in (SELECTED_VIEW, EVERY_VIEW)},
            "missed": [f"{d} / {v} / {r['tier']}" for d, v, r in rows
                       if not r["interval_covers"]]}


def selection_floor(p: NDArray[np.float64], film: NDArray[np.int32], tiers: NDArray[np.int8],
                    n_films: int, seed: int, draws: int = SELECTION_DRAWS) -> list[float | None]:
    """What a perfectly calibrated ``p`` would show under the 5+ selection: outcomes drawn from
    ``p`` itself (``draws`` seeded draws), films kept when they drew 5+ viewers, realised over
    predicted per tier (median over the draws)."""
    rng = np.random.default_rng(seed)
    ratios = []
    for _ in range(draws):
        y = rng.random(len(p)) < p
        keep = np.bincount(film, weights=y, minlength=n_films)[film] >= MIN_TEST_VIEWERS
        ratios.append([r["realised_over_predicted"] for r in tier_rows(p[keep], y[keep],
                                                                      tiers[keep])])
    arr = np.array(ratios, dtype=np.float64)
    return [None if np.isnan(v) else round(float(v), 3) for v in np.nanmedian(arr, axis=0)]


def period_floor(y_first: NDArray[np.bool_], y: NDArray[np.bool_], tiers: NDArray[np.int8]
                 ) -> list[float | None]:
    """How much the truth itself moves between periods: each tier's realised rate in the first
    half of the test period, scaled so the totals agree, as the prediction for the second half;
    realised over that prediction per tier."""
    y_second = y & ~y_first
    total_first, total_second = float(y_first.sum()), float(y_second.sum())
    out: list[float | None] = []
    for i in range(len(TIER_NAMES)):
        m = tiers == i
        pred = float(y_first[m].sum()) * total_second / total_first if total_first else 0.0
        out.append(round(float(y_second[m].sum()) / pred, 3) if pred > 0 else None)
    return out


def isotonic_groups(data: Interactions, config: TrainConfig) -> dict[str, Any]:
    """The alternative calibration on the same hold-out as ``train``'s: the fit part's factors
    (as ``train`` fits them), then ``calibrate(method="isotonic_groups")``."""
    held = holdout_mask(data, config.holdout, config.seed)  # over every watch, as train does
    fit_part = filter_min_rating(data.subset(~held), config.min_rating)
    uf, ff = fit_factors(confidence(fit_part, config.weighting, config.bm25_k1, config.bm25_b),
                         calibration_fit_config(config, len(filter_min_rating(
                             data, config.min_rating))))
    return calibration.from_arrays(uf, ff, data.user_idx, data.film_idx, data.timestamp, held,
                                   data.n_users, data.n_films, seed=config.seed,
                                   method="isotonic_groups")


def tier_rows(p: NDArray[np.float64], y: NDArray[np.bool_], tiers: NDArray[np.int8]
              ) -> list[dict[str, Any]]:
    rows = []
    for i, name in enumerate(TIER_NAMES):
        m = tiers == i
        n, pred, real = int(m.sum()), float(p[m].sum()), int(y[m].sum())
        rows.append({"tier": name, "candidates": n,
                     "predicted": round(pred / n, 6) if n else None,
                     "realised": round(real / n, 6) if n else None,
                     "predicted_conversions": round(pred, 1), "realised_conversions": real,
                     "realised_over_predicted": round(real / pred, 3) if pred > 0 else None})
    return rows


def decile_rows(p: NDArray[np.float64], y: NDArray[np.bool_]) -> dict[str, Any]:
    order = np.argsort(p, kind="stable")
    rows, ece = [], 0.0
    for d, idx in enumerate(np.array_split(order, 10)):
        if not len(idx):
            continue
        mp, mr = float(p[idx].mean()), float(y[idx].mean())
        ece += len(idx) / len(p) * abs(mp - mr)
        rows.append({"decile": d + 1, "candidates": int(len(idx)), "p_range": [
            round(float(p[idx].min()), 6), round(float(p[idx].max()), 6)],
            "predicted": round(mp, 6), "realised": round(mr, 6),
            "realised_over_predicted": round(mr / mp, 3) if mp > 0 else None})
    return {"deciles": rows, "ece": round(ece, 6), "mean_realised": round(float(y.mean()), 6)}


def tiers_text(tiers: Any) -> str:
    """The tiers as shares of a film's ranked candidates, from (name, percent) pairs."""
    parts, total = [], 0.0
    for i, (name, share) in enumerate(tiers):
        parts.append(f"{name} = {'top' if i == 0 else 'next'} {share:g}%"
                     + (" of a film's candidates" if i == 0 else ""))
        total += share
    return ", ".join(parts + [f"rest = the other {100 - total:g}%"])


def markdown(result: dict[str, Any]) -> str:
    lo, hi = GOAL
    min_viewers = result.get("min_test_viewers", MIN_TEST_VIEWERS)
    lines = ["# Calibration of p on the time protocol", "",
             f"Generated by `benchmarks/bench_calibration.py` ({result['generated']}), seed "
             f"{result['seed']}, {provenance(result.get('machine'))}, load average at start "
             f"{common.load_text(result['load_average_at_start'])}. "
             "Train up to the 80th-percentile timestamp with `TrainConfig`'s defaults "
             "(`recommender train --no-tune`: no tuning search); "
             "p from `calibration.p_at`, stretched from the calibration horizon to the test "
             "period with `calibration.scale` (its daily rate follows known users' activity "
             "measured on past cuts of the training data); realised = the share of "
             f"candidates who watched the film in the test period. Goal: realised / predicted "
             f"within {lo}-{hi} for every tier.", "",
             f"Two views: the films with {min_viewers}+ test-period viewers (the issue's "
             "protocol; chosen on the outcome, so a model calibrated over all films must "
             "under-predict them) and every film (no selection: the calibration view). "
             f"Tiers: {tiers_text(result.get('tiers', DEFAULT_TIERS))}.", "",
             "The floor rows measure how close any p could come, from the data itself "
             "(no model choice in them): the *selection* floor (the selected view only: every "
             "film has no selection) draws outcomes from the shipped "
             "p, so that p is perfectly calibrated by construction, applies the same "
             f"{min_viewers}+ selection and reports realised / predicted (median of "
             f"{result.get('selection_draws', SELECTION_DRAWS)} seeded draws): what "
             "the selection alone inflates; the *period* floor predicts each tier's realised "
             "rate in the second half of the test period from the first half's (totals "
             "matched): how much the true tier shape moves from one period to the next, which "
             "no model fitted on an earlier period can beat.", ""]
    lines += summary_lines(result)
    for rep in result["datasets"]:
        lines += [f"## {rep['dataset']}", "",
                  f"{rep['users']:,} users x {rep['films']:,} films, "
                  f"{rep['train_interactions']:,} training and {rep['test_interactions']:,} "
                  f"test interactions (by {rep.get('test_users', 'n/a')} users); "
                  "calibration horizon "
                  f"{rep['calibration_horizon_days']} "
                  f"days (the held-out slice), test period {rep['test_period_days']} days; "
                  f"{rep['films_selected']} films with {min_viewers}+ test viewers. "
                  f"Summary expected_conversion vs mean p over the tier: max |diff| "
                  f"{rep['summary_matches_mean_p_max_abs_diff']:.1e}.", ""]
        for view, per in rep["views"].items():
            lines += [f"### {view}", "",
                      "| p from | " + " | ".join(
                          f"{t}: predicted / realised (ratio)" for t in TIER_NAMES)
                      + " | ECE (deciles) |", "|---|" + "---|" * (len(TIER_NAMES) + 1)]
            for v, r in per.items():
                cells = []
                for row in r["tiers"]:
                    ratio = row["realised_over_predicted"]
                    flag = "" if ratio is None or lo <= ratio <= hi else " **miss**"
                    cells.append(f"{_p(row['predicted'])} / {_p(row['realised'])} "
                                 f"({_f(ratio, 3)}){flag}")
                lines.append(f"| {v} | " + " | ".join(cells) + f" | {_f(r['ece'])} |")
            floors = rep.get("floors", {}).get(view, {})
            for key, label in (("selection", "floor: a perfectly calibrated p under this "
                                "selection (outcomes drawn from the shipped p)"),
                               ("period", "floor: the first half of the test period's tier "
                                "rates predicting the second half's")):
                if key in floors:
                    lines.append(f"| {label} | " + " | ".join(
                        f"ratio {_f(v, 3)}" for v in floors[key]) + " | |")
            shipped = per[VARIANTS[0]]
            misses = [f"{row['tier']} ({_f(row['realised_over_predicted'], 3)})"
                      for row in shipped["tiers"]
                      if row["realised_over_predicted"] is None
                      or not lo <= row["realised_over_predicted"] <= hi]
            lines += ["", f"Shipped model outside {lo}-{hi}: "
                      + (", ".join(misses) if misses else "none") + "."]
            lines += interval_lines(shipped["tiers"], rep.get("interval_note"))
            lines += ["", f"Deciles of p ({VARIANTS[0]}):", "",
                      "| decile | p range | predicted | realised | ratio |",
                      "|---|---|---|---|---|"]
            for d in shipped["deciles"]:
                lines.append(f"| {d['decile']} | {_p(d['p_range'][0])} to {_p(d['p_range'][1])} "
                             f"| {_p(d['predicted'])} | {_p(d['realised'])} "
                             f"| {_f(d['realised_over_predicted'], 2)} |")
            lines.append("")
    return "\n".join(lines) + "\n"


def interval_lines(rows: list[dict[str, Any]], note: str | None) -> list[str]:
    """A view's table of the shipped 95% interval against the realised conversions."""
    if not any("interval_covers" in r for r in rows):  # a run before the intervals were kept
        return []
    if all(r["interval_covers"] is None for r in rows):
        return ["", f"No 95% interval: {note or 'the calibration gives none'}."]
    out = ["", "The summary's 95% interval of each tier's expected conversion (the coefficient "
           "draws of `calibration_interval.mean_p_draws`), summed over the films as the "
           "predicted conversions are:", "",
           "| tier | predicted conversions | 95% interval | realised conversions | covered |",
           "|---|---|---|---|---|"]
    for r in rows:
        if r["interval_covers"] is None:
            continue
        lo, hi = r["interval_conversions"]
        out.append(f"| {r['tier']} | {r['predicted_conversions']:,.1f} | {lo:,.1f}-{hi:,.1f} "
                   f"| {r['realised_conversions']:,} | "
                   f"{'yes' if r['interval_covers'] else '**no**'} |")
    return out


def coverage_lines(result: dict[str, Any]) -> list[str]:
    """The Summary's paragraph and table on the shipped 95% interval's coverage."""
    if "interval_coverage" not in result:  # a run before the intervals were kept
        return []
    cov = coverage(result)  # from the rows (--render of a file written before its views)
    views = cov.get("views", {})
    every, chosen = views.get(EVERY_VIEW), views.get(SELECTED_VIEW)
    per_view = (f": {every['covered']} of {every['rows']} over every film, "
                f"{chosen['covered']} of {chosen['rows']} over the films with "
                f"{result.get('min_test_viewers', MIN_TEST_VIEWERS)}+ test viewers (chosen on "
                "the outcome, where a p calibrated over all films under-predicts)"
                if every and chosen else "")
    lines = [f"The tiers' 95% interval (`expected_conversion_interval`: {DRAWS_SAID}) covers "
             f"the realised conversions in {cov['covered']} of {cov['rows']} tier rows "
             f"(dataset x view x tier; the rest has no interval){per_view}; an interval that "
             "held the change between periods would miss about 1 in 20. It holds the "
             "coefficients' sampling noise only.", "",
             "| dataset | view | tier | predicted conversions | 95% interval | realised "
             "| covered |", "|---|---|---|---|---|---|---|"]
    for rep in result["datasets"]:
        for view, per in rep["views"].items():
            for r in per[VARIANTS[0]]["tiers"]:
                if r.get("interval_covers") is None:
                    continue
                lo, hi = r["interval_conversions"]
                lines.append(f"| {rep['dataset']} | {view} | {r['tier']} | "
                             f"{r['predicted_conversions']:,.1f} | {lo:,.1f}-{hi:,.1f} | "
                             f"{r['realised_conversions']:,} | "
                             f"{'yes' if r['interval_covers'] else '**no**'} |")
    return lines + [""]


DRAWS_SAID = (f"the {calibration_interval.DRAWS} coefficient draws' tier mean p, stretched to the "
              "test period as each draw's tier mean, times the tier's size, summed over the "
              "view's films; 2.5th to 97.5th percentile")


def summary_lines(result: dict[str, Any]) -> list[str]:
    """The ``## Summary`` section: per dataset and view, the shipped model's realised /
    predicted per tier and the two floors (the README quotes it)."""
    lo, hi = GOAL
    lines = ["## Summary", "",
             f"Realised / predicted per tier ({', '.join(TIER_NAMES)}) for the shipped p; goal "
             f"{lo}-{hi}. Floors: a perfectly calibrated p under the same selection, and the "
             "test period's first half predicting its second half.", "",
             "| dataset | view | shipped p | floor: calibrated p | floor: period to period "
             "| later conversions by |", "|---|---|---|---|---|---|"]
    for rep in result["datasets"]:
        for view, per in rep["views"].items():
            shipped = per[VARIANTS[0]]["tiers"]
            floors = rep.get("floors", {}).get(view, {})

            def cells(values: list[Any]) -> str:
                return " / ".join(_f(v, 2) for v in values)

            lines.append(
                f"| {rep['dataset']} | {view} | "
                f"{cells([r['realised_over_predicted'] for r in shipped])} | "
                f"{cells(floors['selection']) if 'selection' in floors else 'n/a (no selection)'}"
                f" | {cells(floors['period']) if 'period' in floors else 'n/a'} | "
                f"{rep.get('test_users', 'n/a')} users |")
    return lines + [""] + coverage_lines(result)


def _f(x: Any, digits: int = 4) -> str:
    if x is None:
        return "n/a"
    return f"{x:.{digits}f}" if isinstance(x, float) else str(x)


def _p(x: Any) -> str:
    """A probability or rate: four decimals, or two significant digits below 0.001, where
    four decimals read 0.0000 beside a realised / predicted ratio of 541."""
    if isinstance(x, float) and 0 < abs(x) < 1e-3:
        return f"{x:.1e}"
    return _f(x)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    common.add_datasets(ap)
    ap.add_argument("--names", nargs="*", default=list(DATASETS))
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default=str(HERE / "results" / "calibration"))
    ap.add_argument("--render", action="store_true", help="only rewrite OUT.md from OUT.json")
    args = ap.parse_args(argv)
    if args.render:
        import json

        src = Path(args.out).with_suffix(".json")
        if not src.is_file():
            raise SystemExit(f"{src} is missing: run benchmarks/bench_calibration.py to "
                             "measure it; nothing was rewritten")
        with atomic_file(src.with_suffix(".md")) as tmp:
            tmp.write_text(markdown(json.loads(src.read_text(encoding="utf-8"))),
                           encoding="utf-8")
        return 0
    load = common.load_average()
    reports = []
    for name in args.names:
        path = Path(args.datasets) / name
        if not path.exists():
            print(f"{name}: not found under {args.datasets}, skipped", file=sys.stderr)
            continue
        reports.append(run_dataset(path, args.seed))
    result = {"generated": datetime.now(UTC).isoformat(timespec="seconds"),
              "generated_by": "benchmarks/bench_calibration.py", "seed": args.seed,
              "load_average_at_start": load, "machine": common.machine_facts(),
              "goal_realised_over_predicted": list(GOAL),
              "min_test_viewers": MIN_TEST_VIEWERS, "selection_draws": SELECTION_DRAWS,
              "tiers": [list(t) for t in DEFAULT_TIERS], "datasets": reports}
    result["interval_coverage"] = coverage(result)
    out = Path(args.out)
    write_json(result, out.with_suffix(".json"))
    md = markdown(result)
    with atomic_file(out.with_suffix(".md")) as tmp:
        tmp.write_text(md, encoding="utf-8")
    print(md)
    return 0


if __name__ == "__main__":
    sys.exit(main())
