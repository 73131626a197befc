"""Closing the loop, measured: ``benchmarks/results/campaigns.{json,md}``.

On the synthetic demo (3,000 users x 400 films x 100,000 interactions; ``--quick``: 1,000 x
120 x 20,000), a 64-factor ALS model trained with ``recommender train --no-tune``:

- ``ingest``: acknowledged events per second through ``POST /events`` on one ``recommender
  serve`` worker, SQLite in WAL mode with ``synchronous=FULL`` (every batch committed before
  its 200), batches of 1,000 from 1 and from 4 concurrent clients; baseline in the same run:
  ``record_events`` called in-process (no HTTP).
- ``visibility``: two ``recommender serve`` processes (replicas, one worker each) share one
  SQLite store; an event (the top user of a film's audience buys it) is posted to one, and both
  are polled (``GET /films/{id}/audience?k=1``, every 10 ms) until that user has left the top:
  the seconds from the acknowledgement to that answer, per replica (p50, p99 over the trials).
- ``fold_in``: one user's ALS step at 64 factors against the model's film factors (50 films),
  median of 2,000 calls; baseline: implicit's ``recalculate_user`` for the same user; and a
  batch of 1,000 users; plus materialising the derived model (``Overlay.model``) after 1,000
  events.
- ``simulator``: ``recommender.campaigns.simulate.run_loop`` over 5 seeds: the next wave's
  expected conversions under the planted truth, planned on the refreshed model and on the stale
  one, and the coverage of the report's 95% interval over 200 response draws per seed.

    nice -n 10 .venv/bin/python benchmarks/bench_campaigns.py [--quick]
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from common import (
    SHARED_MACHINE,
    base_args,
    campaign_demo,
    log,
    median,
    page_header,
    results_dir,
    saved_result,
    stats,
    write_result,
)

from recommender.campaigns.events import EventBatch, record_events
from recommender.campaigns.simulate import coverage, run_loop
from recommender.campaigns.slate import SlateFilm
from recommender.campaigns.store import open_store
from recommender.model import artifact
from recommender.serving.overlay import Overlay, fold_in, gram

BATCH = 1000
POLL_S = 0.1  # RECOMMENDER_EVENTS_POLL of the measured servers (not the served default)


def default_poll_s() -> float:
    """The served default of ``RECOMMENDER_EVENTS_POLL`` (``service.settings``)."""
    from service.settings import Settings

    return float(Settings.model_fields["events_poll"].default)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve(model_dir: Path, store: str) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    exe = shutil.which("recommender", path=str(Path(sys.executable).parent))
    cmd = ([exe] if exe else [sys.executable, "-m", "recommender.cli"]) + [
        "serve", str(model_dir), "--host", "127.0.0.1", "--port", str(port)]
    env = {k: v for k, v in os.environ.items() if not k.startswith("RECOMMENDER_")}
    env.update(RECOMMENDER_STORE=store, RECOMMENDER_EVENTS_POLL=str(POLL_S),
               RECOMMENDER_WARM_CACHE="false")
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
                            start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            time.sleep(0.1)
    raise SystemExit("server did not start")


def stop(proc: subprocess.Popen[bytes]) -> None:
    os.killpg(proc.pid, signal.SIGTERM)
    proc.wait(timeout=30)


def batches(n: int, prefix: str, n_users: int, film_ids: list[str]) -> list[dict[str, Any]]:
    rng = np.random.default_rng(0)
    out = []
    for b in range(n):
        u = rng.integers(n_users, size=BATCH)
        f = rng.integers(len(film_ids), size=BATCH)
        out.append({"events": [{"event_id": f"{prefix}-{b}-{i}", "user_id": f"bench-u{u[i]}",
                                "film_id": film_ids[f[i]], "timestamp": 1_700_000_000 + i}
                               for i in range(BATCH)]})
    return out


def ingest(model_dir: Path, film_ids: list[str], work: Path, quick: bool) -> dict[str, Any]:
    n = 10 if quick else 40
    store = str(work / "ingest.db")
    lib = open_store(str(work / "lib.db"))
    lib_rates = []
    for b in batches(n, "lib", 5000, film_ids):
        ev = b["events"]
        batch = EventBatch([e["event_id"] for e in ev], [e["user_id"] for e in ev],
                           [e["film_id"] for e in ev], [e["timestamp"] for e in ev],
                           [1.0] * len(ev))
        t0 = time.perf_counter()
        record_events(lib, batch)
        lib_rates.append(BATCH / (time.perf_counter() - t0))
    proc, base = serve(model_dir, store)
    try:
        out: dict[str, Any] = {"library_events_per_s": round(median(lib_rates))}
        for clients in (1, 4):
            work_items = batches(n, f"http{clients}", 5000, film_ids)
            lock = threading.Lock()
            per_batch: list[float] = []

            def client(items: list[dict[str, Any]], lock: threading.Lock = lock,
                       per_batch: list[float] = per_batch) -> None:
                with httpx.Client(base_url=base, timeout=60) as c:
                    for body in items:
                        t0 = time.perf_counter()
                        r = c.post("/events", json=body)
                        assert r.status_code == 200 and r.json()["stored"] == BATCH, r.text
                        with lock:
                            per_batch.append(time.perf_counter() - t0)

            threads = [threading.Thread(target=client, args=(work_items[i::clients],))
                       for i in range(clients)]
            t0 = time.perf_counter()
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            total = time.perf_counter() - t0
            out[f"clients_{clients}"] = {
                "events": n * BATCH, "seconds": round(total, 3),
                "events_per_s": round(n * BATCH / total),
                "batch_latency_s": stats(per_batch)}
        return out
    finally:
        stop(proc)


def visibility(model_dir: Path, model: Any, work: Path, quick: bool) -> dict[str, Any]:
    store = str(work / "shared.db")
    open_store(store).close()
    replicas = [serve(model_dir, store) for _ in range(2)]
    trials = 10 if quick else 40
    lat: list[list[float]] = [[], []]
    try:
        clients = [httpx.Client(base_url=b, timeout=30) for _, b in replicas]
        films = model.films.ids[np.argsort(-model.film_counts())[:trials]].tolist()
        for t, film in enumerate(films):
            path = f"/films/{film}/audience"
            top = clients[0].get(path, params={"k": 1}).json()["users"][0]["user_id"]
            body = {"events": [{"event_id": f"vis-{t}", "user_id": top, "film_id": film,
                                "timestamp": 1_700_000_000}]}
            assert clients[t % 2].post("/events", json=body).status_code == 200
            acked = time.perf_counter()
            for r, c in enumerate(clients):
                while c.get(path, params={"k": 1}).json()["users"][0]["user_id"] == top:
                    if time.perf_counter() - acked > 30:
                        raise SystemExit("an event was not visible within 30 s")
                    time.sleep(0.01)
                lat[r].append(time.perf_counter() - acked)
        for c in clients:
            c.close()
    finally:
        for proc, _ in replicas:
            stop(proc)
    both = [max(a, b) for a, b in zip(lat[0], lat[1], strict=True)]
    return {"trials": trials, "poll_interval_s": POLL_S, "replica_a_s": stats(lat[0]),
            "replica_b_s": stats(lat[1]), "slowest_replica_s": stats(both)}


def fold_in_timing(model: Any, quick: bool) -> dict[str, Any]:
    import scipy.sparse as sp
    from implicit.cpu.als import AlternatingLeastSquares
    from threadpoolctl import threadpool_limits

    params = model.meta["params"]
    alpha, reg = float(params["alpha"]), float(params["regularization"])
    y = np.array(model.film_factors, np.float32)  # writable: implicit needs it
    rng = np.random.default_rng(0)
    films = np.sort(rng.choice(model.n_films, size=min(50, model.n_films), replace=False))
    row = sp.csr_matrix((np.full(len(films), alpha), (np.zeros(len(films)), films)),
                        shape=(1, model.n_films))
    yty = gram(y)
    reps = 300 if quick else 2000
    with threadpool_limits(1, "blas"):
        ours = []
        for _ in range(reps):
            t0 = time.perf_counter()
            fold_in(y, row, reg, yty)
            ours.append(time.perf_counter() - t0)
        als = AlternatingLeastSquares(factors=y.shape[1], regularization=reg, alpha=alpha)
        als.item_factors = y
        raw = sp.csr_matrix(row / alpha, dtype=np.float32)
        theirs = []
        for _ in range(reps):
            t0 = time.perf_counter()
            als.recalculate_user(0, raw)
            theirs.append(time.perf_counter() - t0)
        many = sp.csr_matrix((np.full(1000 * 50, alpha), (np.repeat(np.arange(1000), 50),
                                                          rng.integers(model.n_films,
                                                                       size=50_000))),
                             shape=(1000, model.n_films))
        many.sum_duplicates()
        t0 = time.perf_counter()
        fold_in(y, many, reg, yty)
        batch = time.perf_counter() - t0
        ov = Overlay(model)
        ev_u = model.users.ids[rng.integers(model.n_users, size=1000)]
        ev_f = model.films.ids[rng.integers(model.n_films, size=1000)]
        ov.apply(ev_u, ev_f, np.ones(1000), 1000)
        t0 = time.perf_counter()
        ov.model()
        materialise = time.perf_counter() - t0
    return {"factors": int(y.shape[1]), "films_per_user": int(len(films)),
            "one_user_ms": stats(ours, 1000), "implicit_recalculate_user_ms": stats(theirs, 1000),
            "ratio_to_implicit": round(median(ours) / median(theirs), 3),
            "batch_1000_users_s": round(batch, 6),
            "materialise_after_1000_events_s": round(materialise, 4)}


def simulator(folder: Path, model: Any, work: Path, quick: bool) -> dict[str, Any]:
    films = model.films.ids[np.argsort(model.film_counts(), kind="stable")
                            [model.n_films // 3:model.n_films // 3 + 6]].tolist()
    runs = []
    for seed in range(2 if quick else 5):
        store = open_store(str(work / f"sim-{seed}.db"))
        out = run_loop(folder, model, store, [SlateFilm(f, 150) for f in films],
                       newcomers=50, seed=seed)
        w1 = out["report"]["waves"][0]
        runs.append({"seed": seed, "planted_uplift": round(out["wave1"]["planted_uplift"], 4),
                     "reported_uplift": w1["absolute_uplift"],
                     "coverage_200_draws": coverage(out["truth"], out["first_rows"], 200,
                                                    seed),
                     "expected_conversions": out["expected_conversions"],
                     "newcomers_planned": out["newcomers_planned"], "seconds": out["seconds"]})
        store.close()
    gain = [r["expected_conversions"]["next_refreshed"] / r["expected_conversions"]["next_stale"]
            for r in runs]
    return {"runs": runs, "refreshed_over_stale_median": round(median(gain), 4),
            "coverage_median": median([r["coverage_200_draws"] for r in runs])}


def _met(ok: bool) -> str:
    """A goal's verdict cell."""
    return "met" if ok else "**missed**"


