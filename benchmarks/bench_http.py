"""HTTP throughput and latency: requests per second and p50/p99 latency at 1, 16 and 64
concurrent connections for ``GET /films/{id}/audience?k=100`` and
``GET /users/{id}/recommendations?k=10``, as a ratio to a trivial FastAPI endpoint
(``trivial_app.py``) served the same way (uvicorn, same workers, same log level) in the same
run.

Ids are drawn two ways: **uniform** (a fresh random permutation of the whole catalog / user
base per cell, so no id repeats within a cell until all have been asked) and **Zipf**
(exponent 1 over popularity rank: films by viewers, users by activity, like real traffic).
Audience cells run twice: on a freshly started server (*uniform*, *zipf*: its background
cache warm-up has just begun, so most uniform requests are scored) and on a server whose
warm-up has finished (*uniform-warm*, *zipf-warm*: every film's ranking is cached; one such
server per round serves that round's warm cells, so its body cache carries over between
them). Recommendation cells also run on the round's warmed server (that endpoint has no
warm-up, and one in progress would only compete with it for the CPU; its cache of rendered
bodies carries over between those cells too). Every other engine
cell starts its own server. The load generator is ``wrk`` (one thread, a Lua script reading
ids from a file), a separate process on 127.0.0.1, bounded by duration and by a cap on
requests. Server memory is read from ``/proc/<pid>/status`` after each cell.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import common
import numpy as np

SCRIPT = Path(__file__).resolve()
LUA = common.BENCH_DIR / "wrk_ids.lua"
CONNECTIONS = (1, 16, 64)
ENDPOINTS = {
    "audience": ("/films/", "/audience?k=100"),
    "recommendations": ("/users/", "/recommendations?k=10"),
}


# --------------------------------------------------------------------------------------------
# Servers
# --------------------------------------------------------------------------------------------


def serve_main(argv: list[str]) -> int:
    """``--serve engine|trivial --port P --workers W [--model DIR]``: run one server."""
    import argparse

    ap = argparse.ArgumentParser()
    ap.add_argument("--serve", choices=["engine", "trivial"], required=True)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--model")
    a = ap.parse_args(argv)
    if a.serve == "engine":
        from service.server import serve

        serve(a.model, host="127.0.0.1", port=a.port, workers=a.workers, log_level="warning")
    else:
        import uvicorn

        if a.workers == 1:
            from trivial_app import create_app

            uvicorn.run(create_app(), host="127.0.0.1", port=a.port, log_level="warning")
        else:
            uvicorn.run("trivial_app:create_app", factory=True, app_dir=str(common.BENCH_DIR),
                        host="127.0.0.1", port=a.port, workers=a.workers, log_level="warning")
    return 0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    def __init__(self, kind: str, workers: int, model: Path | None = None,
                 env: dict[str, str] | None = None) -> None:
        self.kind, self.port = kind, free_port()
        cmd = [common.PYTHON, str(SCRIPT), "--serve", kind, "--port", str(self.port),
               "--workers", str(workers)]
        if model is not None:
            cmd += ["--model", str(model)]
        self.log = open(common.DATA_DIR / f"http-{kind}.log", "w")  # noqa: SIM115
        t0 = time.perf_counter()
        self.proc = subprocess.Popen(cmd, cwd=common.BENCH_DIR, stdout=self.log,
                                     stderr=subprocess.STDOUT, start_new_session=True,
                                     env=dict(os.environ, PYTHONPATH=str(common.ROOT),
                                              **(env or {})))
        self.url = f"http://127.0.0.1:{self.port}"
        deadline = time.time() + 300
        while True:
            if self.proc.poll() is not None:
                raise common.WorkerError(f"{kind} server exited with {self.proc.returncode}; "
                                         f"see {self.log.name}")
            try:
                with urllib.request.urlopen(self.url + "/health", timeout=5) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.time() > deadline:
                self.stop()
                raise common.WorkerError(f"{kind} server did not start; see {self.log.name}")
            time.sleep(0.2)
        self.startup_s = round(time.perf_counter() - t0, 2)

    def wait_warm(self, timeout: float = 900) -> dict[str, Any]:
        """Wait until the server's background cache warm-up has finished (``/health``)."""
        t0 = time.perf_counter()
        while True:
            with urllib.request.urlopen(self.url + "/health", timeout=10) as r:
                state: dict[str, Any] = json.loads(r.read()).get("audience_cache") or {}
            if state.get("state") != "running" or time.perf_counter() - t0 > timeout:
                state["waited_s"] = round(time.perf_counter() - t0, 1)
                return state
            time.sleep(0.5)

    def pids(self) -> list[int]:
        return [self.proc.pid, *common.children_of(self.proc.pid)]

    def memory(self) -> dict[str, float]:
        """RSS now and the high-water mark, summed over the server's processes (MB)."""
        rss = hwm = 0.0
        for p in self.pids():
            st = common.proc_status(p)
            rss += st.get("VmRSS", 0) / 1024
            hwm += st.get("VmHWM", 0) / 1024
        return {"rss_mb": round(rss, 1), "peak_rss_mb": round(hwm, 1)}

    def metrics(self, endpoint: str = "audience") -> dict[str, float]:
        """``endpoint``'s cache hits/misses and batch sizes from the engine's /metrics (empty
        if absent)."""
        out: dict[str, float] = {}
        try:
            with urllib.request.urlopen(self.url + "/metrics", timeout=10) as r:
                text = r.read().decode()
        except OSError:
            return out
        for line in text.splitlines():
            if line.startswith(f"recommender_{endpoint}_cache_total"):
                key = "cache_hits" if 'result="hit"' in line else "cache_misses"
                out[key] = out.get(key, 0) + float(line.rsplit(" ", 1)[1])
            elif line.startswith(f"recommender_{endpoint}_batch_size_sum"):
                out["batched_requests"] = float(line.rsplit(" ", 1)[1])
            elif line.startswith(f"recommender_{endpoint}_batch_size_count"):
                out["batches"] = float(line.rsplit(" ", 1)[1])
        if out.get("batches"):
            out["mean_batch"] = round(out.get("batched_requests", 0) / out["batches"], 2)
        return out

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.log.close()


