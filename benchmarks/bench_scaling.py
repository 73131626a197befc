"""Scaling curve: training time and audience latency against the number of interactions
(1M, 5M and the ML-20M shape's 20M; 200k, 500k and 1M with ``--quick``). Shapes keep the
ML-20M proportions (users in proportion to interactions, films with the square root).

Per size, in one fresh process: ``train()`` (the library call behind ``recommender train``:
calibration fit, warm refit, calibration scoring, segments; loading and saving excluded) and
a bare ``implicit`` fit on the same confidence matrix with the same parameters, then
``film_audience`` (k=100, exclude-seen) p50/p99 over films drawn uniformly, with the numpy
floor alongside. The ML-20M point is taken from ``train.json``/``query.json`` when both
were written at the same shape since ``--reuse-since`` (``run_all.py`` passes the time its
suite started, so only results of that run are reused), else measured here.
"""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path
from typing import Any

import common
import numpy as np

SCRIPT = Path(__file__).resolve()
FULL_SIZES = ("1m", "5m", "ml20m")
QUICK_SIZES = ("200k", "500k", "1m")


def step_point(folder: str, factors: int, iterations: int, n_films: int) -> dict[str, Any]:
    from implicit.cpu.als import AlternatingLeastSquares
    from threadpoolctl import threadpool_limits

    from recommender.io import readers
    from recommender.model.config import TrainConfig
    from recommender.model.training import train
    from recommender.model.weighting import confidence
    from recommender.query.audience import film_audience

    cfg = TrainConfig(factors=factors, iterations=iterations)
    inter = readers.load(Path(folder) / "interactions.parquet")
    conf = confidence(inter, cfg.weighting, cfg.bm25_k1, cfg.bm25_b)
    with threadpool_limits(1, "blas"):
        als = AlternatingLeastSquares(factors=cfg.factors, regularization=cfg.regularization,
                                      alpha=cfg.alpha, iterations=cfg.iterations,
                                      random_state=cfg.seed, calculate_training_loss=False)
        als.cg_steps = cfg.cg_steps  # a setting, not a constructor argument, in implicit 0.7
        t0 = time.perf_counter()
        als.fit(conf, show_progress=False)
        bare = time.perf_counter() - t0
    del als, conf
    t1 = time.perf_counter()
    model = train(inter, cfg, progress=False)
    t_train = time.perf_counter() - t1
    rng = np.random.default_rng(0)
    films = rng.integers(model.n_films, size=n_films)
    uf, ff = model.user_factors, model.film_factors
    for f in films[:5]:
        film_audience(model, str(model.films.ids[f]), k=100)
    eng, floor = [], []
    for f in films.tolist():
        t0 = time.perf_counter()
        s = uf @ ff[f]
        np.argpartition(-s, 99)[:100]
        t1 = time.perf_counter()
        film_audience(model, str(model.films.ids[f]), k=100)
        floor.append(t1 - t0)
        eng.append(time.perf_counter() - t1)
    return {"train_s": round(t_train, 3), "bare_fit_s": round(bare, 3),
            "audience_ms": common.stats(eng, 1000), "audience_floor_ms": common.stats(floor, 1000),
            "users": model.n_users, "films": model.n_films, "interactions": len(inter)}


STEPS = {"point": step_point}


def reusable(result: dict[str, Any] | None, shape: dict[str, Any],
             since: datetime | None) -> bool:
    """Whether ``train.json``/``query.json`` may stand for this size's point: measured at this
    shape and finished at or after ``since`` (None: never). Reusing whatever file was there
    put a 166 s ``train()`` from an earlier run beside train.json's 57 s bare fit of a later
    one in the README."""
    if since is None or not result or result.get("shape") != shape:
        return False
    try:
        return datetime.fromisoformat(result["finished"]) >= since
    except (KeyError, TypeError, ValueError):
        return False


def run(quick: bool, since: datetime | None = None) -> dict[str, Any]:
    from scale_data import shape_by_name

    points = []
    for name in (QUICK_SIZES if quick else FULL_SIZES):
        shape = shape_by_name(name)
        train_res = common.read_result("train", quick)
        query_res = common.read_result("query", quick)
        if reusable(train_res, vars(shape), since) and reusable(query_res, vars(shape), since):
            assert train_res is not None and query_res is not None
            common.log(f"scaling {name}: reusing train.json and query.json")
            points.append({
                "name": name, **vars(shape), "source": "train.json + query.json",
                "source_finished": {"train": train_res["finished"],
                                    "query": query_res["finished"]},
                "train_s": train_res["breakdown"]["train_s"],
                "bare_fit_s": train_res["bare_fit_64"]["fit_s"]["median"],
                "audience_ms": query_res["audience_ms"],
                "audience_floor_ms": query_res["audience_floor_ms"],
            })
            continue
        folder = common.ensure_data(shape)
        common.log(f"scaling {name}: train + bare fit + audiences")
        res = common.run_worker(SCRIPT, "point", {"folder": str(folder), "factors": 64,
                                                  "iterations": 15, "n_films": 300})
        points.append({"name": name, **vars(shape), "source": "measured here",
                       **{k: v for k, v in res.items() if k not in ("users", "films")},
                       "peak_rss_mb": res["peak_rss_mb"]})
    return {"params": {"factors": 64, "iterations": 15}, "points": points}


def main() -> int:
    if common.worker_main(STEPS):
        return 0
    ap = common.base_args(__doc__.split("\n\n")[0])
    ap.add_argument("--reuse-since", type=datetime.fromisoformat, metavar="ISO_TIME",
                    help="take a size's point from train.json and query.json when both were "
                         "measured at that shape since this time (with its UTC offset); "
                         "without it every size is measured here")
    args = ap.parse_args()
    common.write_result("scaling", run(args.quick, args.reuse_since), args.quick)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