def render(doc: dict[str, Any]) -> str:
    i, v, f, s = doc["ingest"], doc["visibility"], doc["fold_in"], doc["simulator"]
    lines = [
        *page_header(
            doc, "Closing the loop: events, visibility, fold-in, simulator", "bench_campaigns.py",
            data=True, then=f" {SHARED_MACHINE} Servers ran with `RECOMMENDER_EVENTS_POLL="
            f"{v['poll_interval_s']:g}` (the served default is {default_poll_s():g} s: a worker "
            "sees new events at its next look, so the visibility figures are for the faster "
            "setting) and `RECOMMENDER_WARM_CACHE=false`; ingestion posts events of users new "
            "to the model, so every poll also folds them in."),
        "| measure | result | goal | verdict |", "|---|---|---|---|",
        f"| ingestion, 1 worker, SQLite WAL + synchronous=FULL, 1 client | "
        f"{i['clients_1']['events_per_s']:,} events/s acknowledged "
        f"({i['clients_1']['events']:,} events over wall time, one timed run) | >= 5,000 | "
        f"{_met(i['clients_1']['events_per_s'] >= 5000)} |",
        f"| ingestion, 4 clients | {i['clients_4']['events_per_s']:,} events/s "
        f"({i['clients_4']['events']:,} events over wall time, one timed run) | >= 5,000 | "
        f"{_met(i['clients_4']['events_per_s'] >= 5000)} |",
        f"| ingestion baseline: `record_events` in-process (median of the per-batch rates "
        f"over {i['clients_1']['events'] // BATCH} batches of {BATCH:,}; the rows above are "
        f"events over wall time) | {i['library_events_per_s']:,} events/s | | |",
        f"| visibility on every replica (slowest of 2), p50 / p99 | "
        f"{v['slowest_replica_s']['p50']:.3f} s / {v['slowest_replica_s']['p99']:.3f} s "
        f"({v['trials']} trials) | p99 <= 1 s | {_met(v['slowest_replica_s']['p99'] <= 1)} |",
        f"| fold-in of one user, {f['factors']} factors, {f['films_per_user']} films (median) | "
        f"{f['one_user_ms']['median']:.3f} ms | <= 1 ms | "
        f"{_met(f['one_user_ms']['median'] <= 1)} |",
        f"| implicit `recalculate_user`, same user (median) | "
        f"{f['implicit_recalculate_user_ms']['median']:.3f} ms (ours / implicit = "
        f"{f['ratio_to_implicit']}: ours is "
        f"{'slower' if f['ratio_to_implicit'] > 1 else 'faster'}) | | |",
        f"| fold-in, batch of 1,000 users (one run) | {1000 * f['batch_1000_users_s']:.1f} ms "
        "in all | | |",
        f"| materialising the derived model after 1,000 events (one run) | "
        f"{f['materialise_after_1000_events_s']:.3f} s | | |",
        f"| next wave under the planted truth: refreshed / stale expected conversions "
        f"(median of {len(s['runs'])} seeds) | {s['refreshed_over_stale_median']:.3f}x | > 1 | "
        f"{_met(s['refreshed_over_stale_median'] > 1)} |",
        f"| report's 95% interval covering the planted uplift (median over seeds, 200 draws "
        f"each) | {100 * s['coverage_median']:.1f}% | about 95% | not judged (no tolerance "
        "stated) |",
        "", "Simulator runs (expected conversions in users, uplift in conversion-rate points: "
            "100 x (target rate - control rate)):",
        "", "| seed | planted uplift (pts) | reported [95%] (pts) | coverage | refreshed (users) "
            "| stale (users) | newcomers planned (users) |", "|---|---|---|---|---|---|---|"]
    for r in s["runs"]:
        u, e = r["reported_uplift"], r["expected_conversions"]
        # rates are 0-1 in the JSON; the header (and `campaign report`) says points
        lines.append(f"| {r['seed']} | {100 * r['planted_uplift']:.2f} | "
                     f"{100 * u['estimate']:.2f} [{100 * u['low']:.2f}, {100 * u['high']:.2f}] "
                     f"| {100 * r['coverage_200_draws']:.1f}% "
                     f"| {e['next_refreshed']:.2f} | {e['next_stale']:.2f} | "
                     f"{r['newcomers_planned']} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = base_args(__doc__.splitlines()[0])
    ap.add_argument("--render", action="store_true", help="only rewrite campaigns.md from "
                                                          "campaigns.json")
    args = ap.parse_args()
    if args.render:
        import json

        doc = saved_result("campaigns", args.quick, "bench_campaigns.py")
        (results_dir(args.quick) / "campaigns.md").write_text(render(doc))
        return
    quick = args.quick
    with tempfile.TemporaryDirectory(prefix="bench-campaigns-") as tmp:
        work = Path(tmp)
        folder, model_dir, data = campaign_demo(work, quick)
        model = artifact.load(model_dir)
        film_ids = model.films.ids.tolist()
        log("fold-in ...")
        f = fold_in_timing(model, quick)
        log("ingestion ...")
        i = ingest(work / "model", film_ids, work, quick)
        log("visibility ...")
        v = visibility(work / "model", model, work, quick)
        log("simulator ...")
        s = simulator(folder, model, work, quick)
    payload = {"data": data, "ingest": i, "visibility": v,
               "fold_in": f, "simulator": s}
    path = write_result("campaigns", payload, quick)
    import json

    doc = json.loads(path.read_text())
    (results_dir(quick) / "campaigns.md").write_text(render(doc))
    log(f"wrote {results_dir(quick) / 'campaigns.md'}")


if __name__ == "__main__":
    main()
