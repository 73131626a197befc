"""Training speed: seconds per ALS iteration at 64 and 128 factors (bare ``implicit``), and
the whole ``recommender train`` wall time as a ratio to a bare ``implicit`` fit on the same
matrix with the same parameters, with peak memory and a breakdown of where the time goes.

The bare fit is ``implicit.cpu.als.AlternatingLeastSquares(...).fit(conf)`` on the BM25
confidence matrix ``recommender train`` builds (same factors, regularization, alpha,
iterations, seed; BLAS limited to one thread as implicit recommends), timed from the call to
``fit`` to its return. Runs alternate baseline / engine so both sides see the same machine
load; medians are reported.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Any

import common

SCRIPT = Path(__file__).resolve()


# --------------------------------------------------------------------------------------------
# Worker steps (each runs in a fresh process)
# --------------------------------------------------------------------------------------------


def _conf_matrix(folder: str) -> Any:
    from recommender import data
    from recommender.config import TrainConfig
    from recommender.weighting import confidence

    cfg = TrainConfig()
    inter = data.load(Path(folder) / "interactions.parquet")
    return confidence(inter, cfg.weighting, cfg.bm25_k1, cfg.bm25_b)


def step_bare_fit(folder: str, factors: int, iterations: int) -> dict[str, Any]:
    """A bare implicit ALS fit on the engine's confidence matrix; per-iteration times."""
    from implicit.cpu.als import AlternatingLeastSquares
    from threadpoolctl import threadpool_limits

    from recommender.config import TrainConfig

    cfg = TrainConfig(factors=factors, iterations=iterations)
    conf = _conf_matrix(folder)
    per_iter: list[float] = []
    with threadpool_limits(1, "blas"):
        als = AlternatingLeastSquares(factors=cfg.factors, regularization=cfg.regularization,
                                      alpha=cfg.alpha, iterations=cfg.iterations,
                                      random_state=cfg.seed, calculate_training_loss=False)
        t0 = time.perf_counter()
        als.fit(conf, show_progress=False,
                callback=lambda it, elapsed, loss: per_iter.append(float(elapsed)))
        fit_s = time.perf_counter() - t0
    return {"fit_s": round(fit_s, 3), "iteration_s": [round(x, 4) for x in per_iter],
            "nnz": int(conf.nnz), "shape": list(conf.shape)}


