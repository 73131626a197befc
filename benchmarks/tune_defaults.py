"""Choose the engine's default hyper-parameters across datasets (not per dataset).

The same seeded sample of configurations (``recommender.evaluation.tuning.candidate_configs``) is
fitted and scored on a validation split carved out of the *training* part of every
dataset x protocol (the test parts are never touched). Each configuration's validation
objective (the engine's own: ``recommender.evaluation.scoring.objective``, what ``tune`` and
``train``'s search maximise, labelled by ``recommender.evaluation.tuning``) is divided by the
best one on that
dataset x protocol; the configuration with the best mean of these relative scores (ties: the
best worst case) is the one that generalises. EASE's best validation objective on the same
splits is recorded as the bar to reach.

    python benchmarks/tune_defaults.py [--trials 40] [--datasets ../shared/datasets]
    python benchmarks/tune_defaults.py --render   # only tuning.md, from tuning.json

Writes ``benchmarks/results/tuning.json`` and ``benchmarks/results/tuning.md``.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from recommender.errors import InvalidParameterError
from recommender.evaluation.baselines import EASE
from recommender.evaluation.report import write_json
from recommender.evaluation.runs import EASE_LAMBDAS, BaselineUnderTest
from recommender.evaluation.scoring import USER_K, objective, objective_key, score_split
from recommender.evaluation.splits import make_split, validation_split
from recommender.evaluation.tuning import (
    _objective_text,
    candidate_configs,
    grid_configs,
    validation_scores,
)
from recommender.io import readers
from recommender.model.config import TrainConfig

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402
from common import provenance  # noqa: E402

HERE = Path(__file__).resolve().parent
DATASETS = ("ml-100k", "ml-latest-small", "filmtrust")
PROTOCOLS = ("random", "time")
# the engine's defaults before this search, kept as the reference row
PREVIOUS_DEFAULTS = TrainConfig(weighting="bm25", factors=64, iterations=15,
                                regularization=0.05, alpha=2.0, bm25_k1=1.2, bm25_b=0.75,
                                cg_steps=3)
# the grid's base: the rows below were scored with implicit's 3 CG steps, whatever the default
GRID_BASE = TrainConfig(cg_steps=3)
# where a 30-trial random search over SEARCH_SPACE pointed: binary confidence with strong
# regularisation; BM25 kept in the grid as the previous default's family
GRID: list[dict[str, tuple[Any, ...]]] = [
    {"weighting": ("binary",), "factors": (64, 128), "regularization": (3.0, 10.0, 30.0),
     "alpha": (1.0, 3.0, 10.0)},
    {"weighting": ("bm25",), "factors": (64, 128), "regularization": (3.0, 10.0),
     "alpha": (1.0, 3.0)},
    # refinement around the stage-1 winner (binary, regularization 30, alpha 3)
    {"weighting": ("binary",), "factors": (64, 128), "regularization": (20.0, 50.0),
     "alpha": (3.0, 5.0)},
    {"weighting": ("binary",), "factors": (64, 128), "regularization": (100.0,),
     "alpha": (10.0,)},
    {"weighting": ("binary",), "factors": (64,), "regularization": (30.0,), "alpha": (3.0,),
     "iterations": (25,)},
    # fewer conjugate-gradient steps per solve at the chosen point (training speed)
    {"weighting": ("binary",), "factors": (64,), "regularization": (30.0,), "alpha": (3.0,),
     "cg_steps": (1, 2, 3)},
]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    common.add_datasets(ap)
    ap.add_argument("--names", nargs="*", default=list(DATASETS))
    ap.add_argument("--protocols", nargs="*", default=list(PROTOCOLS))
    ap.add_argument("--trials", type=int, default=40)
    ap.add_argument("--k", type=int, default=100)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default=str(HERE / "results" / "tuning"))
    ap.add_argument("--grid", action="store_true",
                    help="the focused grid GRID (after a random search showed where to look)")
    ap.add_argument("--stage", type=int, help="only GRID[STAGE:] (re-running a refinement)")
    ap.add_argument("--render", action="store_true",
                    help="only rewrite OUT.md from OUT.json (the current defaults marked)")
    args = ap.parse_args(argv)
    if args.render:
        return render(Path(args.out))
    if args.grid or args.stage is not None:
        stages = GRID if args.stage is None else GRID[args.stage:]
        configs = [PREVIOUS_DEFAULTS]
        for space in stages:
            configs += [c for c in grid_configs(space, GRID_BASE)
                        if c.to_dict() not in [x.to_dict() for x in configs]]
    else:
        configs = candidate_configs(args.trials, args.seed, base=PREVIOUS_DEFAULTS)
    runs: dict[str, Any] = {}
    started = datetime.now(UTC).isoformat(timespec="seconds")
    for name in args.names:
        interactions = readers.load(Path(args.datasets) / name)
        for protocol in args.protocols:
            label = f"{name}/{protocol}"
            try:
                split = make_split(interactions, protocol, args.seed)
            except InvalidParameterError as e:
                # the dataset named as under --datasets, not as the runner's own path
                said = dataset_relative(str(e), interactions.source, args.datasets)
                runs[label] = {"status": f"n/a ({said})"}
                print(f"{label}: skipped ({e})", file=sys.stderr)
                continue
            val = validation_split(split, args.seed)
            t0 = time.perf_counter()
            rows = validation_scores(val, configs, args.k, progress=sys.stderr.isatty())
            for row, cfg in zip(rows, configs, strict=True):
                row["params"]["cg_steps"] = cfg.cg_steps
            ease = {f"{lam:g}": round(objective(score_split(
                BaselineUnderTest(EASE(lam), "ease").fit_split(val), val, args.k), args.k), 5)
                for lam in EASE_LAMBDAS}
            runs[label] = {"trials": rows, "ease_validation_objective": ease,
                           "seconds": round(time.perf_counter() - t0, 1)}
            best = max((r["objective"] for r in rows), key=objective_key)
            print(f"{label}: best ALS {best:.4f}, defaults {rows[0]['objective']:.4f}, "
                  f"EASE {max(ease.values()):.4f} ({runs[label]['seconds']} s)", file=sys.stderr)
    labels = [lbl for lbl, r in runs.items() if "trials" in r]
    rel = np.array([[r["objective"] / max(x["objective"] for x in runs[lbl]["trials"])
                     for r in runs[lbl]["trials"]] for lbl in labels])  # runs x configs
    mean_rel, worst_rel = rel.mean(axis=0), rel.min(axis=0)
    order = sorted(range(len(configs)), key=lambda i: (-round(mean_rel[i], 4), -worst_rel[i]))
    ranking = [{"params": runs[labels[0]]["trials"][i]["params"],
                "mean_relative": round(float(mean_rel[i]), 4),
                "worst_relative": round(float(worst_rel[i]), 4),
                "objective": {lbl: runs[lbl]["trials"][i]["objective"] for lbl in labels}}
               for i in order]
    shipped = {k: v for k, v in TrainConfig().to_dict().items()
               if k in runs[labels[0]]["trials"][0]["params"]}
    ease_best = {lbl: max(runs[lbl]["ease_validation_objective"].values()) for lbl in labels}
    result = {"started": started, "generated": datetime.now(UTC).isoformat(timespec="seconds"),
              "machine": common.machine_facts(),
              "k": args.k, "seed": args.seed, "trials": len(configs),
              # the engine's words for what scoring.objective computes (the arithmetic mean
              # until 2026-12-01: the tuning.json of that time says "mean of")
              "objective": objective_label(runs, labels, args.k),
              "best": ranking[0],
              "reference": next(
                  r for r in ranking if r["params"] == runs[labels[0]]["trials"][0]["params"]),
              "shipped_defaults": next((r for r in ranking if r["params"] == shipped), None),
              "ease_best_validation_objective": ease_best, "ranking": ranking, "runs": runs}
    out = Path(args.out)
    write_json(result, out.with_suffix(".json"))
    out.with_suffix(".md").write_text(markdown(result, labels), encoding="utf-8")
    print(markdown(result, labels))
    return 0


def dataset_relative(text: str, source: str | None, datasets: Path) -> str:
    """``text`` (a split's refusal) with the dataset's folder ``source``
    (``Interactions.source``) written relative to the ``--datasets`` folder (``filmtrust``, or
    ``ml-100k/ml-100k`` for a layout one folder down): tuning.json recorded the absolute path
    of whoever ran it. A folder outside ``datasets`` is left as it is."""
    if not source:
        return text
    for base, path in ((Path(datasets), Path(source)),
                       (Path(datasets).resolve(), Path(source).resolve())):
        try:
            shown = path.relative_to(base).as_posix()
        except ValueError:
            continue
        return text.replace(source, shown) if shown != "." else text
    return text


def objective_label(runs: dict[str, Any], labels: list[str], k: int) -> str:
    """What the objective was on the splits, in ``recommender.evaluation.tuning``'s words for
    each split's best trial (the geometric mean, or the one recall a split could measure)."""
    said = {lbl: _objective_text(max(runs[lbl]["trials"],
                                     key=lambda r: objective_key(r["objective"])), k, USER_K)
            for lbl in labels}
    where = "the validation split carved out of each dataset x protocol's training part"
    if len(set(said.values())) == 1:
        return f"{next(iter(said.values()))} ({where})"
    return "; ".join(f"{lbl}: {text}" for lbl, text in said.items()) + f" ({where})"


def render(out: Path) -> int:
    """Rewrite ``out``.md from ``out``.json, with the defaults of the code as it is now."""
    path = out.with_suffix(".json")
    if not path.is_file():
        raise SystemExit(f"{path} is missing: run benchmarks/tune_defaults.py --grid first")
    result = json.loads(path.read_text(encoding="utf-8"))
    labels = [lbl for lbl, r in result["runs"].items() if "trials" in r]
    out.with_suffix(".md").write_text(markdown(result, labels), encoding="utf-8")
    print(f"wrote {out.with_suffix('.md')}", file=sys.stderr)
    return 0


def current_defaults(result: dict[str, Any]) -> dict[str, Any] | None:
    """The ranking's row of the defaults ``TrainConfig`` has now. The file records the row
    that was shipped when it was run (``shipped_defaults``), which a later change of default
    (2 CG steps, then back to 3) leaves pointing at another row."""
    keys = result["ranking"][0]["params"]
    now = {k: v for k, v in TrainConfig().to_dict().items() if k in keys}
    return next((r for r in result["ranking"] if r["params"] == now), None)


def markdown(result: dict[str, Any], labels: list[str]) -> str:
    head = "| config | mean rel. | worst rel. | " + " | ".join(labels) + " |"
    lines = ["# Default selection across datasets (validation splits of the training parts)",
             "", f"Objective: {result['objective']}. *mean rel.* and *worst rel.*: the mean "
             "and the lowest, over the splits, of a configuration's objective divided by the "
             "best configuration's on the same split (1 = the best on every split).", "",
             f"Run {when(result)}, "
             f"{provenance(result.get('machine'))}, load average at start "
             f"{common.load_text((result.get('machine') or {}).get('load_average_at_start'))}.",
             "", head,
             "|" + "---|" * (3 + len(labels))]
    rows = result["ranking"][:10]
    shipped = current_defaults(result)
    # the shipped defaults with other CG step counts (the speed/quality trade-off)
    cg_variants = [] if shipped is None else [
        r for r in result["ranking"]
        if {**r["params"], "cg_steps": 0} == {**shipped["params"], "cg_steps": 0}]
    for extra in (shipped, result["shipped_defaults"], *cg_variants, result["reference"]):
        if extra is not None and extra not in rows:
            rows = rows + [extra]
    for r in rows:
        desc = _desc(r["params"])
        if r is result["reference"]:
            desc += " (previous defaults)"
        if r == shipped:
            desc += " (**shipped defaults**)"
        elif r == result["shipped_defaults"]:
            desc += " (the defaults when this was run)"
        lines.append(f"| {desc} | {r['mean_relative']:.3f} | {r['worst_relative']:.3f} | "
                     + " | ".join(_f(r["objective"][lbl]) for lbl in labels) + " |")
    lines.append("| EASE (best lambda on the same split) | | | "
                 + " | ".join(_f(result["ease_best_validation_objective"][lbl]) for lbl in labels)
                 + " |")
    skipped = skipped_lines(result)
    return "\n".join([*lines, "", *skipped, *([""] if skipped else []),
                      *defaults_line(result, shipped), "",
                      *ease_line(result, labels, shipped)]) + "\n"


def skipped_lines(result: dict[str, Any]) -> list[str]:
    """The splits a dataset could not make (the time protocol of data without timestamps),
    with the note tuning.json records, said under the table that leaves them out."""
    skipped = {lbl: run["status"] for lbl, run in result.get("runs", {}).items()
               if "trials" not in run}
    if not skipped:
        return []
    return ["Not scored, so not in the table: " + "; ".join(
        f"{lbl}, {named_by_dataset(status, lbl)}" for lbl, status in skipped.items()) + "."]


def named_by_dataset(note: str, label: str) -> str:
    """``note`` with an absolute path to the split's dataset written as the dataset's name
    (``filmtrust``): a tuning.json written before ``dataset_relative`` recorded the runner's
    own ``/tmp/numbers/shared/datasets/filmtrust``, which no reader's machine has."""
    name = label.split("/")[0]
    return re.sub(r"(?<![\w.~-])/[^\s;,()]*/" + re.escape(name) + r"(?![\w.-])", name, note)


def when(result: dict[str, Any]) -> str:
    """When the run started and ended (a run before ``started`` was kept: its end alone)."""
    end = result.get("generated")
    if end is None:
        return "at a time not recorded"
    return f"{result['started']} to {end}" if result.get("started") else end


def _desc(p: dict[str, Any]) -> str:
    return (f"{p['weighting']} f={p['factors']} it={p['iterations']} "
            f"reg={p['regularization']} a={p['alpha']} cg={p.get('cg_steps', 3)}"
            + (f" k1={p['bm25_k1']} b={p['bm25_b']}" if p["weighting"] == "bm25" else ""))


def defaults_line(result: dict[str, Any], shipped: dict[str, Any] | None) -> list[str]:
    """Whether the shipped defaults are still the best configuration under this run's
    objective, in words (the defaults were chosen under an earlier one)."""
    if shipped is None:
        return ["The shipped defaults are not among the configurations this run scored."]
    ranking = result["ranking"]
    rank = ranking.index(shipped) + 1
    best = ranking[0]
    if rank == 1:
        return [f"The shipped defaults rank first of {len(ranking)} configurations under this "
                "objective (mean rel., ties broken by worst rel.)."]
    return [f"The shipped defaults are not the best under this objective: they rank "
            f"{rank} of {len(ranking)} by mean rel. (ties broken by worst rel.), at "
            f"{shipped['mean_relative']:.3f} mean and {shipped['worst_relative']:.3f} worst, "
            f"where the best, {_desc(best['params'])}, scores {best['mean_relative']:.3f} and "
            f"{best['worst_relative']:.3f}. The defaults were not changed with this run."]


def ease_line(result: dict[str, Any], labels: list[str], shipped: dict[str, Any] | None
              ) -> list[str]:
    """The splits where EASE's best validation objective is above the shipped defaults', said
    in words (the table's last row showed it, with no sentence)."""
    if shipped is None:
        return []
    ease = result["ease_best_validation_objective"]
    above = [lbl for lbl in labels if ease.get(lbl) is not None
             and shipped["objective"].get(lbl) is not None
             and ease[lbl] > shipped["objective"][lbl]]
    if not above:
        return [f"EASE's best is at or below the shipped defaults on all {len(labels)} splits."]
    return [f"EASE's best is above the shipped defaults on {len(above)} of {len(labels)} "
            "splits: " + "; ".join(f"{lbl} ({_f(ease[lbl])} against "
                                   f"{_f(shipped['objective'][lbl])})" for lbl in above) + "."]


def _f(x: float | None) -> str:
    return "n/a" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.4f}"


if __name__ == "__main__":
    raise SystemExit(main())
