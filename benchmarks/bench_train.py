"""Training speed: seconds per ALS iteration at 64 and 128 factors (bare ``implicit``), and
the whole ``recommender train --no-tune`` wall time as a ratio to a bare ``implicit`` fit on
the same matrix with the same parameters, with peak memory and a breakdown of where the time
goes; and ``recommender train`` as a user runs it (tuning on) against ``--no-tune``.

The bare fit is ``implicit.cpu.als.AlternatingLeastSquares(...).fit(conf)`` on the
confidence matrix ``recommender train`` builds (same factors, regularization, alpha,
iterations, CG steps, seed; BLAS limited to one thread as implicit recommends), timed from the
call to ``fit`` to its return. Runs alternate baseline / engine so both sides see the same machine
load; medians are reported.
"""

from __future__ import annotations

import json
import shutil
import sys
import time
from pathlib import Path
from typing import Any

import common

SCRIPT = Path(__file__).resolve()


# --------------------------------------------------------------------------------------------
# Worker steps (each runs in a fresh process)
# --------------------------------------------------------------------------------------------


PARAM_NAMES = ("model", "factors", "iterations", "regularization", "alpha", "cg_steps",
               "weighting", "bm25_k1", "bm25_b", "seed", "segments", "holdout", "warm_iterations")


def params_now(factors: int = 64, iterations: int = 15) -> dict[str, Any]:
    """The engine's default training parameters (read once, passed to both sides, so a change
    of defaults in the tree during a run cannot make the two sides differ)."""
    from recommender.model.config import TrainConfig

    d = TrainConfig(factors=factors, iterations=iterations).to_dict()
    return {k: d[k] for k in PARAM_NAMES}


def step_bare_fit(folder: str, params: dict[str, Any]) -> dict[str, Any]:
    """A bare implicit ALS fit on the engine's confidence matrix; per-iteration times."""
    from implicit.cpu.als import AlternatingLeastSquares
    from threadpoolctl import threadpool_limits

    from recommender.io import readers
    from recommender.model.config import TrainConfig
    from recommender.model.weighting import confidence

    cfg = TrainConfig.from_dict(params)
    inter = readers.load(Path(folder) / "interactions.parquet")
    conf = confidence(inter, cfg.weighting, cfg.bm25_k1, cfg.bm25_b)
    del inter
    per_iter: list[float] = []
    with threadpool_limits(1, "blas"):
        als = AlternatingLeastSquares(factors=cfg.factors, regularization=cfg.regularization,
                                      alpha=cfg.alpha, iterations=cfg.iterations,
                                      random_state=cfg.seed, calculate_training_loss=False)
        als.cg_steps = cfg.cg_steps
        t0 = time.perf_counter()
        als.fit(conf, show_progress=False,
                callback=lambda it, elapsed, loss: per_iter.append(float(elapsed)))
        fit_s = time.perf_counter() - t0
    return {"fit_s": round(fit_s, 3), "iteration_s": [round(x, 4) for x in per_iter],
            "nnz": int(conf.nnz), "shape": list(conf.shape), "params": params}


STAGES = (
    ("io.readers", "load", "load data (Parquet + catalog + users)"),
    ("model.training", "confidence", "confidence matrix (weighting)"),
    ("model.training", "holdout_mask", "holdout split"),
    ("model.training", "fit_factors", "ALS fits (calibration split + final refit)"),
    ("model.calibration_inputs", "prepare",
     "tier calibration inputs (held-out matrices, horizon curve)"),
    ("model.calibration", "from_arrays", "tier calibration (ranking, p model)"),
    ("model.training", "_seen_matrices", "seen matrices (users x films, films x users)"),
    ("model.training", "data_facts", "data fingerprint and event rating"),
    ("model.segments", "kmeans", "segments: k-means"),
    ("model.segments", "describe", "segments: descriptions"),
    ("model.artifact", "save", "save model folder"),
)


# the label's tail of a stage that ran in training's side thread, beside the fits
# (recommender/model/side_work.py): its time overlaps the main thread's, so it is not
# subtracted from train()'s total
BESIDE = " [side thread, beside the fits]"
# the main thread's time in ``Future.result`` (waiting for a side-thread result)
WAITS = "waits on the side thread"


