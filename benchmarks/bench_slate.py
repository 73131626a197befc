"""A slate's screens per cinema: time of the exact allocation against the textbook programme.

    nice -n 10 python benchmarks/bench_slate.py [--quick] [--repeats 3]
    python benchmarks/bench_slate.py --render    # no measuring: slate.json -> slate.md

``recommender.distribution.slate.solve`` shares each cinema's screens among films opening
together, exactly, as a transportation problem with convex costs solved by HiGHS's dual
simplex. The baseline, in the same run on the same instances, is the textbook integer
programme of the same problem (one continuous deviation per cell, ``scipy.optimize.milp`` with
its default gap), which ``solve`` replaced; it is run only where it finished within
``BASELINE_CAP_S`` at the previous smaller size. Each instance: random demand (gamma, some
cinemas with none), 1-20 screens a cinema, one film capped and one with a minimum. Both answers'
total deviation is recorded: they must agree (the baseline stops at HiGHS's default relative
gap of 1e-4, so it may be a hair above).

Mostly without demand (``NO_DEMAND_SIZES``): the same instances with 95% of the cinemas
without any (no user names them), six seeds a size. ``solve`` solves its programme once
per class of identical cinemas and deals each class's screens to its members by the tie
rule (``recommender.distribution.slate_classes``); the baseline is the whole programme
alone (the classes off), in the same run: the total deviation and the film totals must be
the same, and so must the screens, both paths ending in the tie stage
(``recommender.distribution.slate_lex``); a row says how many cinemas' screens differ if any do.

Writes benchmarks/results/slate.json and slate.md (``--quick``: results/quick/).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402

SIZES = [(100, 10), (500, 20), (2000, 20), (4000, 50)]
QUICK_SIZES = [(100, 10), (500, 20)]
NO_DEMAND_SIZES = [(2000, 20, 0.95), (5000, 20, 0.95)]  # cinemas, films, share without demand
QUICK_NO_DEMAND_SIZES = [(2000, 20, 0.95)]
NO_DEMAND_SEEDS = 6
BASELINE_CAP_S = 60.0


def instance(n_c: int, n_f: int, seed: int, no_demand: float = 0.05) -> tuple[Any, ...]:
    rng = np.random.default_rng(seed)
    demand = rng.gamma(0.8, 4.0, size=(n_c, n_f)) * (rng.random((n_c, 1)) > no_demand)
    screens = rng.integers(1, 21, size=n_c)
    lo = np.zeros(n_f, np.int64)
    hi = np.full(n_f, np.inf)
    hi[0] = float(screens.sum() // (4 * n_f))
    lo[1] = int(screens.sum() // (2 * n_f))
    return demand, screens, lo, hi


def textbook(demand: Any, screens: Any, lo: Any, hi: Any) -> Any:
    """The absolute-value integer programme on the same targets (the baseline)."""
    import scipy.sparse as sp
    from scipy.optimize import Bounds, LinearConstraint, milp

    from recommender.distribution.slate import _targets, _weights

    w = _weights(demand, screens, lo, hi)
    t = _targets(demand, screens, w, lo, hi).ravel()
    held = (w < 1.0) & np.isfinite(hi)
    lo_held = np.where(held, np.maximum(lo, hi), lo).astype(np.int64)
    lo = lo_held if lo_held.sum() <= screens.sum() else lo
    n_c, n_f = demand.shape
    n = n_c * n_f
    eye = sp.identity(n, format="csr")
    rows = sp.kron(sp.identity(n_c), np.ones((1, n_f)))
    cols = sp.kron(np.ones((1, n_c)), sp.identity(n_f))
    a = sp.vstack([sp.hstack([rows, sp.csr_matrix((n_c, n))]),
                   sp.hstack([cols, sp.csr_matrix((n_f, n))]),
                   sp.hstack([eye, eye]), sp.hstack([-eye, eye])], format="csr")
    s = np.asarray(screens, np.float64)
    res = milp(np.concatenate([np.zeros(n), np.ones(n)]),
               constraints=LinearConstraint(a, np.concatenate([s, lo, t, -t]),
                                            np.concatenate([s, hi, np.full(2 * n, np.inf)])),
               integrality=np.concatenate([np.ones(n), np.zeros(n)]),
               bounds=Bounds(0, np.inf))
    return np.rint(res.x[:n]).reshape(n_c, n_f)


def deviation(x: Any, demand: Any, screens: Any, lo: Any, hi: Any) -> float:
    from recommender.distribution.slate import _targets, _weights

    w = _weights(demand, screens, lo, hi)
    return float(np.abs(x - _targets(demand, screens, w, lo, hi)).sum())


def main() -> int:
    ap = common.base_args(__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--render", action="store_true", help="re-render slate.md from slate.json")
    args = ap.parse_args()
    if args.render:

        out = common.results_dir(args.quick) / "slate.json"
        doc = common.saved_result("slate", args.quick, "bench_slate.py")
        out.with_suffix(".md").write_text(markdown(doc, out))
        return 0
    from recommender.distribution.slate import solve

    load = common.load_average()
    rows: list[dict[str, Any]] = []
    baseline_on = True
    for n_c, n_f in QUICK_SIZES if args.quick else SIZES:
        inst = instance(n_c, n_f, seed=n_c + n_f)
        times, base_times = [], []
        for _ in range(args.repeats):
            t0 = time.perf_counter()
            x = solve(*inst)
            times.append(time.perf_counter() - t0)
        row: dict[str, Any] = {"cinemas": n_c, "films": n_f, "cells": n_c * n_f,
                               "screens": int(inst[1].sum()),
                               "solve_s": common.stats(times),
                               "deviation": round(deviation(x, *inst), 6)}
        if baseline_on:
            for _ in range(args.repeats):
                t0 = time.perf_counter()
                xb = textbook(*inst)
                base_times.append(time.perf_counter() - t0)
                if base_times[-1] > BASELINE_CAP_S:
                    break
            row["textbook_s"] = common.stats(base_times)
            row["textbook_deviation"] = round(deviation(xb, *inst), 6)
            row["speedup"] = round(float(np.median(base_times) / np.median(times)), 1)
            baseline_on = max(base_times) <= BASELINE_CAP_S
        rows.append(row)
        print(f"{n_c} x {n_f}: solve {np.median(times):.3f} s"
              + (f", textbook {np.median(base_times):.2f} s" if base_times else ""), flush=True)
    doc = {"load_average_at_start": load, "repeats": args.repeats, "sizes": rows,
           "baseline_cap_s": BASELINE_CAP_S,
           "no_demand": [no_demand_row(n_c, n_f, share, seed, args.repeats)
                         for n_c, n_f, share in (QUICK_NO_DEMAND_SIZES if args.quick
                                                 else NO_DEMAND_SIZES)
                         for seed in range(NO_DEMAND_SEEDS)]}
    out = common.write_result("slate", doc, args.quick)
    out.with_suffix(".md").write_text(markdown(doc, out))
    return 0


def no_demand_row(n_c: int, n_f: int, share: float, seed: int, repeats: int
                  ) -> dict[str, Any]:
    """One mostly-without-demand instance: ``solve`` against the whole programme alone, each
    run in turn (a shared machine's load falls on both), and the programmes HiGHS solved."""
    import recommender.distribution.slate as slate
    import recommender.distribution.slate_classes as classes
    from recommender.distribution.slate import solve

    inst = instance(n_c, n_f, seed=n_c + n_f + seed, no_demand=share)
    sizes: list[int] = []
    real = classes.programme

    def counted(lp: Any, cost: Any, *rest: Any) -> Any:
        sizes.append(len(cost) // (3 * n_f))
        return real(lp, cost, *rest)
    programmes: list[Any] = []  # each solve's screens before ``_even_out`` re-deals them
    even_out = slate._even_out

    def kept(x: Any, *rest: Any) -> Any:
        programmes.append(x.copy())
        return even_out(x, *rest)
    times, whole_times = [], []
    share_setting = classes.CLASS_SHARE
    classes.programme = counted  # type: ignore[assignment]
    slate._even_out = kept  # type: ignore[assignment]
    try:
        for _ in range(repeats):
            sizes.clear()
            programmes.clear()
            t0 = time.perf_counter()
            x = solve(*inst)
            times.append(time.perf_counter() - t0)
            used = list(sizes)
            classes.CLASS_SHARE = 0.0
            t0 = time.perf_counter()
            xw = solve(*inst)
            whole_times.append(time.perf_counter() - t0)
            classes.CLASS_SHARE = share_setting
    finally:
        classes.programme, classes.CLASS_SHARE = real, share_setting  # type: ignore[assignment]
        slate._even_out = even_out  # type: ignore[assignment]
    none = inst[0].sum(axis=1) <= 0
    row = {"cinemas": n_c, "films": n_f, "no_demand_share": share, "seed": seed,
           "cinemas_without_demand": int(none.sum()),
           "screens": int(inst[1].sum()), "classes": used[0] if used else n_c,
           "answered_by": ("whole programme" if not used or used[0] == n_c else
                           "classes" if len(used) == 1 else "whole programme after classes"),
           "same_deviation": bool(np.isclose(deviation(x, *inst), deviation(xw, *inst),
                                             rtol=1e-9, atol=0.0)),
           "same_film_totals": bool(np.array_equal(x.sum(axis=0), xw.sum(axis=0))),
           "cinemas_differing": int((x != xw).any(axis=1).sum()),
           "cinemas_differing_with_demand": int(((x != xw).any(axis=1) & ~none).sum()),
           "cinemas_differing_in_programme": int(
               (programmes[0] != programmes[1]).any(axis=1).sum()),
           "solve_s": common.stats(times), "whole_s": common.stats(whole_times),
           "speedup": round(float(np.median(whole_times) / np.median(times)), 2),
           "same_screens": bool(np.array_equal(x, xw)),
           "deviation": round(deviation(x, *inst), 6)}
    print(f"{n_c} x {n_f}, {share:.0%} without demand, seed {seed}: solve "
          f"{np.median(times):.3f} s ({row['answered_by']}), whole {np.median(whole_times):.3f} s, "
          f"{matches(row)}",
          flush=True)
    return row


def markdown(doc: dict[str, Any], out: Path) -> str:
    import json

    saved = json.loads(out.read_text())
    lines = ["# A slate's screens per cinema: time of the exact allocation", "",
             f"Measured by `benchmarks/bench_slate.py` on {saved['finished']} "
             f"({common.provenance(saved.get('machine'))}; load average "
             f"{common.load_text(doc['load_average_at_start'])} at the start; median of "
             f"{doc['repeats']} runs per size). Baseline: the textbook integer programme of the "
             "same problem in the same run, where it finished within "
             f"{doc['baseline_cap_s']:.0f} s at the previous size.", "",
             "| cinemas x films | screens | `solve` (s) | textbook MILP (s) | speed-up | "
             "total deviation, solve / textbook (screens) |",
             "|---|---|---|---|---|---|"]
    for r in doc["sizes"]:
        base = r.get("textbook_s")
        lines.append(
            f"| {r['cinemas']:,} x {r['films']} | {r['screens']:,} | "
            f"{r['solve_s']['median']:.3f} | "
            + (f"{base['median']:.2f}"
               + (f" ({base['n']} run, past the cap)" if base["n"] < doc["repeats"] else "")
               + f" | ×{r['speedup']} | {r['deviation']:.3f} / "
               f"{r['textbook_deviation']:.3f} |" if base else
               f"not run | – | {r['deviation']:.3f} / – |"))
    lines += ["", "Both are exact up to the solvers' tolerances: the same least total deviation "
              "(the textbook programme stops at HiGHS's default relative gap).", ""]
    if doc.get("no_demand"):
        lines += no_demand_markdown(doc)
    return "\n".join(lines)


def matches(r: dict[str, Any]) -> str:
    """A row's agreement with the whole programme (an older row: whether the screens did)."""
    if "same_film_totals" not in r:
        return "same screens" if r["same_screens"] else "NO: other screens"
    if not (r["same_deviation"] and r["same_film_totals"]):
        return ("NO: " + ("" if r["same_deviation"] else "other deviation ")
                + ("" if r["same_film_totals"] else "other film totals")).strip()
    n, m = r["cinemas_differing"], r.get("cinemas_differing_in_programme", 0)
    if n == 0:
        return "yes, the same screens"
    return (f"yes; screens differ at {m:,} cinema{'s' if m != 1 else ''} in the programme "
            f"(tied optima), {n:,} after `_even_out` ({r['cinemas_differing_with_demand']:,} "
            "with demand)")


def no_demand_markdown(doc: dict[str, Any]) -> list[str]:
    """The mostly-without-demand table: ``solve`` against the whole programme alone."""
    lines = ["## Mostly cinemas without demand", "",
             "The same instances with most cinemas' demand zero (no user names them). "
             "`solve` solves one programme per class of identical cinemas (same screens, "
             "costs and bounds) and deals each class's screens to its members by the tie "
             "rule (in table order, film after film); the baseline is the whole programme "
             "alone, in the same run, run in turn with `solve` (median of "
             f"{doc['repeats']} each). Matches: the same total deviation (to 1e-9) and film "
             "totals as the whole programme, and whether the screens are the same at every "
             "cinema: both paths end in the tie stage (`recommender.distribution.slate_lex`), "
             "which takes among tied optima (identical cinemas over a capped film's last "
             "screens) the one a stated rule orders first, not the simplex's pick, and "
             "`_even_out` then re-deals the cinemas without demand alike from the same "
             "answer; a row whose screens differ counts the cinemas, in the programme's "
             "answer and after `_even_out`.",
             "",
             "| cinemas x films | without demand | seed | classes | answered by | `solve` (s) | "
             "whole programme (s) | speed-up | matches whole solve |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in doc["no_demand"]:
        lines.append(
            f"| {r['cinemas']:,} x {r['films']} | {r['cinemas_without_demand']:,} | "
            f"{r['seed']} | {r['classes']:,} | {r['answered_by']} | "
            f"{r['solve_s']['median']:.3f} | {r['whole_s']['median']:.3f} | "
            f"×{r['speedup']} | {matches(r)} |")
    return lines + [""]


if __name__ == "__main__":
    sys.exit(main())