def step_engine_breakdown(folder: str, factors: int, iterations: int, out: str
                          ) -> dict[str, Any]:
    """``data.load`` + ``train`` + ``artifact.save`` in-process, with each stage timed by
    wrapping the library functions ``train`` calls (no change to their behaviour)."""
    from recommender import artifact, calibration, data, segments, training
    from recommender.config import TrainConfig

    spent: dict[str, float] = {}

    def wrap(module: Any, name: str, label: str) -> None:
        fn = getattr(module, name)

        def timed(*a: Any, **kw: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return fn(*a, **kw)
            finally:
                spent[label] = spent.get(label, 0.0) + time.perf_counter() - t0

        setattr(module, name, timed)

    wrap(training, "confidence", "confidence matrices (BM25)")
    wrap(training, "fit_factors", "ALS fits (calibration split + warm refit)")
    wrap(calibration, "measure", "tier calibration scoring")
    wrap(segments, "kmeans", "segments: k-means")
    wrap(segments, "describe", "segments: descriptions")
    wrap(training, "holdout_mask", "holdout split")
    t0 = time.perf_counter()
    inter = data.load(Path(folder) / "interactions.parquet",
                      films=Path(folder) / "films.csv", users=Path(folder) / "users.csv")
    t_load = time.perf_counter() - t0
    t1 = time.perf_counter()
    model = training.train(inter, TrainConfig(factors=factors, iterations=iterations),
                           progress=False)
    t_train = time.perf_counter() - t1
    t2 = time.perf_counter()
    artifact.save(model, out)
    t_save = time.perf_counter() - t2
    shutil.rmtree(out, ignore_errors=True)
    stages = {"load (Parquet + catalog + users)": t_load, **spent,
              "save model folder": t_save}
    accounted = sum(spent.values())
    stages["other (subsets, CSR builds, metadata)"] = t_train - accounted
    return {"load_s": round(t_load, 3), "train_s": round(t_train, 3),
            "save_s": round(t_save, 3), "total_s": round(t_load + t_train + t_save, 3),
            "stages_s": {k: round(v, 3) for k, v in stages.items()}}


STEPS = {"bare_fit": step_bare_fit, "engine_breakdown": step_engine_breakdown}


# --------------------------------------------------------------------------------------------
# Driver
# --------------------------------------------------------------------------------------------


def run(quick: bool, repeats: int | None = None) -> dict[str, Any]:
    shape = common.main_shape(quick)
    folder = common.ensure_data(shape)
    reps = repeats or (2 if quick else 3)
    tmp_out = common.DATA_DIR / f"{shape.name}-train-bench-model"
    bare64: list[dict[str, Any]] = []
    cli: list[dict[str, Any]] = []
    for r in range(reps):
        common.log(f"train {shape.name}: bare implicit fit 64 factors (run {r + 1}/{reps})")
        bare64.append(common.run_worker(SCRIPT, "bare_fit", {
            "folder": str(folder), "factors": 64, "iterations": 15}))
        common.log(f"train {shape.name}: recommender train (run {r + 1}/{reps})")
        res = common.run_command(common.train_command(folder, tmp_out, 64, 15))
        if res["returncode"] != 0:
            raise common.WorkerError(f"recommender train failed:\n{res['output']}")
        cli.append(res)
    shutil.rmtree(tmp_out, ignore_errors=True)
    common.log(f"train {shape.name}: bare implicit fit 128 factors")
    iters128 = 5
    bare128 = [common.run_worker(SCRIPT, "bare_fit", {
        "folder": str(folder), "factors": 128, "iterations": iters128})
        for _ in range(1 if quick else 2)]
    common.log(f"train {shape.name}: stage breakdown")
    breakdown = common.run_worker(SCRIPT, "engine_breakdown", {
        "folder": str(folder), "factors": 64, "iterations": 15, "out": str(tmp_out)})
    fit64 = common.median([b["fit_s"] for b in bare64])
    cli_wall = common.median([c["wall_s"] for c in cli])
    it64 = [x for b in bare64 for x in b["iteration_s"]]
    it128 = [x for b in bare128 for x in b["iteration_s"]]
    return {
        "shape": vars(shape),
        "params": {"factors": 64, "iterations": 15, "regularization": 0.05, "alpha": 2.0,
                   "weighting": "bm25", "model": "als"},
        "repeats": reps,
        "bare_fit_64": {"fit_s": common.stats([b["fit_s"] for b in bare64], digits=3),
                        "peak_rss_mb": max(b["peak_rss_mb"] for b in bare64),
                        "nnz": bare64[0]["nnz"]},
        "iteration_s": {"64": common.stats(it64), "128": common.stats(it128)},
        "cli_train": {"wall_s": common.stats([c["wall_s"] for c in cli], digits=3),
                      "peak_rss_mb": max(c["peak_rss_mb"] for c in cli),
                      "peak_rss_mb_median": common.median([c["peak_rss_mb"] for c in cli]),
                      "command": " ".join(common.train_command(folder, Path("MODEL_DIR"))
                                          ).replace(str(common.ROOT) + "/", ""),
                      "last_output": cli[-1]["output"].strip().splitlines()[-2:]},
        "ratio_cli_to_bare": round(cli_wall / fit64, 3),
        "ratio_train_to_bare": round(breakdown["train_s"] / fit64, 3),
        "breakdown": breakdown,
        "runs": {"bare_fit_64": [{k: v for k, v in b.items() if k != "iteration_s"}
                                 for b in bare64],
                 "cli_train": [{k: v for k, v in c.items() if k != "output"} for c in cli]},
    }


def main() -> int:
    if common.worker_main(STEPS):
        return 0
    ap = common.base_args(__doc__.split("\n\n")[0])
    ap.add_argument("--repeats", type=int)
    args = ap.parse_args()
    common.write_result("train", run(args.quick, args.repeats), args.quick)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
