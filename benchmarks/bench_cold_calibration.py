"""Which known films a new film's calibration should come from: known films taken as new.

A film with no history borrows its probabilities (``calibration.p_at``) from known films. For
each dataset (the demo data, generated with its defaults, and MovieLens 100K read in place;
``train``'s defaults, no tuning) and up to ``--films`` films with viewers (a fixed seed), the
film is taken as new: its comparable films are its ``COMPARABLES`` nearest other films by
taste (weight 1 each), and its expected new viewers (the sum of ``p`` over every user's rank)
are forecast by each rule, the film itself left out of every mix:

- ``one stand-in``: the known film nearest the new film's taste vector (the old rule);
- ``comparables``: the comparable films' own calibrations, mixed by their weights;
- ``nearest k``: the k nearest films, weighted by cosine less the (k+1)-th's;
- ``genres: ...``: the film like its genres alone, from the one film nearest their taste, or
  from each genre's ``NEAREST`` nearest films (``cold_calibration.new_film_calibration``).

The shipped rule is ``comparables`` for comparable films and the per-genre mix for genres.

Each forecast is compared with two figures of the film itself: ``own``, its own calibrated
forecast (what the model says of it, knowing it) and ``held_out``, the viewers it gained in
the calibration's held-out slice (a realised count over the same span). Errors are
``|log((forecast + 1) / (truth + 1))|`` (median and mean over films; a factor of 2 is
0.69). ``jump``: as the first comparable's weight goes 1.0, 0.95, ... 0.3, the largest change
of the forecast between two steps, as a share of the forecast (median over films): the one
stand-in moves in steps, a mix moves continuously.

    nice -n 10 python benchmarks/bench_cold_calibration.py [--datasets ../shared/datasets]

Writes benchmarks/results/cold_calibration.json and cold_calibration.md.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

from recommender.distribution.cold_calibration import (
    NEAREST,
    calibration_films,
    new_film_calibration,
    new_film_taste,
)
from recommender.io import readers
from recommender.io.demo import generate
from recommender.model import calibration
from recommender.model.config import TrainConfig
from recommender.model.model import Model
from recommender.model.training import train

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402

COMPARABLES = 3
SEED = 11
KS = (3, NEAREST, 10, 20)
STEPS = np.round(np.arange(1.0, 0.299, -0.05), 2)


def sums(model: Model) -> tuple[np.ndarray, np.ndarray]:
    """Each film's expected viewers as a new film's calibration (the sum of its ``p`` over
    every user's rank) and as its own (over its candidates, its viewers left out)."""
    n = model.n_users
    viewers = np.asarray(model.calibration["film_viewers"], np.int64)
    as_new = np.zeros(model.n_films)
    own = np.zeros(model.n_films)
    for f in range(model.n_films):  # a benchmark's loop over films
        as_new[f] = calibration.p_at(model.calibration, f, np.arange(n) / n).sum()
        t = max(n - int(viewers[f]), 1)
        own[f] = calibration.p_at(model.calibration, f, np.arange(t) / t).sum()
    return as_new, own


def forecasts(model: Model, f: int, comps: list[str], weights: list[float],
              as_new: np.ndarray) -> dict[str, float]:
    """The film ``f`` taken as new, like ``comps`` with ``weights``: each rule's forecast."""
    given = dict(zip(comps, weights, strict=True))
    taste = new_film_taste(model, given, [])
    out: dict[str, float] = {}
    for k in (1, *KS):
        films, w = calibration_films(model, taste, k, exclude=np.array([f]))
        out["one stand-in" if k == 1 else f"nearest {k}"] = float(w @ as_new[films])
    idx = model.films.to_index(comps)
    cw = np.asarray(weights) / np.sum(weights)
    out["comparables"] = float(cw @ as_new[idx])
    genres = [g for g in str(model.catalog.genres[f]).split("|") if g]
    if genres:  # the film like its genres alone (the genre-only answer)
        films, w = calibration_films(model, new_film_taste(model, (), genres), 1,
                                     exclude=np.array([f]))
        out["genres: one stand-in"] = float(w @ as_new[films])
        films, w = new_film_calibration(model, (), genres, exclude=np.array([f]))
        out[f"genres: nearest {NEAREST} per genre (shipped)"] = float(w @ as_new[films])
    return out


def measure(name: str, model: Model, max_films: int) -> dict[str, Any]:
    as_new, own = sums(model)
    held = np.asarray(model.calibration["film_recent"], np.float64)
    units = np.asarray(model.taste_units, np.float64)
    candidates = np.flatnonzero(np.asarray(model.calibration["film_viewers"]) > 0)
    rng = np.random.default_rng(SEED)
    films = np.sort(rng.choice(candidates, min(max_films, len(candidates)), replace=False))
    errors: dict[str, dict[str, list[float]]] = {}
    jumps: dict[str, list[float]] = {}
    for f in films.tolist():  # a benchmark's loop over films
        cos = units @ units[f]
        cos[f] = -np.inf
        comps = [str(model.films.ids[i]) for i in np.argsort(-cos, kind="stable")[:COMPARABLES]]
        base = forecasts(model, f, comps, [1.0] * COMPARABLES, as_new)
        for rule, value in base.items():
            e = errors.setdefault(rule, {"own": [], "held_out": []})
            e["own"].append(abs(np.log((value + 1) / (own[f] + 1))))
            e["held_out"].append(abs(np.log((value + 1) / (held[f] + 1))))
        sweep = [forecasts(model, f, comps, [float(s)] + [1.0] * (COMPARABLES - 1), as_new)
                 for s in STEPS]
        for rule in base:
            if rule.startswith("genres"):  # no comparable weight to sweep
                continue
            v = np.asarray([s[rule] for s in sweep])
            jumps.setdefault(rule, []).append(float(np.abs(np.diff(v)).max()
                                                    / max(float(v.mean()), 1e-12)))
    rows = [{"rule": rule,
             "own_median": round(float(np.median(e["own"])), 4),
             "own_mean": round(float(np.mean(e["own"])), 4),
             "held_out_median": round(float(np.median(e["held_out"])), 4),
             "held_out_mean": round(float(np.mean(e["held_out"])), 4),
             "jump_median": round(float(np.median(jumps[rule])), 4) if rule in jumps else None,
             "jump_max": round(float(np.max(jumps[rule])), 4) if rule in jumps else None}
            for rule, e in errors.items()]
    return {"dataset": name, "films": len(films), "users": model.n_users,
            "catalog": model.n_films, "rows": rows}


def markdown(result: dict[str, Any]) -> str:
    lines = ["# A new film's calibration: one stand-in against a mix", "",
             f"Written by `benchmarks/bench_cold_calibration.py` {common.run_date(result)} "
             f"({common.provenance(result.get('machine'))}).", "",
             f"Known films taken as new, each like its {COMPARABLES} nearest other films "
             "(weight 1 each); error: |log((forecast + 1) / (truth + 1))|, median (mean) over "
             "films, against the film's own calibrated forecast (own) and the viewers it "
             "gained in the held-out slice (held out); jump: the largest step of the forecast "
             "as the first comparable's weight goes 1.0 to 0.3 by 0.05, as a share of the "
             "forecast (median, max over films).", ""]
    for ds in result["datasets"]:
        lines += [f"## {ds['dataset']} ({ds['films']} films of {ds['catalog']}, "
                  f"{ds['users']:,} users)", "",
                  "| rule | error vs own | error vs held out | jump (median, max) |",
                  "|---|---|---|---|"]
        for r in ds["rows"]:
            lines.append(f"| {r['rule']} | {r['own_median']:.3f} ({r['own_mean']:.3f}) | "
                         f"{r['held_out_median']:.3f} ({r['held_out_mean']:.3f}) | "
                         + ("- |" if r["jump_median"] is None else
                            f"{r['jump_median']:.3f}, {r['jump_max']:.3f} |"))
        lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    common.add_datasets(ap, help="folder holding ml-100k/ (default ../shared/datasets)")
    ap.add_argument("--films", type=int, default=300, help="films per dataset (default 300)")
    ap.add_argument("--out", type=Path, default=common.RESULTS_DIR / "cold_calibration",
                    help="write OUT.json and OUT.md (default benchmarks/results/"
                         "cold_calibration)")
    args = ap.parse_args(argv)
    machine = common.machine_facts()
    datasets = []
    with tempfile.TemporaryDirectory() as tmp, threadpool_limits(1, "blas"):
        for name in ("demo", "ml-100k"):
            common.log(name)
            folder = generate(Path(tmp) / "demo") if name == "demo" else args.datasets / name
            model = train(readers.load(folder), TrainConfig(), progress=False)
            datasets.append(measure(name, model, args.films))
    result = {"benchmark": "cold_calibration", "machine": machine, "seed": SEED,
              "comparables": COMPARABLES, "datasets": datasets,
              # when the run ended: the page names its day (the file kept none)
              "finished": common.run_end(machine)}
    common.write_json_and_md(args.out, result, markdown)
    print(f"wrote {args.out.with_suffix('.json')} and .md", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
