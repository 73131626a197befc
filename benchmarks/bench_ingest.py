"""Ingestion: rows per second from CSV and from Parquet into the training matrix, with peak
memory. Each run is a fresh process: ``readers.load(file)`` (parse, validate, merge duplicates,
index ids) then ``weighting.confidence`` (the users x films confidence CSR that ALS fits,
in its default scheme).

The baseline is the bare pyarrow read of the same file (``pyarrow.csv.read_csv`` /
``pyarrow.parquet.read_table``, multithreaded, no validation, no matrix), timed in the same
worker. The OS page cache holds the file after the first run (the figures are warm-cache).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import common

SCRIPT = Path(__file__).resolve()


def step_ingest(path: str) -> dict[str, Any]:
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    from recommender.io import readers
    from recommender.model.weighting import confidence

    p = Path(path)
    t0 = time.perf_counter()
    table = pq.read_table(p) if p.suffix == ".parquet" else pacsv.read_csv(p)
    t_raw = time.perf_counter() - t0
    rows_raw = table.num_rows
    del table
    t1 = time.perf_counter()
    inter = readers.load(p)
    t_load = time.perf_counter() - t1
    t2 = time.perf_counter()
    conf = confidence(inter)
    t_matrix = time.perf_counter() - t2
    return {"raw_read_s": round(t_raw, 3), "load_s": round(t_load, 3),
            "matrix_s": round(t_matrix, 3), "total_s": round(t_load + t_matrix, 3),
            "rows": rows_raw, "interactions": len(inter), "nnz": int(conf.nnz),
            "bytes": p.stat().st_size}


def step_ingest_only(path: str) -> dict[str, Any]:
    """The engine's path alone (no bare read first), for a clean peak-memory figure."""
    from recommender.io import readers
    from recommender.model.weighting import confidence

    t0 = time.perf_counter()
    inter = readers.load(Path(path))
    conf = confidence(inter)
    return {"total_s": round(time.perf_counter() - t0, 3), "nnz": int(conf.nnz)}


STEPS = {"ingest": step_ingest, "ingest_only": step_ingest_only}


def run(quick: bool, repeats: int | None = None) -> dict[str, Any]:
    shape = common.main_shape(quick)
    folder = common.ensure_data(shape)
    reps = repeats or 3
    out: dict[str, Any] = {"shape": vars(shape), "repeats": reps}
    for fmt, name in (("csv", "interactions.csv"), ("parquet", "interactions.parquet")):
        path = folder / name
        runs = []
        for r in range(reps):
            common.log(f"ingest {shape.name} {fmt} (run {r + 1}/{reps})")
            runs.append(common.run_worker(SCRIPT, "ingest", {"path": str(path)}))
        clean = common.run_worker(SCRIPT, "ingest_only", {"path": str(path)})
        rows = runs[0]["rows"]
        total = common.median([x["total_s"] for x in runs])
        raw = common.median([x["raw_read_s"] for x in runs])
        out[fmt] = {
            "file": str(path.relative_to(common.ROOT)),
            "bytes": runs[0]["bytes"],
            "rows": rows,
            "total_s": common.stats([x["total_s"] for x in runs], digits=3),
            "load_s": common.stats([x["load_s"] for x in runs], digits=3),
            "matrix_s": common.stats([x["matrix_s"] for x in runs], digits=3),
            "raw_read_s": common.stats([x["raw_read_s"] for x in runs], digits=3),
            "rows_per_s": round(rows / total),
            "raw_rows_per_s": round(rows / raw),
            "ratio_to_raw_read": round(total / raw, 2),
            "peak_rss_mb": clean["peak_rss_mb"],
            "peak_rss_mb_with_raw_read": max(x["peak_rss_mb"] for x in runs),
        }
    return out


def main() -> int:
    if common.worker_main(STEPS):
        return 0
    ap = common.base_args(__doc__.split("\n\n")[0])
    ap.add_argument("--repeats", type=int)
    args = ap.parse_args()
    common.write_result("ingest", run(args.quick, args.repeats), args.quick)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