# --------------------------------------------------------------------------------------------
# Load generation
# --------------------------------------------------------------------------------------------


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    common.log("wrk not found: installing it with apt-get (Debian package 'wrk')")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    r = subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], env=env,
                       capture_output=True, text=True)
    if r.returncode != 0:
        subprocess.run(["apt-get", "update", "-q"], env=env, capture_output=True)
        r = subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], env=env,
                           capture_output=True, text=True)
    found = shutil.which("wrk")
    if not found:
        raise SystemExit(f"could not install wrk (apt-get install wrk): {r.stderr[-500:]}")
    return found


def write_ids(path: Path, ids: np.ndarray) -> Path:
    path.write_text("\n".join(urllib.parse.quote(str(x), safe="") for x in ids.tolist()) + "\n")
    return path


def zipf_draws(rng: np.random.Generator, ranked_ids: np.ndarray, n: int, s: float = 1.0
               ) -> np.ndarray:
    """``n`` ids drawn with probability proportional to 1 / rank**s (rank 1 = first)."""
    w = 1.0 / np.arange(1, len(ranked_ids) + 1) ** s
    return ranked_ids[rng.choice(len(ranked_ids), size=n, p=w / w.sum())]


def uniform_draws(rng: np.random.Generator, ids: np.ndarray, n: int) -> np.ndarray:
    """Fresh permutations of ``ids`` back to back (no repeat until all were drawn)."""
    reps = -(-n // len(ids))
    return np.concatenate([ids[rng.permutation(len(ids))] for _ in range(reps)])[:n]


def run_wrk(wrk: str, url: str, ids_file: Path, endpoint: str, connections: int,
            duration: int, max_requests: int) -> dict[str, Any]:
    prefix, suffix = ENDPOINTS[endpoint]
    cmd = [wrk, "-t1", f"-c{connections}", f"-d{duration}s", "--timeout", "10s", "-s", str(LUA),
           url, "--", str(ids_file), prefix, suffix, "0", str(max_requests)]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 120)
    for line in r.stdout.splitlines():
        if line.startswith("@@WRK@@"):
            d: dict[str, Any] = json.loads(line[len("@@WRK@@"):])
            secs = d["duration_us"] / 1e6
            errors = sum(v for k, v in d.items() if k.startswith("errors_"))
            return {
                "requests": d["requests"], "seconds": round(secs, 2),
                "rps": round(d["requests"] / secs, 1) if secs else 0.0,
                "p50_ms": round(d["p50_us"] / 1000, 3), "p90_ms": round(d["p90_us"] / 1000, 3),
                "p99_ms": round(d["p99_us"] / 1000, 3), "mean_ms": round(d["mean_us"] / 1000, 3),
                "max_ms": round(d["max_us"] / 1000, 3), "errors": int(errors),
                "error_detail": {k[7:]: v for k, v in d.items() if k.startswith("errors_") and v},
            }
    raise common.WorkerError(f"wrk printed no result (exit {r.returncode}):\n"
                             f"{r.stdout[-2000:]}\n{r.stderr[-2000:]}")


