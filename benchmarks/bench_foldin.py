"""How close a watch list's recommendations (fold-in) come to a trained user's, per model.

A viewer the model does not know gets recommendations from the films they watched
(``recommend_from_history``: one ALS least-squares step against the film vectors; EASE's
exact linear map; BPR and LMF have no user step of their own, so the same ALS step over their
film vectors stands in). This measures how far that stand-in is from what training gave a
user with the same history: for each dataset (MovieLens 100K and latest-small, read in place)
and each model (``train``'s defaults for ALS, BPR, LMF and the EASE family, no tuning), for
``--users`` users drawn with a fixed seed among those with 5 or more training films, the
top-10 of the user's own trained vector and the top-10 folded in from the user's watched
films (watched films excluded from both), and the share of the 10 they have in common.

    nice -n 10 python benchmarks/bench_foldin.py [--datasets ../shared/datasets] [--users 200]

Writes benchmarks/results/foldin.json and foldin.md.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

from recommender.io import readers
from recommender.model.config import TrainConfig
from recommender.model.training import train
from recommender.query.recommend import recommend_from_history, recommend_user

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402

DATASETS = ("ml-100k", "ml-latest-small")
MODELS: dict[str, dict[str, str]] = {  # name -> TrainConfig fields
    "ALS": {"model": "als"}, "EASE": {"family": "ease"}, "BPR": {"model": "bpr"},
    "LMF": {"model": "lmf"}}
K = 10
MIN_FILMS = 5
SEED = 7


def overlaps(name: str, fields: dict[str, str], data: Any, n_users: int) -> dict[str, Any]:
    """Train ``name`` on ``data`` and compare trained and folded-in top-``K`` lists."""
    started = time.perf_counter()
    with threadpool_limits(1, "blas"):
        model = train(data, TrainConfig(**fields), progress=False)
    fit_s = time.perf_counter() - started
    users = np.flatnonzero(np.diff(model.seen.indptr) >= MIN_FILMS)  # films per user
    picked = np.random.default_rng(SEED).choice(users, min(n_users, len(users)),
                                                replace=False)
    shared = []
    for u in np.sort(picked).tolist():  # a benchmark's loop: one list per user, as served
        uid = str(model.users.ids[u])
        watched = [str(f) for f in model.films.ids[model.user_films(u)].tolist()]
        own = set(recommend_user(model, uid, K).film_idx.tolist())
        folded = set(recommend_from_history(model, watched, K).film_idx.tolist())
        shared.append(len(own & folded) / K)
    values = np.asarray(shared)
    return {"model": name, "users": len(values), "fit_s": round(fit_s, 1),
            "mean_overlap": round(float(values.mean()), 4),
            "median_overlap": round(float(np.median(values)), 4),
            "at_least_9_of_10": round(float((values >= 0.9).mean()), 4)}


def markdown(result: dict[str, Any]) -> str:
    lines = ["# Fold-in against training", "",
             f"Written by `benchmarks/bench_foldin.py` {common.run_date(result)} "
             f"({common.provenance(result.get('machine'))}).", "", "## Summary", "",
             f"For {result['users']} users per dataset with {MIN_FILMS} or more training films "
             f"(seed {SEED}), the share of the top {K} recommended from the user's watched "
             "films (fold-in) that the user's own trained vector also recommends (watched "
             "films excluded from both; `train`'s defaults, no tuning):", "",
             "| dataset | model | mean overlap | median | users with 9+ of 10 |",
             "|---|---|---|---|---|"]
    for row in result["rows"]:
        lines.append(f"| {row['dataset']} | {row['model']} | {row['mean_overlap']:.0%} | "
                     f"{row['median_overlap']:.0%} | {row['at_least_9_of_10']:.0%} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    common.add_datasets(ap, help="folder holding ml-100k/ and ml-latest-small/ (default "
                                 "../shared/datasets)")
    ap.add_argument("--users", type=int, default=200, help="users per dataset (default 200)")
    ap.add_argument("--out", type=Path, default=common.RESULTS_DIR / "foldin",
                    help="write OUT.json and OUT.md (default benchmarks/results/foldin)")
    args = ap.parse_args(argv)
    if args.users < 1:
        ap.error("--users must be at least 1")
    machine = common.machine_facts()
    rows = []
    for name in DATASETS:
        data = readers.load(args.datasets / name)
        for model, fields in MODELS.items():
            common.log(f"{name}: {model}")
            rows.append({"dataset": name, **overlaps(model, fields, data, args.users)})
    result = {"benchmark": "foldin", "machine": machine, "users": args.users, "k": K,
              "rows": rows,
              # when the run ended (the README's copy names its day: the file kept none)
              "finished": common.run_end(machine)}
    common.write_json_and_md(args.out, result, markdown)
    print(f"wrote {args.out.with_suffix('.json')} and .md", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
