"""Figures the README states about the demo, measured: who its user attributes single out, and
how far a watch list's old fold-in step was from the trained vectors, and a slate's screens
against each film's share.

- **Singled out**: the share of the demo's users (``recommender demo-data``'s defaults) who
  are the only ones with their age, gender, occupation and cinema (why a pseudonymised export
  carries user attributes only when they single nobody out).
- **Fold-in step**: for each weighting (binary, rating, bm25; the demo trained with
  ``--no-tune`` values otherwise), ``--users`` training users drawn with a fixed seed: the
  distance from each one's trained vector to the vector folded in from their films by the
  step served now (``fold_in_history``: training's confidence, ``alpha`` x one view) and by
  the step served before ea6e8a4c (``1 + alpha``, the closed form
  ``(YtY + alpha YuᵀYu + reg I)^-1 (1 + alpha) sum y``); the median distance of each, and
  their ratio.
- **Top ten**: the demo model trained as ``make demo`` trains it (defaults, tuning on): every
  user's ten recommendations (``recommend MODEL --all --k 10``), and the films that are in
  more than half of the users' top ten, with the share of users for each (what a popularity
  prior does to the lists).
- **Slate**: the demo catalog's first ``SLATE_FILMS`` films opening together on its cinema
  table's screens (the model trained with ``--no-tune`` values): the screens of the film
  with the most expected new viewers against its share of all the films' expected new
  viewers, and the films left without a screen.

    nice -n 10 python benchmarks/demo_figures.py [--users 300]

Writes benchmarks/results/demo_figures.json and .md; ``scripts/readme_results.py`` copies the
figures into the README's sentences that state them.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from recommender.io import demo, readers
from recommender.model.config import TrainConfig
from recommender.model.foldin import fold_in_history
from recommender.model.model import Model
from recommender.model.training import train

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402

ATTRIBUTES = ("age", "gender", "occupation", "cinema")
WEIGHTINGS = ("binary", "rating", "bm25")
SEED = 7
SLATE_FILMS = 50


def singled_out(users_csv: Path) -> dict[str, Any]:
    """The users who are the only ones with their ``ATTRIBUTES`` values."""
    import pandas as pd

    users = pd.read_csv(users_csv, dtype=str, keep_default_na=False)
    size = users.groupby(list(ATTRIBUTES))["user_id"].transform("size")
    alone = int((size == 1).sum())
    return {"attributes": list(ATTRIBUTES), "users": len(users), "alone": alone,
            "share": round(alone / len(users), 4)}


def old_step(model: Model, films: Any) -> Any:
    """The watch list's fold-in before ea6e8a4c: confidence ``1 + alpha`` per film."""
    params = model.meta["params"]
    alpha, reg = float(params["alpha"]), float(params["regularization"])
    y = np.asarray(model.film_factors, np.float64)
    yi = y[films]
    return np.linalg.solve(y.T @ y + alpha * yi.T @ yi + reg * np.eye(y.shape[1]),
                           (1 + alpha) * yi.sum(axis=0))


def slate_screens(model: Model, folder: Path) -> dict[str, Any]:
    """The first ``SLATE_FILMS`` films of the demo's ``films.csv`` on its cinemas' screens:
    each film's screens against its share of the films' expected new viewers."""
    import pandas as pd

    from recommender.distribution.slate import plan_slate
    from recommender.distribution.slate_file import SlateFilm
    from recommender.io.places import read_cinemas

    ids = pd.read_csv(folder / "films.csv", dtype=str)["film_id"].head(SLATE_FILMS).tolist()
    body = plan_slate(model, [SlateFilm(f) for f in ids], read_cinemas(folder / "cinemas.csv"))
    films = sorted(body["films"], key=lambda f: -f["expected_new"])  # rank 1 the most
    total = sum(f["screens"] for f in films)
    new = sum(f["expected_new"] for f in films)
    none = [rank for rank, f in enumerate(films, 1) if f["screens"] == 0]
    return {"films": len(films), "screens": total,
            "top_screens": films[0]["screens"],
            "top_share_screens": round(total * films[0]["expected_new"] / new, 1),
            "without_screens": len(none), "first_rank_without": none[0] if none else None,
            "ranked": [{"film_id": f["film_id"], "screens": f["screens"],
                        "expected_new": f["expected_new"]} for f in films]}


def top_ten(folder: Path, out: Path) -> dict[str, Any]:
    """Train as ``make demo`` does (``recommender train``, defaults, tuning on) into ``out``,
    and count, for each film, the users whose top ten (``batch_recommendations``, k=10, seen
    films excluded: ``recommend MODEL --all --k 10``) holds it: the films in more than half
    of the users' lists."""
    import subprocess

    from recommender.model.artifact import load
    from recommender.query.recommend import batch_recommendations

    subprocess.run([sys.executable, "-m", "recommender.cli", "train", "--data", str(folder),
                    "--out", str(out)], check=True, capture_output=True)
    model = load(out)
    n_users = int(model.user_factors.shape[0])
    hits = np.zeros(int(model.rec_films.shape[0]), np.int64)
    for _, films, _, counts in batch_recommendations(model, np.arange(n_users), k=10):
        real = np.arange(films.shape[1])[None, :] < np.asarray(counts)[:, None]
        np.add.at(hits, np.asarray(films)[real], 1)
    order = np.argsort(-hits, kind="stable")
    most = [{"film_id": str(model.films.ids[f]), "users": int(hits[f]),
             "share": round(float(hits[f]) / n_users, 4)} for f in order[:10]]
    return {"users": n_users, "k": 10,
            "popularity": model.meta["params"].get("popularity"),
            "films_in_most_lists": int((hits * 2 > n_users).sum()), "most": most}