def warm_up(url: str, path: str, n: int = 3) -> None:
    for _ in range(n):
        try:
            with urllib.request.urlopen(url + path, timeout=60) as r:
                r.read()
        except OSError:
            pass


# --------------------------------------------------------------------------------------------
# Driver
# --------------------------------------------------------------------------------------------


def engine_env(blas_threads: int | None) -> dict[str, str]:
    """The engine server's environment for ``--blas-threads N`` (the trivial server does no
    linear algebra): serve sets its BLAS threads itself, from RECOMMENDER_BLAS_THREADS (default
    1), over any OPENBLAS_NUM_THREADS, so a server started with OPENBLAS_NUM_THREADS=N ran
    with one thread all the same."""
    return {} if blas_threads is None else {"RECOMMENDER_BLAS_THREADS": str(blas_threads)}


def engine_blas_threads(server_env: dict[str, str]) -> str:
    """The BLAS threads the engine server runs with, as serve reads them (its settings'
    RECOMMENDER_BLAS_THREADS, from the server's environment, else the default)."""
    from service.settings import Settings

    raw = server_env.get("RECOMMENDER_BLAS_THREADS", os.environ.get("RECOMMENDER_BLAS_THREADS"))
    n = int(raw) if raw is not None else int(Settings.model_fields["blas_threads"].default)
    where = "RECOMMENDER_BLAS_THREADS" if raw is not None else "serve's default"
    return (f"{n} per worker ({where})" if n else
            "the BLAS library's default, one per core (RECOMMENDER_BLAS_THREADS=0)")


