"""Tuning's thread cap: ``train``'s search (``recommender.model.tuning.tune``) at the ML-20M
shape with every thread pool capped at each of several counts, one trial at a time, and as
the engine runs it (a stage's trials side by side, ``trials.concurrency``), in one process,
rounds alternating the order; and whether every run's search reports the same trials and
choice.

``trials.TRIAL_THREADS`` caps the search's pools (implicit's OpenMP sweeps, the scoring's
BLAS): its trials fit a sample of a few thousand users. This script measures the cap where it
matters, on a machine of many cores (on 2 cores only 1 and 2 differ); the search runs on the
part of the log ``train`` gives it (the calibration holdout left out), with the engine's
default parameters as ``bench_train.py``'s tuned run has them.
"""

from __future__ import annotations

import time
from typing import Any

import common


def default_caps() -> list[int]:
    """1, 2, 4, ... up to the cores this process may keep busy (its affinity, at most its
    cgroup CPU quota), and those cores themselves."""
    from recommender.kernels.cpus import available_cpus

    cores = available_cpus()
    caps, c = [], 1
    while c < cores:
        caps.append(c)
        c *= 2
    return [*caps, cores]


def run(quick: bool, caps: list[int], repeats: int) -> dict[str, Any]:
    from recommender.io import readers
    from recommender.model import trials
    from recommender.model.config import TrainConfig
    from recommender.model.training import holdout_mask
    from recommender.model.tuning import timeless, tune

    shape = common.main_shape(quick)
    folder = common.ensure_data(shape)
    data = readers.load(folder / "interactions.parquet")
    config = TrainConfig(factors=64, iterations=15).validate()
    watched = data.subset(~holdout_mask(data, config.holdout, config.seed))
    del data
    engine_cap, engine_concurrency = trials.TRIAL_THREADS, trials.concurrency
    shares = engine_concurrency()  # each side-by-side trial's threads
    side_by_side = len(shares)
    # one count where the shares are even, else each of them ("2, 2, 1, 1" on 6 cores)
    threads_each: int | str = shares[0] if len(set(shares)) == 1 else ", ".join(
        str(t) for t in shares)
    modes: list[int | str] = [*caps, "engine"]
    runs: dict[int | str, list[dict[str, float]]] = {m: [] for m in modes}
    first: dict[str, Any] | None = None
    same: dict[int | str, bool] = {}
    for r in range(repeats):
        order = modes if r % 2 == 0 else modes[::-1]
        for mode in order:
            if mode == "engine":
                common.log(f"tuning {shape.name} as the engine does: {side_by_side} trial(s) "
                           f"side by side, {threads_each} thread(s) each (round {r + 1}/"
                           f"{repeats})")
                trials.TRIAL_THREADS, trials.concurrency = engine_cap, engine_concurrency
            else:
                common.log(f"tuning {shape.name} one trial at a time, every pool capped at "
                           f"{mode} thread(s) (round {r + 1}/{repeats})")
                trials.TRIAL_THREADS = int(mode)
                trials.concurrency = lambda *a, **k: (1,)  # one at a time
            t0, c0 = time.perf_counter(), time.process_time()
            chosen, report = tune(watched, config)
            runs[mode].append({"wall_s": time.perf_counter() - t0,
                               "cpu_s": time.process_time() - c0})
            plain = timeless(report)
            first = first or plain
            same[mode] = same.get(mode, True) and plain == first
    trials.TRIAL_THREADS, trials.concurrency = engine_cap, engine_concurrency
    assert first is not None
    best_cap = min(caps, key=lambda c: float(common.stats([x["wall_s"] for x in runs[c]],
                                                          digits=3)["median"]))
    return {
        "shape": vars(shape),
        "params": {"factors": 64, "iterations": 15, "seed": config.seed},
        "repeats": repeats,
        "search": {"status": first["status"], "trials": len(first["trials"]),
                   "users": first["validation"]["users"],
                   "interactions": first["validation"]["interactions"],
                   "chosen": first["chosen"]},
        "caps": {str(c): {"wall_s": common.stats([x["wall_s"] for x in runs[c]], digits=3),
                          "cpu_s": common.stats([x["cpu_s"] for x in runs[c]], digits=3),
                          "same_report_as_first": same[c]}
                 for c in caps},
        "engine_cap": engine_cap,
        # what the engine's cap gives on this machine (the pools start at the cores)
        "engine_threads_here": min(engine_cap, default_caps()[-1]),
        "engine": {"side_by_side": side_by_side, "threads_each": threads_each,
                   "wall_s": common.stats([x["wall_s"] for x in runs["engine"]], digits=3),
                   "cpu_s": common.stats([x["cpu_s"] for x in runs["engine"]], digits=3),
                   "same_report_as_first": same["engine"],
                   "fastest_one_at_a_time_cap": best_cap,
                   # the engine's search time over the fastest cap's, one trial at a time
                   "ratio_to_fastest_one_at_a_time": round(
                       float(common.stats([x["wall_s"] for x in runs["engine"]])["median"])
                       / float(common.stats([x["wall_s"] for x in runs[best_cap]])["median"]),
                       3)},
    }


def main() -> int:
    ap = common.base_args(__doc__.split("\n\n")[0])
    ap.add_argument("--caps", default=None,
                    help="comma-separated thread counts (default: 1, 2, 4, ... up to the cores)")
    ap.add_argument("--repeats", type=int, default=2)
    args = ap.parse_args()
    try:
        caps = ([int(c) for c in args.caps.split(",")] if args.caps else default_caps())
    except ValueError:
        ap.error(f"--caps: expected thread counts such as 1,4,16, got {args.caps!r}")
    if not caps or min(caps) < 1 or args.repeats < 1:
        ap.error("--caps needs counts of 1 or more, --repeats 1 or more")
    common.write_result("trial_threads", run(args.quick, caps, args.repeats), args.quick)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