def fold_in_distances(data: Any, weighting: str, n_users: int,
                      models: dict[str, Model]) -> dict[str, Any]:
    """Median distances to the trained vectors of the step served now and the old one (the
    model kept in ``models`` by weighting)."""
    started = time.perf_counter()
    model = train(data, TrainConfig(weighting=weighting, tune=False), progress=False)
    models[weighting] = model
    fit_s = time.perf_counter() - started
    users = np.flatnonzero(np.diff(model.seen.indptr) > 0)
    picked = np.sort(np.random.default_rng(SEED).choice(users, min(n_users, len(users)),
                                                        replace=False))
    trained = np.asarray(model.user_factors, np.float64)
    now, before = [], []
    for u in picked.tolist():  # a benchmark's loop: one watch list per user, as served
        films = model.user_films(u)
        now.append(np.linalg.norm(fold_in_history(model, films) - trained[u]))
        before.append(np.linalg.norm(old_step(model, films) - trained[u]))
    med_now, med_before = float(np.median(now)), float(np.median(before))
    return {"weighting": weighting, "users": len(picked), "fit_s": round(fit_s, 1),
            "median_distance_now": round(med_now, 4),
            "median_distance_before": round(med_before, 4),
            "ratio": round(med_before / med_now, 1),
            "median_trained_norm": round(float(np.median(
                np.linalg.norm(trained[picked], axis=1))), 4)}


def markdown(result: dict[str, Any]) -> str:
    """The page: each figure and what it measures."""
    s = result["singled_out"]
    rows = result["fold_in"]
    ratios = [r["ratio"] for r in rows]
    lines = ["# Figures the README states about the demo", "",
             f"Written by `benchmarks/demo_figures.py` on {result['finished']} "
             f"({common.provenance(result.get('machine'))}).", "",
             "## Singled out", "",
             f"Of the demo's {s['users']:,} users, {s['alone']:,} ({s['share']:.0%}) are the "
             f"only ones with their {', '.join(s['attributes'])}.", "",
             "## Fold-in step", "",
             f"Median distance from a training user's trained vector to the vector folded in "
             f"from their films ({rows[0]['users']} users a weighting, demo trained with "
             "`--no-tune` values): the step served now (training's confidence) and the step "
             f"before ea6e8a4c (`1 + alpha`): the old one {min(ratios):g} to {max(ratios):g}x "
             "as far.", "",
             "| weighting | now | before (1 + alpha) | before / now | median trained norm |",
             "|---|---|---|---|---|"]
    lines += [f"| {r['weighting']} | {r['median_distance_now']:.4f} | "
              f"{r['median_distance_before']:.4f} | {r['ratio']:g}x | "
              f"{r['median_trained_norm']:.4f} |" for r in rows]
    tt = result.get("top_ten")
    if tt:
        lines += ["", "## Top ten", "",
                  f"The demo model trained with the defaults (tuning on; popularity weight "
                  f"{tt['popularity']:g} chosen): {tt['films_in_most_lists']} films are each in "
                  f"more than half of the {tt['users']:,} users' top {tt['k']} "
                  "(`recommend MODEL --all --k 10`). The films most often in a top ten:", "",
                  "| film | users | share of users |", "|---|---|---|"]
        lines += [f"| {m['film_id']} | {m['users']:,} | {m['share']:.1%} |" for m in tt["most"]]
    sl = result.get("slate")
    if sl:
        lines += ["", "## Slate", "",
                  f"The demo catalog's first {sl['films']} films on its {sl['screens']} "
                  "screens (the model trained with `--no-tune` values; `plan_slate`): "
                  + slate_text(sl) + "."]
    return "\n".join(lines) + "\n"


def slate_text(sl: dict[str, Any]) -> str:
    """The slate's figure as the README's sentence states it."""
    none = (f"none for {sl['without_screens']} of the {sl['films']}, the first "
            f"at rank {sl['first_rank_without']} by expected new viewers"
            if sl["without_screens"] else "a screen for every film")
    return (f"{sl['top_screens']} screens for the top film against "
            f"{sl['top_share_screens']:.1f} by its share of the expected new viewers, {none}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("--users", type=int, default=300,
                    help="training users a weighting for the fold-in step (default 300)")
    ap.add_argument("--out", type=Path, default=common.RESULTS_DIR / "demo_figures",
                    help="write OUT.json and OUT.md (default benchmarks/results/demo_figures)")
    args = ap.parse_args(argv)
    if args.users < 1:
        ap.error("--users must be at least 1")
    machine = common.machine_facts()
    with tempfile.TemporaryDirectory() as tmp:
        folder = demo.generate(Path(tmp) / "demo")
        alone = singled_out(folder / "users.csv")
        data = readers.load(folder)
        rows: list[dict[str, Any]] = []
        models: dict[str, Model] = {}
        for weighting in WEIGHTINGS:
            common.log(f"fold-in step, weighting {weighting}")
            rows.append(fold_in_distances(data, weighting, args.users, models))
        slate = slate_screens(models[TrainConfig().weighting], folder)
        common.log("top ten, the demo model trained with tuning on")
        ten = top_ten(folder, Path(tmp) / "model")
    result = {"benchmark": "demo_figures", "machine": machine, "singled_out": alone,
              "fold_in": rows, "slate": slate, "top_ten": ten,
              "finished": common.run_end(machine)}
    common.write_json_and_md(args.out, result, markdown)
    print(markdown(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