def summarise(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Medians over rounds of rps and latencies; errors and requests summed; the rounds kept."""
    out: dict[str, Any] = {}
    for key in ("rps", "p50_ms", "p90_ms", "p99_ms", "mean_ms"):
        out[key] = round(common.median([r[key] for r in runs]), 3)
    out["max_ms"] = max(r["max_ms"] for r in runs)
    out["requests"] = sum(r["requests"] for r in runs)
    out["errors"] = sum(r["errors"] for r in runs)
    out["rounds"] = runs
    metrics = [r.get("server_metrics") or {} for r in runs]
    if any(metrics):
        total: dict[str, float] = {}
        for m in metrics:
            for k, v in m.items():
                if k != "mean_batch":
                    total[k] = total.get(k, 0) + v
        if total.get("batches"):
            total["mean_batch"] = round(total.get("batched_requests", 0) / total["batches"], 2)
        out["server_metrics"] = total
    return out


def run(quick: bool, workers: int = 1, duration: int | None = None,
        rounds: int | None = None, blas_threads: int | None = None) -> dict[str, Any]:
    from recommender.model import artifact

    wrk = ensure_wrk()
    shape = common.main_shape(quick)
    model_path = common.ensure_model(shape)
    m = artifact.load(model_path)
    film_ids = np.asarray(m.films.ids)
    user_ids = np.asarray(m.users.ids)
    films_by_pop = film_ids[np.argsort(-m.film_counts(), kind="stable")]
    users_by_act = user_ids[np.argsort(-m.user_counts(), kind="stable")]
    dur = duration or (3 if quick else 6)
    reps = rounds or (1 if quick else 3)
    cap = 200_000
    rng = np.random.default_rng(0)
    ids_dir = common.DATA_DIR / "http-ids"
    ids_dir.mkdir(parents=True, exist_ok=True)
    n_draws = 200_000
    pools = {"audience": (film_ids, films_by_pop), "recommendations": (user_ids, users_by_act)}
    sample_film = str(films_by_pop[0])
    cells: list[dict[str, Any]] = []
    server_memory: list[dict[str, Any]] = []
    server_env = engine_env(blas_threads)
    trivial = Server("trivial", workers)
    # one engine server per round whose background cache warm-up has finished (every film's
    # ranking cached), shared by that round's warm cells at every connection count
    warmed: dict[int, Server] = {}
    warm_state: list[dict[str, Any]] = []
    try:
        for endpoint, (ids, ranked) in pools.items():
            prefix, suffix = ENDPOINTS[endpoint]
            for c in CONNECTIONS:
                # the audience endpoint on a freshly started server (its cache warm-up just
                # begun) and on a warmed one; the recommendations endpoint has no warm-up
                kinds = (("uniform", "zipf", "uniform-warm", "zipf-warm")
                         if endpoint == "audience" else ("uniform", "zipf"))
                rounds: dict[str, list[dict[str, Any]]] = {k: [] for k in ("trivial", *kinds)}
                for rnd in range(reps):
                    tfile = write_ids(ids_dir / f"trivial-{endpoint}.txt",
                                      uniform_draws(rng, ids, n_draws))
                    common.log(f"http {shape.name}: {endpoint} c={c} round {rnd + 1}/{reps}")
                    warm_up(trivial.url, prefix + str(ids[0]) + suffix)
                    rounds["trivial"].append(run_wrk(wrk, trivial.url, tfile, endpoint, c, dur,
                                                     cap))
                    for traffic in kinds:
                        draws = (uniform_draws(rng, ids, n_draws)
                                 if traffic.startswith("uniform")
                                 else zipf_draws(rng, ranked, n_draws))
                        efile = write_ids(ids_dir / f"{traffic}-{endpoint}.txt", draws)
                        # recommendations have no warm-up: they are measured on the round's
                        # warmed server, whose warm-up would otherwise compete for the CPU (its
                        # body cache carries over from cell to cell, as on a live server)
                        warm = traffic.endswith("-warm") or endpoint != "audience"
                        if warm and rnd not in warmed:
                            warmed[rnd] = Server("engine", workers, model_path, server_env)
                            state = warmed[rnd].wait_warm()
                            common.log(f"http {shape.name}: warmed server {rnd + 1}: {state}")
                            warm_state.append(state)
                        eng = warmed[rnd] if warm else Server("engine", workers, model_path,
                                                              server_env)
                        try:
                            # fault the code paths in with a film outside the draws' control
                            warm_up(eng.url, "/films/" + urllib.parse.quote(sample_film, safe="")
                                    + "/audience?k=100", 2)
                            before = eng.metrics(endpoint)
                            res = run_wrk(wrk, eng.url, efile, endpoint, c, dur, cap)
                            mem = eng.memory()
                            after = eng.metrics(endpoint)
                            delta = {k: v - before.get(k, 0) for k, v in after.items()
                                     if k != "mean_batch"}
                            if delta.get("batches"):
                                delta["mean_batch"] = round(
                                    delta.get("batched_requests", 0) / delta["batches"], 2)
                            res.update(server_metrics=delta, server_memory=mem,
                                       server_startup_s=eng.startup_s)
                            server_memory.append(mem)
                        finally:
                            if not warm:
                                eng.stop()
                        rounds[traffic].append(res)
                base = summarise(rounds["trivial"])
                cells.append({"server": "trivial", "endpoint": endpoint, "traffic": "any",
                              "connections": c, **base})
                for traffic in kinds:
                    res = summarise(rounds[traffic])
                    res["rps_ratio_to_trivial"] = (round(res["rps"] / base["rps"], 3)
                                                   if base["rps"] else None)
                    res["rps_ratio_per_round"] = [
                        round(e["rps"] / t["rps"], 3) if t["rps"] else None
                        for e, t in zip(rounds[traffic], rounds["trivial"], strict=True)]
                    cells.append({"server": "engine", "endpoint": endpoint, "traffic": traffic,
                                  "connections": c, **res})
        trivial_mem = trivial.memory()
    finally:
        trivial.stop()
        for server in warmed.values():
            server.stop()
    return {
        "shape": vars(shape),
        "model": str(model_path.relative_to(common.ROOT)),
        "workers": workers,
        "duration_s_per_cell": dur,
        "rounds": reps,
        "max_requests_per_cell": cap,
        "load_generator": "wrk -t1 (one thread), Lua script wrk_ids.lua, 127.0.0.1, "
                          "--timeout 10s",
        "server": "service.server.serve(model, host='127.0.0.1', workers=W, "
                  "log_level='warning'); trivial: uvicorn.run(trivial_app) with the same options",
        "zipf_exponent": 1.0,
        "cache_warm_up": warm_state,
        "engine_blas_threads": engine_blas_threads(server_env),
        "engine_server_env": server_env,
        "cells": cells,
        "engine_server_peak_rss_mb": max((x["peak_rss_mb"] for x in server_memory), default=None),
        "engine_server_rss_mb": common.median([x["rss_mb"] for x in server_memory])
        if server_memory else None,
        "trivial_server_memory": trivial_mem,
    }


def main() -> int:
    if "--serve" in sys.argv:
        return serve_main(sys.argv[1:])
    ap = common.base_args(__doc__.split("\n\n")[0])
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--duration", type=int, help="seconds per cell")
    ap.add_argument("--rounds", type=int, help="rounds of (trivial, uniform, zipf) per cell")
    ap.add_argument("--blas-threads", type=int,
                    help="run the engine server with RECOMMENDER_BLAS_THREADS=N (serve's "
                         "default is 1; 0: the BLAS library's own, one thread per core); "
                         "results: http_blasN.json")
    args = ap.parse_args()
    name = f"http_blas{args.blas_threads}" if args.blas_threads is not None else "http"
    common.write_result(name, run(args.quick, args.workers, args.duration, args.rounds,
                                  args.blas_threads), args.quick)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