def timed_cli(argv: list[str], stages_out: str) -> int:
    """Run ``recommender`` (``cli.main``) with the stages of ``train`` timed by wrapping the
    library functions it calls (their behaviour is unchanged); write the timings as JSON."""
    import importlib
    import json
    import threading

    spent: dict[str, float] = {}
    lock = threading.Lock()

    def wrap(module: Any, name: str, label: str) -> None:
        fn = getattr(module, name)

        def timed(*a: Any, **kw: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return fn(*a, **kw)
            finally:
                key = label if threading.current_thread() is threading.main_thread() \
                    else label + BESIDE
                with lock:
                    spent[key] = spent.get(key, 0.0) + time.perf_counter() - t0

        setattr(module, name, timed)

    for mod, name, label in STAGES:
        wrap(importlib.import_module(f"recommender.{mod}"), name, label)
    # the main thread's waits for the side thread's results (training's side_work)
    from concurrent.futures import Future

    result = Future.result

    def waited(self: Future[Any], timeout: float | None = None) -> Any:
        if threading.current_thread() is not threading.main_thread():
            return result(self, timeout)
        t0 = time.perf_counter()
        try:
            return result(self, timeout)
        finally:
            with lock:
                spent[WAITS] = spent.get(WAITS, 0.0) + time.perf_counter() - t0

    Future.result = waited  # type: ignore[method-assign]
    from recommender import cli
    from recommender.model import training

    train_fn = training.train

    def timed_train(*a: Any, **kw: Any) -> Any:
        t0 = time.perf_counter()
        try:
            return train_fn(*a, **kw)
        finally:
            spent["train() total"] = time.perf_counter() - t0

    training.train = timed_train  # type: ignore[assignment]
    t0 = time.perf_counter()
    rc = cli.main(argv)
    spent["main() total"] = time.perf_counter() - t0
    Path(stages_out).write_text(json.dumps(spent))
    return int(rc or 0)


STEPS = {"bare_fit": step_bare_fit}


# --------------------------------------------------------------------------------------------
# Driver
# --------------------------------------------------------------------------------------------


def cli_command(folder: Path, out: Path, stages_out: Path, params: dict[str, Any]
                ) -> list[str]:
    """``recommender train ...`` run through :func:`timed_cli` (same process startup, imports
    and work as the console script, plus stage timings), with ``params`` as ``--config``."""
    config = common.DATA_DIR / "train-bench-config.json"
    config.write_text(json.dumps(params))
    argv = common.train_command(folder, out, params["factors"], params["iterations"])[1:]
    return [common.PYTHON, str(SCRIPT), "--timed-cli", str(stages_out), *argv,
            "--config", str(config), "--no-tune"]


def tuned_command(folder: Path, out: Path, stages_out: Path) -> list[str]:
    """``recommender train`` as a user runs it: its defaults, tuning on (no parameter fixed)."""
    argv = common.train_command(folder, out)[1:]
    for flag in ("--factors", "--iterations"):  # given explicitly, they would be fixed
        i = argv.index(flag)
        del argv[i:i + 2]
    return [common.PYTHON, str(SCRIPT), "--timed-cli", str(stages_out), *argv]


def run(quick: bool, repeats: int | None = None, tuned: bool = True) -> dict[str, Any]:
    shape = common.main_shape(quick)
    folder = common.ensure_data(shape)
    reps = repeats or 2
    tmp_out = common.DATA_DIR / f"{shape.name}-train-bench-model"
    stages_file = common.DATA_DIR / f"{shape.name}-train-stages.json"
    bare64: list[dict[str, Any]] = []
    cli: list[dict[str, Any]] = []
    stages: list[dict[str, float]] = []
    tuned_runs: list[dict[str, Any]] = []
    tuning: dict[str, Any] | None = None
    params = params_now()
    for r in range(reps):
        common.log(f"train {shape.name}: bare implicit fit 64 factors (run {r + 1}/{reps})")
        bare64.append(common.run_worker(SCRIPT, "bare_fit", {
            "folder": str(folder), "params": params}))
        common.log(f"train {shape.name}: recommender train (run {r + 1}/{reps})")
        res = common.run_command(cli_command(folder, tmp_out, stages_file, params))
        if res["returncode"] != 0:
            raise common.WorkerError(f"recommender train failed:\n{res['output']}")
        cli.append(res)
        stages.append(json.loads(stages_file.read_text()))
        if tuned:
            common.log(f"train {shape.name}: recommender train, tuned (run {r + 1}/{reps})")
            res = common.run_command(tuned_command(folder, tmp_out, stages_file))
            if res["returncode"] != 0:
                raise common.WorkerError(f"recommender train (tuned) failed:\n{res['output']}")
            tuned_runs.append(res)
            tuning = json.loads((tmp_out / "meta.json").read_text()).get("tuning")
    shutil.rmtree(tmp_out, ignore_errors=True)
    stages_file.unlink(missing_ok=True)
    iters128 = 3
    common.log(f"train {shape.name}: bare implicit fit 128 factors ({iters128} iterations)")
    bare128 = common.run_worker(SCRIPT, "bare_fit", {
        "folder": str(folder), "params": {**params, "factors": 128, "iterations": iters128}})
    fit64 = common.median([b["fit_s"] for b in bare64])
    cli_wall = common.median([c["wall_s"] for c in cli])
    it64 = [x for b in bare64 for x in b["iteration_s"]]
    med = {k: common.median([s.get(k, 0.0) for s in stages])
           for k in dict.fromkeys(k for s in stages for k in s)}
    main_total = med.pop("main() total")
    train_total = med.pop("train() total")
    inside_train = sum(v for k, v in med.items()
                       if not k.startswith(("load data", "save model")) and BESIDE not in k)
    breakdown_stages = dict(med)
    breakdown_stages["other parts of train() (subsets, catalog, metadata" + (
        ")" if WAITS in med else ", waits on the side thread)")] = train_total - inside_train
    breakdown_stages["process start, imports, CLI"] = cli_wall - main_total
    return {
        "shape": vars(shape),
        "params": params,
        "repeats": reps,
        "bare_fit_64": {"fit_s": common.stats([b["fit_s"] for b in bare64], digits=3),
                        "peak_rss_mb": max(b["peak_rss_mb"] for b in bare64),
                        "nnz": bare64[0]["nnz"]},
        "iteration_s": {"64": common.stats(it64), "128": common.stats(bare128["iteration_s"])},
        "cli_train": {"wall_s": common.stats([c["wall_s"] for c in cli], digits=3),
                      "peak_rss_mb": max(c["peak_rss_mb"] for c in cli),
                      "peak_rss_mb_median": common.median([c["peak_rss_mb"] for c in cli]),
                      "command": " ".join(common.train_command(folder, Path("MODEL_DIR"))
                                          ).replace(str(common.ROOT) + "/", "")
                      + " --no-tune (+ --config with the parameters above)",
                      "last_output": cli[-1]["output"].strip().splitlines()[-2:]},
        "ratio_cli_to_bare": round(cli_wall / fit64, 3),
        **({"tuned_train": {
            "wall_s": common.stats([c["wall_s"] for c in tuned_runs], digits=3),
            "peak_rss_mb": max(c["peak_rss_mb"] for c in tuned_runs),
            "ratio_to_no_tune": round(common.median([c["wall_s"] for c in tuned_runs])
                                      / cli_wall, 3),
            "target": "train with tuning <= 2x train --no-tune, peak memory <= 6 GiB (issue 13)",
            "tuning": tuning}} if tuned_runs else {}),
        "ratio_train_to_bare": round(train_total / fit64, 3),
        "breakdown": {"train_s": round(train_total, 3), "total_s": round(cli_wall, 3),
                      "stages_s": {k: round(v, 3) for k, v in breakdown_stages.items()}},
        "runs": {"bare_fit_64": [{k: v for k, v in b.items() if k != "iteration_s"}
                                 for b in bare64],
                 "bare_fit_128": {k: v for k, v in bare128.items()},
                 "cli_train": [{k: v for k, v in c.items() if k != "output"} for c in cli],
                 "cli_stages_s": stages},
    }


def main() -> int:
    if len(sys.argv) > 2 and sys.argv[1] == "--timed-cli":
        return timed_cli(sys.argv[3:], sys.argv[2])
    if common.worker_main(STEPS):
        return 0
    ap = common.base_args(__doc__.split("\n\n")[0])
    ap.add_argument("--repeats", type=int)
    ap.add_argument("--no-tuned", action="store_true",
                    help="skip the tuned `recommender train` runs (issue 13's tuning budget)")
    args = ap.parse_args()
    common.write_result("train", run(args.quick, args.repeats, not args.no_tuned), args.quick)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
