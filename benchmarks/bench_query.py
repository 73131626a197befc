"""Query speed in-process: model load (memory-mapped), one film's audience against the numpy
floor, user recommendations, and every film's audience in batches.

- **Load**: ``artifact.load(path)`` in a fresh process (memory-mapped; repeated, median), and
  the first audience after it (pages the factors in).
- **Audience** (k=100, exclude-seen on): ``audience.film_audience`` per film, films drawn
  uniformly over the catalog. The **floor** is a bare ``user_factors @ film_vector`` plus
  ``argpartition`` on the same (memory-mapped) matrices, no exclusion, no sorting, no ids;
  engine and floor alternate film by film, so both see the same machine load.
- **Recommendations** (k=10, exclude-seen on, with explanations as the API returns them):
  ``recommend.recommend_user`` per user, users drawn uniformly; floor
  ``film_factors @ user_vector`` plus ``argpartition``.
- **Batch**: ``audience.batch_audiences`` over all films at k=100, exclude-seen on.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import common
import numpy as np

SCRIPT = Path(__file__).resolve()


def step_load(model: str) -> dict[str, Any]:
    from recommender.model import artifact
    from recommender.query.audience import film_audience

    t0 = time.perf_counter()
    m = artifact.load(model)
    t_load = time.perf_counter() - t0
    rss_after_load = common.rss_mb()
    fid = str(m.films.ids[0])
    t1 = time.perf_counter()
    film_audience(m, fid, k=100)
    t_first = time.perf_counter() - t1
    return {"load_s": round(t_load, 4), "first_audience_s": round(t_first, 4),
            "rss_after_load_mb": rss_after_load, "rss_after_first_query_mb": common.rss_mb()}


def step_queries(model: str, n_films: int, n_users: int, batch: bool, seed: int = 0,
                 blas_threads: int | None = None) -> dict[str, Any]:
    """All query measurements in one process; ``blas_threads`` limits BLAS for the whole
    process (threadpoolctl), as a server would at startup."""
    if blas_threads:
        from threadpoolctl import threadpool_limits

        with threadpool_limits(blas_threads, "blas"):
            return step_queries(model, n_films, n_users, batch, seed, None)
    from recommender.model import artifact
    from recommender.query.audience import batch_audiences, film_audience
    from recommender.query.recommend import recommend_user

    m = artifact.load(model)
    uf, ff = m.user_factors, m.film_factors
    float(np.asarray(uf).sum() + np.asarray(ff).sum())  # page the factors in
    rng = np.random.default_rng(seed)
    films = rng.integers(m.n_films, size=n_films)
    users = rng.integers(m.n_users, size=n_users)
    k = 100
    # warm-up (first calls build id lookups, norms, caches)
    for f in films[:5]:
        film_audience(m, str(m.films.ids[f]), k=k)
    for u in users[:5]:
        recommend_user(m, str(m.users.ids[u]), k=10)
    eng, floor, eng_json = [], [], []
    for f in films.tolist():
        fid = str(m.films.ids[f])
        t0 = time.perf_counter()
        s = uf @ ff[f]
        np.argpartition(-s, k - 1)[:k]
        t1 = time.perf_counter()
        page = film_audience(m, fid, k=k, exclude_seen=True)
        t2 = time.perf_counter()
        page.to_json()
        t3 = time.perf_counter()
        floor.append(t1 - t0)
        eng.append(t2 - t1)
        eng_json.append(t3 - t1)
    rec, rec_floor, rec_plain = [], [], []
    for u in users.tolist():
        uid = str(m.users.ids[u])
        t0 = time.perf_counter()
        s = ff @ uf[u]
        np.argpartition(-s, 9)[:10]
        t1 = time.perf_counter()
        recommend_user(m, uid, k=10)
        t2 = time.perf_counter()
        recommend_user(m, uid, k=10, explain_n=0)
        t3 = time.perf_counter()
        rec_floor.append(t1 - t0)
        rec.append(t2 - t1)
        rec_plain.append(t3 - t2)
    out: dict[str, Any] = {
        "audience_ms": common.stats(eng, 1000),
        "audience_with_json_ms": common.stats(eng_json, 1000),
        "audience_floor_ms": common.stats(floor, 1000),
        "recommend_ms": common.stats(rec, 1000),
        "recommend_no_explain_ms": common.stats(rec_plain, 1000),
        "recommend_floor_ms": common.stats(rec_floor, 1000),
        "audience_samples_ms": [round(x * 1000, 4) for x in eng],
        "audience_floor_samples_ms": [round(x * 1000, 4) for x in floor],
        "recommend_samples_ms": [round(x * 1000, 4) for x in rec],
        "users": m.n_users, "films": m.n_films, "factors": int(uf.shape[1]),
    }
    if batch:
        t0 = time.perf_counter()
        rows = 0
        for _, _, _, counts in batch_audiences(m, np.arange(m.n_films), k=k, exclude_seen=True):
            rows += int(counts.sum())
        out["batch_all_films_s"] = round(time.perf_counter() - t0, 3)
        out["batch_rows"] = rows
    return out


STEPS = {"load": step_load, "queries": step_queries}


def run(quick: bool, repeats: int | None = None) -> dict[str, Any]:
    shape = common.main_shape(quick)
    model = common.ensure_model(shape)
    reps = repeats or 5
    loads = []
    for r in range(reps):
        common.log(f"query {shape.name}: load (run {r + 1}/{reps})")
        loads.append(common.run_worker(SCRIPT, "load", {"model": str(model)}))
    common.log(f"query {shape.name}: audiences, recommendations, batch (default BLAS threads)")
    n = 300 if quick else 1000
    q = common.run_worker(SCRIPT, "queries", {
        "model": str(model), "n_films": n, "n_users": n, "batch": True})
    common.log(f"query {shape.name}: audiences, recommendations (BLAS limited to 1 thread)")
    q1 = common.run_worker(SCRIPT, "queries", {
        "model": str(model), "n_films": n, "n_users": n, "batch": False, "blas_threads": 1})
    from recommender.model.artifact import artifact_size

    return {
        "shape": vars(shape),
        "model": str(model.relative_to(common.ROOT)),
        "model_bytes": artifact_size(model),
        "load_s": common.stats([x["load_s"] for x in loads]),
        "first_audience_after_load_s": common.stats([x["first_audience_s"] for x in loads]),
        "rss_after_load_mb": common.median([x["rss_after_load_mb"] for x in loads]),
        "peak_rss_load_mb": max(x["peak_rss_mb"] for x in loads),
        "peak_rss_queries_mb": q["peak_rss_mb"],
        "audience_to_floor_p50": round(q["audience_ms"]["p50"] / q["audience_floor_ms"]["p50"],
                                       2),
        **{k: v for k, v in q.items() if k not in ("peak_rss_mb", "process_wall_s")},
        "blas_1_thread": {
            "audience_to_floor_p50": round(q1["audience_ms"]["p50"]
                                           / q1["audience_floor_ms"]["p50"], 2),
            **{k: v for k, v in q1.items() if k not in ("peak_rss_mb", "process_wall_s")},
        },
    }


def main() -> int:
    if common.worker_main(STEPS):
        return 0
    ap = common.base_args(__doc__.split("\n\n")[0])
    ap.add_argument("--repeats", type=int)
    args = ap.parse_args()
    common.write_result("query", run(args.quick, args.repeats), args.quick)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
