"""Python worker memory of the Spark audience export (``audiences --engine spark``) against k.

Each task keeps a running top-k per film (``scoring._block_scorer``): a float32 score and an
int64 user index per kept row, ``films x min(k, users) x 12`` bytes, k capped at the model's
users. This exports the demo model's audiences on ``local[1]`` (one Python worker at a time)
for each ``--ks`` value, each in a fresh process with its own Spark session, and reads the
Python workers' peak resident memory after the export (the largest VmHWM of the ``pyspark``
processes under the driver; workers are reused, so they are still there). The difference
between two k values is what the larger running top-k and its merges cost beyond the
worker's fixed memory (the interpreter, numpy, pyarrow, the broadcast film factors).

    nice -n 10 python benchmarks/bench_spark_export_memory.py [--model DIR] [--ks 10,3000]

Without ``--model`` the demo data is generated and a model trained in a temporary folder
(a few minutes). Writes benchmarks/results/spark_export_memory.json and
spark_export_memory.md.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402

BYTES_PER_KEPT = 12  # float32 score + int64 user index (``scoring._block_scorer``)


def _pyspark_processes(pid: int) -> list[int]:
    """The descendants of ``pid`` that are Spark's Python workers (``pyspark.daemon`` and the
    workers it forks, which keep its command line; not the JVM, whose names ``pyspark-shell``)."""
    found = []
    for child in common.children_of(pid):
        try:
            line = Path(f"/proc/{child}/cmdline").read_bytes()
            if b"pyspark.daemon" in line or b"pyspark.worker" in line:
                found.append(child)
        except OSError:
            continue
    return found


def export(model: str, k: int, out: str, master: str) -> dict[str, Any]:
    """One export in this process's own Spark session; the workers' peak RSS after it."""
    from recommender.model import artifact
    from recommender.spark.scoring import batch_audiences_spark
    from recommender.spark.session import get_session

    loaded = artifact.load(model)
    spark, _ = get_session(master, {"spark.driver.memory": "1g", "spark.ui.enabled": "false",
                                    "spark.sql.shuffle.partitions": "2"})
    rows = batch_audiences_spark(model, k, out, spark=spark, progress=False)
    peaks = [common.peak_rss_mb(p) for p in _pyspark_processes(os.getpid())]
    spark.stop()
    known = [p for p in peaks if p is not None]
    return {"k": k, "kept_per_film": min(k, loaded.n_users), "films": loaded.n_films,
            "users": loaded.n_users, "factors": int(loaded.user_factors.shape[1]),
            "rows": rows, "worker_peak_rss_mb": max(known) if known else None,
            "pyspark_processes": len(known)}


def _demo_model(work: Path) -> Path:
    python = [sys.executable, "-m", "recommender.cli"]
    subprocess.run([*python, "demo-data", str(work / "demo")], check=True, cwd=common.ROOT)
    subprocess.run([*python, "train", "--data", str(work / "demo"), "--out",
                    str(work / "model")], check=True, cwd=common.ROOT)
    return work / "model"


def render(result: dict[str, Any]) -> str:
    runs = result["runs"]
    lines = ["# Spark export: Python worker memory against k", "",
             f"Measured by `benchmarks/bench_spark_export_memory.py` "
             f"{common.run_date(result)} ({common.provenance(result.get('machine'))}).", "",
             "## Summary", "",
             f"The demo model ({runs[0]['films']:,} films x {runs[0]['users']:,} users, "
             f"{runs[0]['factors']} factors), `{result['master']}`, one export per k in a "
             "fresh Spark session (`benchmarks/bench_spark_export_memory.py`).", "",
             "| k | kept per film (k capped at the users) | films x kept x 12 bytes | "
             "Python worker peak RSS |", "|---|---|---|---|"]
    for r in runs:
        lines.append(f"| {r['k']:,} | {r['kept_per_film']:,} | "
                     f"{r['formula_mb']:.2f} MB | {r['worker_peak_rss_mb']:.0f} MB |")
    lo, hi = runs[0], runs[-1]
    lines += ["", f"From k={lo['k']:,} to k={hi['k']:,} the worker's peak grew by "
              f"{hi['worker_peak_rss_mb'] - lo['worker_peak_rss_mb']:.0f} MB, where the "
              f"running top-k grows by {hi['formula_mb'] - lo['formula_mb']:.1f} MB."]
    return "\n".join(lines) + "\n"


def main() -> int:
    if common.worker_main({"export": export}):
        return 0
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", type=Path, help="a model folder (default: train the demo)")
    ap.add_argument("--ks", default="10,3000")
    ap.add_argument("--master", default="local[1]")
    args = ap.parse_args()
    ks = sorted(int(k) for k in args.ks.split(","))
    with tempfile.TemporaryDirectory(prefix="spark-export-memory-") as tmp:
        work = Path(tmp)
        model = args.model or _demo_model(work)
        runs = []
        for k in ks:
            common.log(f"exporting k={k:,} on {args.master} ...")
            r = common.run_worker(__file__, "export", {
                "model": str(model), "k": k, "out": str(work / f"k{k}.parquet"),
                "master": args.master})
            r["formula_mb"] = r["films"] * r["kept_per_film"] * BYTES_PER_KEPT / 1e6
            runs.append(r)
    result = {"master": args.master, "bytes_per_kept": BYTES_PER_KEPT, "runs": runs}
    path = common.write_result("spark_export_memory", result, quick=False)
    doc = common.read_result("spark_export_memory", quick=False)
    md = path.with_suffix(".md")
    md.write_text(render(doc or result), encoding="utf-8")
    print(md.read_text(encoding="utf-8"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
