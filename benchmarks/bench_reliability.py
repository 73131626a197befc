"""The reliability gauntlet, with figures: ``benchmarks/results/reliability.{json,md}``.

Sections (run all, or some with ``--section NAME``; the results of sections not run are kept):

- ``checksums``: what verifying a model folder's SHA-256 checksums costs at the ML-20M shape
  (138,493 users x 26,744 films x 20,000,263 interactions, 64 factors; ``--quick``: the 1M
  shape). A synthetic model of that shape (random factors, 20 M seen entries) is saved with
  ``artifact.save``; then, 7 times each (round-robin), medians: hashing every file of the
  version with ``artifact.file_sha256`` (1 MiB reads) with the files in the page cache and
  evicted from it (``posix_fadvise(DONTNEED)``, these files only), and ``artifact.load`` with
  and without ``verify`` (the baseline, in the same run). The raw SHA-256 speed of this CPU on
  a 64 MiB buffer in memory is the ceiling.

- ``schemathesis``: Schemathesis (every check, valid and invalid data, its examples,
  coverage, fuzzing and stateful phases) against a real ``recommender serve`` on the demo model,
  open and locked (read keys, admin key), with more examples per operation than ``make test``.
- ``reload``: ``--connections`` keep-alive connections (64) for ``--seconds`` (60; ``--quick``
  15) on ``recommender serve --workers 2`` while an admin reload alternates the served folder
  between two demo models every 2 s; every 200 body is checked against the answer of the model
  its ``X-Model-Version`` names (computed in-process).
- ``soak``: 16 connections of mixed traffic for ``--minutes`` (10; ``--quick`` 1): the
  server's resident memory after warm-up and at the end, p99 latency per window.
- ``faults``: SIGKILL of the server under load and a restart (time to healthy); a reload to a
  model folder damaged on disk (refused, old model serving); an export onto a full disk (a
  small tmpfs when mount works, else ``RLIMIT_FSIZE``).
- ``bad_files``: the corpus of ``tests/io/bad_files.py`` (every kind of damage x every
  format), each through ``recommender train --data CASE --out OUT`` in its own process, plus a
  headers-only CSV of ten million lines (``--quick``: one million) and a 64 MiB field.

The servers run on the demo dataset (``recommender demo-data``: 3,000 users x 400 films x
100,000 interactions), trained with ``--no-tune`` and seeds 1 and 2.

    nice -n 10 .venv/bin/python benchmarks/bench_reliability.py [--quick] [--section NAME]
        [--connections 64] [--seconds 60] [--minutes 10] [--schema-examples 25]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import quote

import numpy as np
import scipy.sparse as sp

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "io"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "service"))

from common import (
    base_args,
    load_average,
    load_text,
    log,
    main_shape,
    median,
    read_result,
    results_dir,
    stats,
    write_result,
)
from reliability_tools import (
    Response,
    Server,
    admin_post,
    cli,
    demo_models,
    measured,
    model_shape,
    provenance_line,
    run_load,
)

from recommender.io.dataset import Catalog, UserTable
from recommender.io.ids import IdMap
from recommender.model import artifact, layout
from recommender.model.artifact import FORMAT_VERSION
from recommender.model.model import Model, Segments

NAME = "reliability"
REPEATS = 7
FACTORS = 64


def synthetic_model(users: int, films: int, interactions: int, seed: int = 0) -> Model:
    """A model of the given shape: random factors, ``interactions // users`` distinct films per
    user (an arithmetic progression modulo the film count, so no row repeats a film)."""
    rng = np.random.default_rng(seed)
    per_user = max(1, interactions // users)
    start = rng.integers(films, size=users)
    stride = rng.integers(1, max(2, films // per_user), size=users)
    cols = (start[:, None] + np.arange(per_user)[None, :] * stride[:, None]) % films
    cols.sort(axis=1)
    indptr = np.arange(users + 1, dtype=np.int64) * per_user
    seen = sp.csr_matrix((np.ones(cols.size, np.float32), cols.ravel().astype(np.int32),
                          indptr), shape=(users, films))
    user_ids = np.array([str(u + 1) for u in range(users)])
    film_ids = np.array([str(f + 1) for f in range(films)])
    labels = rng.integers(8, size=users).astype(np.int16)
    return Model(
        users=IdMap(user_ids), films=IdMap(film_ids),
        user_factors=rng.standard_normal((users, FACTORS), dtype=np.float32),
        film_factors=rng.standard_normal((films, FACTORS), dtype=np.float32),
        seen=seen, seen_by_film=seen.T.tocsr(),
        catalog=Catalog(film_ids, np.array([f"A film title of some length ({i})"
                                            for i in range(films)]),
                        np.full(films, 1999, np.int32), np.full(films, "Drama|Comedy")),
        user_table=UserTable(user_ids, {"region": np.array(["North", "South"])[labels % 2]}),
        segments=Segments(labels, [{"segment": s, "size": int((labels == s).sum()),
                                    "label": f"Segment {s}"} for s in range(8)]),
        meta={"format_version": FORMAT_VERSION, "model_version": "bench", "model": "als"},
        calibration={})


def evict(folder: Path) -> None:
    """Drop these files (only) from the page cache, so the next read comes from disk."""
    for p in folder.iterdir():
        with open(p, "rb") as f:
            os.fsync(f.fileno())
            os.posix_fadvise(f.fileno(), 0, 0, os.POSIX_FADV_DONTNEED)


def interleaved(measures: dict[str, tuple[Callable[[], Any], Callable[[], Any] | None]]
                ) -> dict[str, list[float]]:
    """Time each measure (``fn``, and ``before`` run untimed ahead of it) ``REPEATS`` times,
    round-robin, so that the load of a shared machine falls on all of them alike."""
    times: dict[str, list[float]] = {name: [] for name in measures}
    for _ in range(REPEATS):
        for name, (fn, before) in measures.items():
            if before is not None:
                before()
            t0 = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t0)
    return times


def section_checksums(quick: bool) -> dict[str, Any]:
    shape = main_shape(quick)
    log(f"building a synthetic model of the {shape.name} shape "
        f"({shape.users:,} x {shape.films:,} x {shape.interactions:,})")
    model = synthetic_model(shape.users, shape.films, shape.interactions)
    work = Path(tempfile.mkdtemp(prefix="bench-reliability-"))
    try:
        t_save = time.perf_counter()
        root = artifact.save(model, work / "model")
        t_save = time.perf_counter() - t_save
        del model
        folder = layout.resolve(root)
        files = sorted(folder.iterdir())
        total = sum(p.stat().st_size for p in files)
        log(f"saved {total / 1e6:.0f} MB in {t_save:.1f} s; hashing and loading, "
            f"{REPEATS} times each")

        def hash_all() -> None:
            for p in files:
                artifact.file_sha256(p)

        buf = np.random.default_rng(1).bytes(64 << 20)
        hash_all()  # the files are in the page cache (they were just written)
        t = interleaved({
            "raw": (lambda: hashlib.sha256(buf).hexdigest(), None),
            "warm": (hash_all, None),
            "cold": (hash_all, lambda: evict(folder)),
            "plain": (lambda: artifact.load(root, verify=False), None),
            "verified": (lambda: artifact.load(root, verify=True), None),
            "cold_plain": (lambda: artifact.load(root, verify=False), lambda: evict(folder)),
            "cold_verified": (lambda: artifact.load(root, verify=True),
                              lambda: evict(folder)),
        })
        raw, warm, cold = t["raw"], t["warm"], t["cold"]
        plain, verified = t["plain"], t["verified"]
        cold_plain, cold_verified = t["cold_plain"], t["cold_verified"]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    mb = total / 1e6
    return {
        "shape": {"name": shape.name, "users": shape.users, "films": shape.films,
                  "interactions": shape.users * max(1, shape.interactions // shape.users),
                  "factors": FACTORS},
        "files": len(files), "bytes": total, "save_s": round(t_save, 2),
        "repeats": REPEATS,
        "sha256_memory_mb_s": round(64 * 1.048576 / median(raw), 1),
        "hash_warm_s": round(median(warm), 3), "hash_warm_mb_s": round(mb / median(warm), 1),
        "hash_cold_s": round(median(cold), 3), "hash_cold_mb_s": round(mb / median(cold), 1),
        "load_s": round(median(plain), 3), "load_verified_s": round(median(verified), 3),
        "load_cold_s": round(median(cold_plain), 3),
        "load_cold_verified_s": round(median(cold_verified), 3),
        "verify_ratio_warm": round(median(verified) / median(plain), 2),
        "verify_ratio_cold": round(median(cold_verified) / median(cold_plain), 2),
        "load_average_after": load_average(),
    }


def render_checksums(r: dict[str, Any]) -> list[str]:
    s = r["shape"]
    return [
        "## Checksums: the cost of verifying a model folder on load",
        "",
        f"A synthetic model of the {s['name']} shape ({s['users']:,} users x {s['films']:,} "
        f"films x {s['interactions']:,} seen entries, {s['factors']} factors): {r['files']} "
        f"files, {r['bytes'] / 1e6:.0f} MB, saved (with checksums) in {r['save_s']} s. "
        f"Medians of {r['repeats']} runs of each measure, taken round-robin.",
        "",
        "| measure | time (s) | throughput (MB/s) |",
        "|---|---:|---:|",
        f"| SHA-256 of a 64 MiB buffer in memory (this CPU's ceiling) | | "
        f"{r['sha256_memory_mb_s']:,} |",
        f"| hash every file, in the page cache | {r['hash_warm_s']} | "
        f"{r['hash_warm_mb_s']:,} |",
        f"| hash every file, evicted from the page cache | {r['hash_cold_s']} | "
        f"{r['hash_cold_mb_s']:,} |",
        f"| `artifact.load`, not verified (baseline), cached | {r['load_s']} | |",
        f"| `artifact.load`, verified (the default), cached | {r['load_verified_s']} | |",
        f"| `artifact.load`, not verified, evicted | {r['load_cold_s']} | |",
        f"| `artifact.load`, verified, evicted | {r['load_cold_verified_s']} | |",
        "",
        f"Verification makes a load {r['verify_ratio_warm']}x as long with the files cached "
        f"and {r['verify_ratio_cold']}x evicted (a not-verified load memory-maps the files "
        "and reads little of them; a verified one reads every byte once, which also brings "
        "them into the page cache before the model serves). Goal: well under the seconds a "
        "model takes to train and to copy; no switch to skip verification is offered, "
        "`artifact.load(..., verify=False)` exists for tools. Load average after the run: "
        f"{load_text(r['load_average_after'])}.",
        "",
    ]


# --------------------------------------------------------------------------------------------
# The served sections: the demo models, built once per run
# --------------------------------------------------------------------------------------------

ADMIN_KEY = "bench-reliability-admin-key"
READ_KEY = "bench-reliability-read-key"
AUDIENCE_K = 10
CHECKED_FILMS = 40


class Demo:
    """The demo dataset, two models trained on it, their answers, and fresh served folders."""

    _made: Demo | None = None

    def __init__(self) -> None:
        self.work = Path(tempfile.mkdtemp(prefix="bench-reliability-serve-"))
        made = demo_models(self.work)
        self.root: Path = made["root"]
        self.data: Path = made["data"]
        self.train_s = made["train_s"]
        self.shape = model_shape(self.root / "a")
        from recommender.model import artifact
        from recommender.query.audience import film_audience

        a, b = artifact.load(self.root / "a"), artifact.load(self.root / "b")
        self.films: list[str] = a.films.ids.tolist()
        self.users: list[str] = a.users.ids.tolist()
        self.checked = self.films[:CHECKED_FILMS]
        self.answers = {m.version: {f: film_audience(m, f, k=AUDIENCE_K).user_ids.tolist()
                                    for f in self.checked} for m in (a, b)}
        self.versions = {"a": a.version, "b": b.version}
        self._served = 0

    @classmethod
    def get(cls) -> Demo:
        if cls._made is None:
            cls._made = Demo()
        return cls._made

    def served(self) -> Path:
        """A fresh copy of model a, inside the models root, for one server."""
        self._served += 1
        dest = self.root / f"served-{self._served}"
        shutil.copytree(self.root / "a", dest, symlinks=True)
        return dest

    def admin_env(self) -> dict[str, str]:
        return {"RECOMMENDER_ADMIN_KEY": ADMIN_KEY, "RECOMMENDER_MODELS_ROOT": str(self.root)}

    def audience_path(self, film: str) -> str:
        return f"/films/{quote(film, safe='')}/audience?k={AUDIENCE_K}"

    def described(self) -> dict[str, Any]:
        return {"dataset": "recommender demo-data (default shape)", **self.shape,
                "train_s": self.train_s}

    @classmethod
    def cleanup(cls) -> None:
        if cls._made is not None:
            shutil.rmtree(cls._made.work, ignore_errors=True)
            cls._made = None


class Checker:
    """Counts every response; checks each 200 audience body against the answer of the model
    its ``X-Model-Version`` names."""

    def __init__(self, demo: Demo) -> None:
        self.demo = demo
        self.lock = threading.Lock()
        self.responses: list[tuple[float, float, int, str]] = []  # sent, latency, status, ver
        self.statuses: Counter[int] = Counter()
        self.errors: Counter[str] = Counter()
        self.mismatches: list[str] = []
        self.checked = 0

    def __call__(self, r: Response) -> None:
        version = r.headers.get("x-model-version", "")
        problem = ""
        if r.status == 0:
            problem = r.error.split(":")[0]
        elif r.status == 200 and "/audience?" in r.path:
            film = next((f for f in self.demo.checked if self.demo.audience_path(f) == r.path),
                        None)
            if film is not None:
                try:
                    got = [u["user_id"] for u in json.loads(r.body)["users"]]
                except (ValueError, KeyError, TypeError):
                    got = None
                want = self.demo.answers.get(version, {}).get(film)
                with self.lock:
                    self.checked += 1
                    if got != want:
                        self.mismatches.append(f"{r.path}: header {version!r}, body not its "
                                               "answer")
        with self.lock:
            self.responses.append((r.sent, r.latency, r.status, version))
            self.statuses[r.status] += 1
            if problem:
                self.errors[problem] += 1

    def summary(self, t0: float) -> dict[str, Any]:
        lat = [x[1] for x in self.responses if x[2] == 200]
        span = max((x[0] for x in self.responses), default=t0) - t0
        return {"requests": len(self.responses),
                "requests_per_s": round(len(self.responses) / max(span, 1e-9), 1),
                "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
                "transport_errors": dict(self.errors),
                "bodies_checked": self.checked, "version_mismatches": len(self.mismatches),
                "mismatch_examples": self.mismatches[:5],
                "latency_ms": stats(lat, 1000, 1)}


def mixed_path(demo: Demo) -> Callable[[int], str]:
    """Mixed traffic: audiences (checked films and any film, several k), similar films, user
    recommendations, film details, audience summaries and CSV downloads, segments."""
    films, users = demo.films, demo.users

    def path(n: int) -> str:
        rng = random.Random(n)
        f, u = quote(rng.choice(films), safe=""), quote(rng.choice(users), safe="")
        x = rng.random()
        if x < 0.30:
            return demo.audience_path(rng.choice(demo.checked))
        if x < 0.45:
            return f"/films/{f}/audience?k={rng.choice([10, 100, 500])}"
        if x < 0.60:
            return f"/films/{f}/similar?k=10"
        if x < 0.80:
            return f"/users/{u}/recommendations?k=10"
        if x < 0.88:
            return f"/films/{f}"
        if x < 0.94:
            return f"/films/{f}/audience/summary"
        if x < 0.98:
            return f"/films/{f}/audience.csv?k=100"
        return "/segments"
    return path


def section_schemathesis(args: argparse.Namespace) -> dict[str, Any]:
    from test_schema_contract import run_schemathesis

    demo = Demo.get()
    examples = args.schema_examples or (5 if args.quick else 25)
    configs = {
        "open": ({}, {}),
        "locked": ({"RECOMMENDER_READ_KEYS": f"bench:{READ_KEY}", **demo.admin_env(),
                    "RECOMMENDER_PSEUDONYM_KEY": "bench-pseudonym-key"},
                   {"X-API-Key": READ_KEY, "Authorization": f"Bearer {ADMIN_KEY}"}),
    }
    runs = {}
    for name, (env, headers) in configs.items():
        server = Server(demo.served(), env)
        server.start()
        try:
            log(f"schemathesis, {name} server, {examples} examples per operation and phase")
            t0 = time.perf_counter()
            requests, failures = run_schemathesis(server.base, headers, examples, seed=7)
            seconds = time.perf_counter() - t0
        finally:
            server.stop()
        by_check = Counter(check for (_, check) in failures)
        runs[name] = {"requests": requests, "seconds": round(seconds, 1),
                      "failures": len(failures), "failures_by_check": dict(by_check),
                      "failure_examples": [f"{op} [{check}]: {text[:1200]}" for (op, check),
                                           text in sorted(failures.items())[:10]]}
    return {"model": demo.described(), "examples_per_operation": examples, "seed": 7,
            "runs": runs, "load_average_after": load_average()}


def section_reload(args: argparse.Namespace) -> dict[str, Any]:
    demo = Demo.get()
    seconds = args.seconds or (15 if args.quick else 60)
    connections = args.connections
    server = Server(demo.served(), demo.admin_env(), workers=2)
    server.start()
    check = Checker(demo)
    reloads: list[dict[str, Any]] = []
    t0 = time.monotonic()

    def alternate() -> None:
        target, tick = "b", 1
        while tick * 2.0 < seconds - 1.0:  # on a fixed 2 s grid, whatever a reload takes
            time.sleep(max(0.0, t0 + tick * 2.0 - time.monotonic()))
            tick += 1
            sent = time.monotonic()
            status, body = admin_post(server.port, "/admin/reload", {"model_path": target},
                                      ADMIN_KEY)
            reloads.append({"at_s": round(sent - t0, 2), "target": target, "status": status,
                            "answered_s": round(time.monotonic() - sent, 3),
                            "version": body.get("model_version") if isinstance(body, dict)
                            else None})
            target = "a" if target == "b" else "b"

    log(f"reload under load: {connections} connections, {seconds} s, a reload every 2 s")
    paths = [demo.audience_path(f) for f in demo.checked]
    try:
        run_load(server.port, connections, seconds, lambda n: paths[n % len(paths)], check,
                 during=alternate)
        rss = server.rss_bytes()
    finally:
        server.stop()
    out = check.summary(t0)
    seen_versions = Counter(v for *_, v in check.responses if v)
    errors = sum(v for k, v in check.statuses.items() if k != 200)
    return {"model": demo.described(), "workers": 2, "connections": connections,
            "seconds": seconds, **out, "errors": errors,
            "reloads": len(reloads), "reloads_ok": sum(r["status"] == 200 for r in reloads),
            "reload_answer_s": stats([r["answered_s"] for r in reloads], 1, 3),
            "reload_log": reloads[:40],
            "versions_seen": {("a" if v == demo.versions["a"] else
                               "b" if v == demo.versions["b"] else v): n
                              for v, n in seen_versions.items()},
            "server_rss_mb_end": round(rss / 2**20, 1),
            "load_average_after": load_average()}


def section_soak(args: argparse.Namespace) -> dict[str, Any]:
    demo = Demo.get()
    minutes = args.minutes or (1.0 if args.quick else 10.0)
    seconds = minutes * 60
    warmup = max(10.0, seconds * 0.1)
    server = Server(demo.served(), {})
    server.start()
    check = Checker(demo)
    samples: list[tuple[float, int]] = []
    t0 = time.monotonic()

    def sample() -> None:
        while time.monotonic() - t0 < seconds:
            samples.append((time.monotonic() - t0, server.rss_bytes()))
            time.sleep(2.0)
        samples.append((time.monotonic() - t0, server.rss_bytes()))

    log(f"soak: 16 connections of mixed traffic for {minutes:g} min")
    try:
        run_load(server.port, 16, seconds, mixed_path(demo), check, during=sample)
        samples.append((time.monotonic() - t0, server.rss_bytes()))
    finally:
        server.stop()
    after = [(t, r) for t, r in samples if t >= warmup]
    start_rss, end_rss = after[0][1], samples[-1][1]
    windows = 6
    width = (seconds - warmup) / windows
    p99 = []
    for w in range(windows):
        lo, hi = t0 + warmup + w * width, t0 + warmup + (w + 1) * width
        lat = [x[1] for x in check.responses if lo <= x[0] < hi and x[2] == 200]
        p99.append(round(float(np.percentile(lat, 99)) * 1000, 1) if lat else None)
    out = check.summary(t0)
    errors = sum(v for k, v in check.statuses.items() if k != 200)
    return {"model": demo.described(), "connections": 16, "minutes": minutes,
            "warmup_s": round(warmup, 1), **out, "errors": errors,
            "rss_mb_start": round(start_rss / 2**20, 1), "rss_mb_end": round(end_rss / 2**20, 1),
            "rss_mb_max": round(max(r for _, r in after) / 2**20, 1),
            "rss_growth_pct": round(100 * (end_rss - start_rss) / start_rss, 1),
            "rss_samples_mb": [[round(t, 1), round(r / 2**20, 1)] for t, r in samples[::5]],
            "p99_ms_by_window": p99, "window_s": round(width, 1),
            "p99_drift": (round(p99[-1] / p99[0], 2) if p99[0] and p99[-1] else None),
            "load_average_after": load_average()}


def fault_sigkill(demo: Demo, seconds: float) -> dict[str, Any]:
    server = Server(demo.served(), {})
    server.start()
    check = Checker(demo)
    marks: dict[str, float] = {}

    def kill_and_restart() -> None:
        time.sleep(seconds / 3)
        marks["kill"] = time.monotonic()
        server.kill()
        marks["restart"] = time.monotonic()
        server.start()
        marks["healthy"] = time.monotonic()

    paths = [demo.audience_path(f) for f in demo.checked]
    try:
        run_load(server.port, 16, seconds, lambda n: paths[n % len(paths)], check,
                 during=kill_and_restart)
    finally:
        server.stop()
    ok_after = [x[0] for x in check.responses if x[0] >= marks["restart"] and x[2] == 200]
    first_ok = min(ok_after) if ok_after else None
    before = [x for x in check.responses if x[0] < marks["kill"]]
    after = [x for x in check.responses if x[0] >= marks["healthy"]]
    return {"connections": 16, "seconds": seconds, "requests": len(check.responses),
            "restart_to_healthy_s": round(marks["healthy"] - marks["restart"], 2),
            "kill_to_first_200_s": (round(first_ok - marks["kill"], 2)
                                    if first_ok is not None else None),
            "errors_before_kill": sum(x[2] != 200 for x in before),  # in flight at the kill
            "failed_during_outage": sum(x[2] != 200 for x in check.responses
                                        if marks["kill"] - 30 <= x[0] < marks["healthy"]),
            "errors_after_healthy": sum(x[2] != 200 for x in after),
            "requests_after_healthy": len(after),
            "version_mismatches": len(check.mismatches)}


def fault_damaged(demo: Demo, seconds: float) -> dict[str, Any]:
    from recommender.model import layout

    damaged = demo.root / "damaged"
    shutil.rmtree(damaged, ignore_errors=True)
    shutil.copytree(demo.root / "b", damaged, symlinks=True)
    folder = layout.resolve(damaged)
    victim = folder / "user_factors.npy"
    size = victim.stat().st_size
    with open(victim, "r+b") as f:  # same size, same shape: only the bytes differ
        f.seek(size // 2)
        chunk = f.read(64)
        f.seek(size // 2)
        f.write(bytes(b ^ 0xFF for b in chunk))
    served = demo.served()
    server = Server(served, demo.admin_env())
    server.start()
    check = Checker(demo)
    result: dict[str, Any] = {}
    stamp_before = layout.stamp(served)

    def reload_damaged() -> None:
        time.sleep(seconds / 3)
        result["at"] = time.monotonic()
        result["status"], result["body"] = admin_post(server.port, "/admin/reload",
                                                      {"model_path": "damaged"}, ADMIN_KEY)

    paths = [demo.audience_path(f) for f in demo.checked]
    try:
        run_load(server.port, 16, seconds, lambda n: paths[n % len(paths)], check,
                 during=reload_damaged)
    finally:
        server.stop()
    after = [x for x in check.responses if x[0] >= result["at"]]
    detail = result["body"].get("detail", "") if isinstance(result["body"], dict) else ""
    return {"damage": f"64 bytes inverted in the middle of user_factors.npy ({size:,} bytes, "
                      "size and shape unchanged)",
            "reload_status": result["status"], "reload_detail": str(detail)[:300],
            "names_the_file": "user_factors.npy" in str(detail),
            "served_folder_unchanged": layout.stamp(served) == stamp_before,
            "requests_after_reload": len(after),
            "served_after_reload": dict(Counter(
                "a" if x[3] == demo.versions["a"] else x[3] or "none" for x in after)),
            "errors": sum(x[2] != 200 for x in check.responses),
            "version_mismatches": len(check.mismatches)}


def fault_full_disk(demo: Demo) -> dict[str, Any]:
    work = demo.work / "full-disk"
    work.mkdir(exist_ok=True)
    size = 256 * 1024
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(work)],
                             capture_output=True).returncode == 0
    out = work / "audiences.csv"
    cmd = ["audiences", str(demo.root / "a"), "--all", "--k", "100", "--out", str(out)]
    try:
        if mounted:
            method = f"a {size // 1024} KiB tmpfs mounted for the export"
            proc = cli(*cmd, check=False)
        else:
            method = f"RLIMIT_FSIZE of {size // 1024} KiB in the exporting process"
            import resource

            def limit() -> None:
                resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))

            script = shutil.which("recommender", path=str(Path(sys.executable).parent))
            proc = subprocess.run([script or "recommender", *cmd], capture_output=True,
                                  text=True, preexec_fn=limit)
        left = sorted(p.name for p in work.iterdir())
    finally:
        if mounted:
            subprocess.run(["umount", str(work)], check=False)
    err = proc.stderr.strip().splitlines()
    return {"method": method, "export": "recommender audiences MODEL --all --k 100 --out "
                                       "audiences.csv (40,000 rows, about 1 MB)",
            "exit_code": proc.returncode, "stderr_lines": len(err),
            "stderr_last": err[-1][:300] if err else "",
            "traceback": any("Traceback" in line for line in err),
            "files_left": left}


def section_faults(args: argparse.Namespace) -> dict[str, Any]:
    demo = Demo.get()
    seconds = 15.0 if args.quick else 30.0
    log("faults: SIGKILL and restart under load")
    sigkill = fault_sigkill(demo, seconds)
    log("faults: a reload to a damaged model folder under load")
    damaged = fault_damaged(demo, min(seconds, 15.0))
    log("faults: an export onto a full disk")
    full = fault_full_disk(demo)
    return {"model": demo.described(), "sigkill": sigkill, "damaged": damaged,
            "full_disk": full, "load_average_after": load_average()}


def _train_case(data: Path, out: Path) -> tuple[int, str, float, bool]:
    t0 = time.perf_counter()
    proc = cli("train", "--data", str(data), "--out", str(out), check=False, timeout=900)
    return proc.returncode, proc.stderr, time.perf_counter() - t0, out.exists()


def section_bad_files(args: argparse.Namespace) -> dict[str, Any]:
    from bad_files import (
        FORMATS,
        KINDS,
        SKIPPED,
        all_cases,
        expected_line,
        k_huge_field,
        write_case,
    )

    work = Path(tempfile.mkdtemp(prefix="bench-reliability-bad-"))
    many = 1_000_000 if args.quick else 10_000_000
    try:
        jobs: list[tuple[str, str, Any]] = []
        for fmt, kind in all_cases():
            case = write_case(work / f"{fmt}-{kind}", fmt, kind)
            assert case is not None
            jobs.append((fmt, kind, case))
        big = write_case(work / "csv-headers_only-many", "csv", "headers_only", lines=many)
        huge = write_case(work / "csv-huge_field-64MiB", "csv", "huge_field")
        assert big is not None and huge is not None
        huge.bad.write_bytes(k_huge_field(FORMATS["csv"], 0, size=64 << 20) or b"")
        jobs += [("csv", f"headers_only ({many:,} lines)", big),
                 ("csv", "huge_field (64 MiB)", huge)]
        log(f"bad files: {len(jobs)} cases through `recommender train`, two at a time")
        with ThreadPoolExecutor(2) as pool:
            done = list(pool.map(lambda j: _train_case(j[2].data, work / "out" / f"{j[0]}-"
                                                       f"{j[1].split()[0]}-{len(j[1])}"), jobs))
        rows = []
        for (fmt, kind, case), (rc, err, secs, wrote) in zip(jobs, done, strict=True):
            lines = err.strip().splitlines()
            first = lines[0] if lines else ""
            base = kind.split()[0]
            want = expected_line(fmt, base, case.bad)
            if want is not None:
                named_line = f", line {want}:" in first
            elif base == "empty":
                named_line = "the file is empty" in first
            elif fmt == "parquet":  # rows, not lines: named where one row is at fault
                named_line = ": row 3: " in first if base in ("nul_bytes", "huge_field") \
                    else True
            else:
                named_line = ", line " in first
            rows.append({"format": fmt, "kind": kind, "exit": rc,
                         "names_file": str(case.bad) in first, "names_line": named_line,
                         "expected_line": want, "one_line": len(lines) == 1,
                         "wrote_out": wrote, "seconds": round(secs, 2),
                         "bytes": case.bad.stat().st_size,
                         "message": first.replace(str(work) + "/", "")[:400]})
        out_dir = work / "out"
        leftovers = sorted(x.name for x in out_dir.iterdir()) if out_dir.exists() else []
    finally:
        shutil.rmtree(work, ignore_errors=True)
    ok = [r for r in rows if r["exit"] == 2 and r["names_file"] and r["names_line"]
          and r["one_line"] and not r["wrote_out"]]
    return {"formats": list(FORMATS), "kinds": list(KINDS),
            "skipped": [f"{f} x {k}: {why}" for (f, k), why in sorted(SKIPPED.items())],
            "cases": len(rows), "passed": len(ok), "failed": [r for r in rows if r not in ok],
            "rows": rows, "many_lines": many, "out_folder_leftovers": leftovers,
            "load_average_after": load_average()}


# --------------------------------------------------------------------------------------------
# Rendering
# --------------------------------------------------------------------------------------------


def _met(ok: bool) -> str:
    return "met" if ok else "**missed**"


def _model_line(m: dict[str, Any]) -> str:
    return (f"Served model: the demo dataset ({m['users']:,} users x {m['films']:,} films x "
            f"{m['seen']:,} interactions, {m['factors']} factors, ALS trained in "
            f"{m['train_s']} s).")


def render_schemathesis(r: dict[str, Any]) -> list[str]:
    lines = ["## Schemathesis: the schema tells the truth", "", _model_line(r["model"]),
             f"Schemathesis {_version('schemathesis')}, every check, valid and invalid data, "
             f"{r['examples_per_operation']} examples per operation and phase (`make test` "
             f"runs 5), seed {r['seed']}.", "",
             "| server | requests generated | failures (goal 0) | by check | time (s) | goal |",
             "|---|---:|---:|---|---:|---|"]
    for name, run in r["runs"].items():
        by = ", ".join(f"{k}: {v}" for k, v in run["failures_by_check"].items()) or "none"
        lines.append(f"| {name} | {run['requests']:,} | {run['failures']} | {by} | "
                     f"{run['seconds']} | {_met(run['failures'] == 0)} |")
    checks = {c for run in r["runs"].values() for c in run["failures_by_check"]}
    meaning = {
        "not_a_server_error": "a 5xx answer",
        "status_code_conformance": "a status the schema does not list for the route",
        "positive_data_acceptance": "a request valid by the schema that the server refused",
        "negative_data_rejection": "a request invalid by the schema that the server accepted",
        "response_schema_conformance": "a body that does not match the schema",
        "error": "a failure of Schemathesis itself (e.g. Hypothesis could not generate data "
                 "for the operation fast enough)"}
    if checks:
        said = "; ".join(f"`{c}`: {meaning.get(c, 'see the Schemathesis documentation')}"
                         for c in sorted(checks))
        lines += ["", "Missed: Schemathesis found requests where the server and its schema "
                  f"disagree ({said}). The first line of each is below; the full text with its "
                  "curl is in `reliability.json`. The routes are outside this benchmark's "
                  "files; each finding goes back to the route's owner.", ""]
    for name, run in r["runs"].items():
        for ex in run["failure_examples"]:
            text = ex.splitlines() or [""]
            curl = next((x for x in text if x.startswith("curl ")), "")
            lines.append(f"- {name}: `{text[0][:300]}`" + (f": `{curl[:300]}`" if curl else ""))
    return lines + ["", f"Load average after: {load_text(r['load_average_after'])}.", ""]


def _version(module: str) -> str:
    try:
        from importlib.metadata import version

        return version(module)
    except Exception:
        return "?"


def render_reload(r: dict[str, Any]) -> list[str]:
    lat = r["latency_ms"]
    return [
        "## Reload under load: every response from one model", "", _model_line(r["model"]),
        f"`recommender serve --workers {r['workers']}`, {r['connections']} keep-alive "
        f"connections (an asyncio client in one process on the same 2 cores as the server) "
        f"for {r['seconds']} s, all asking audiences (k={AUDIENCE_K}) of {CHECKED_FILMS} "
        f"films; an admin reload every 2 s alternates the served folder between models a and "
        f"b. The issue asks for 64 connections for 60 s.", "",
        "| figure | value | goal |", "|---|---:|---|",
        f"| requests | {r['requests']:,} ({r['requests_per_s']:,}/s) | |",
        f"| errors (non-200 answers and transport errors) | {r['errors']} | 0: "
        f"{_met(r['errors'] == 0)} |",
        f"| bodies checked against the model their `X-Model-Version` names | "
        f"{r['bodies_checked']:,} | every 200 |",
        f"| bodies of another version than their header | {r['version_mismatches']} | 0: "
        f"{_met(r['version_mismatches'] == 0)} |",
        f"| reloads answered 200 | {r['reloads_ok']} of {r['reloads']} | all: "
        f"{_met(r['reloads_ok'] == r['reloads'] and r['reloads'] > 0)} |",
        f"| reload answer time, median (max) | {r['reload_answer_s'].get('median')} s "
        f"({r['reload_answer_s'].get('max')} s) | |",
        f"| responses by version | {r['versions_seen']} | both |",
        f"| latency p50 / p99 / max | {lat.get('p50')} / {lat.get('p99')} / {lat.get('max')} "
        "ms | |",
        f"| statuses | {r['statuses']} | |",
        "", f"Load average after: {load_text(r['load_average_after'])}.", ""]


def render_soak(r: dict[str, Any]) -> list[str]:
    lat = r["latency_ms"]
    growth_ok = r["rss_growth_pct"] < 10
    drift = r["p99_drift"]
    lines = [
        "## Soak: mixed traffic, memory and latency over time", "", _model_line(r["model"]),
        f"`recommender serve` (one worker), 16 keep-alive connections of mixed traffic "
        f"(audiences with k 10/100/500, similar films, user recommendations, film details, "
        f"audience summaries and CSV downloads, segments) for {r['minutes']:g} min (the issue "
        f"asks for 10). Warm-up: the first {r['warmup_s']} s. Resident memory is the server's "
        "process tree (psutil), sampled every 2 s.", "",
        "| figure | value | goal |", "|---|---:|---|",
        f"| requests | {r['requests']:,} ({r['requests_per_s']:,}/s) | |",
        f"| errors | {r['errors']} | 0: {_met(r['errors'] == 0)} |",
        f"| resident memory after warm-up -> end (max) | {r['rss_mb_start']} -> "
        f"{r['rss_mb_end']} MiB ({r['rss_mb_max']}) | |",
        f"| memory growth after warm-up | {r['rss_growth_pct']}% | < 10%: {_met(growth_ok)} |",
        f"| p99 latency per {r['window_s']} s window | {r['p99_ms_by_window']} ms | |",
        f"| p99 drift (last window / first) | {drift} | no goal in the issue; 1 is steady |",
        f"| latency p50 / p99 overall | {lat.get('p50')} / {lat.get('p99')} ms | |",
        "", f"Load average after: {load_text(r['load_average_after'])}.", ""]
    windows = [w for w in r["p99_ms_by_window"] if w is not None]
    steady_rise = len(windows) > 2 and all(b >= a for a, b in zip(windows, windows[1:],
                                                                  strict=False))
    lines.insert(-2, "The p99 of the windows " + (
        "rises from each window to the next: latency degrades over time." if steady_rise else
        f"goes up and down ({min(windows)}-{max(windows)} ms) rather than rising steadily: "
        "on this shared 2-core machine the other jobs' load moves it more than the server "
        "does; the drift figure compares two such windows.") if windows else "")
    lines.insert(-2, "")
    if not growth_ok:
        why = (f"in a run of {r['minutes']:g} min the warm-up ({r['warmup_s']} s) ends before "
               "the server's bounded caches (ranking and rendered bodies, "
               "`RECOMMENDER_CACHE_MB`) have filled, so their filling counts as growth; the "
               "goal is judged on the 10-minute run (`--minutes 10`)" if r["minutes"] < 5 else
               "see the samples in `reliability.json` (`rss_samples_mb`) for whether it "
               "levels off")
        lines[-2:-2] = [f"Memory grew by 10% or more after warm-up: {why}.", ""]
    return lines


def render_faults(r: dict[str, Any]) -> list[str]:
    k, d, f = r["sigkill"], r["damaged"], r["full_disk"]
    full_ok = f["exit_code"] == 2 and not f["traceback"] and not f["files_left"]
    damaged_ok = (d["reload_status"] == 409 and d["served_folder_unchanged"]
                  and set(d["served_after_reload"]) == {"a"} and d["errors"] == 0)
    lines = [
        "## Faults", "", _model_line(r["model"]), "",
        "| fault | figure | value | goal |", "|---|---|---:|---|",
        f"| SIGKILL of the server under load (16 connections), restarted at once | restart "
        f"to healthy | {k['restart_to_healthy_s']} s | |",
        f"| | kill to the first 200 | {k['kill_to_first_200_s']} s | |",
        f"| | requests failed from the kill to healthy (the {k['errors_before_kill']} in "
        f"flight at the kill included) | {k['failed_during_outage']} | (expected) |",
        f"| | errors once healthy | {k['errors_after_healthy']} of "
        f"{k['requests_after_healthy']:,} | 0: {_met(k['errors_after_healthy'] == 0)} |",
        f"| reload to a model folder damaged on disk ({d['damage']}) | reload answer | "
        f"{d['reload_status']} | 409: {_met(d['reload_status'] == 409)} |",
        f"| | names the damaged file | {d['names_the_file']} | yes: "
        f"{_met(d['names_the_file'])} |",
        f"| | served folder unchanged; responses after it by version | "
        f"{d['served_folder_unchanged']}; {d['served_after_reload']} | old model only: "
        f"{_met(damaged_ok)} |",
        f"| export onto a full disk ({f['method']}) | exit code | {f['exit_code']} | 2: "
        f"{_met(f['exit_code'] == 2)} |",
        f"| | stderr | {f['stderr_lines']} line(s){', a traceback' if f['traceback'] else ''}"
        f" | one clear line: {_met(f['stderr_lines'] == 1 and not f['traceback'])} |",
        f"| | files left in the output folder | {f['files_left'] or 'none'} | none: "
        f"{_met(not f['files_left'])} |",
        "", f"Reload refusal: `{d['reload_detail']}`", "",
        f"Full-disk message: `{f['stderr_last']}`", ""]
    if not full_ok:
        lines.append("The full-disk export misses its goal of a clear error: "
                     "`recommender.cli.main` turns domain errors (`RecommenderError`) into one "
                     "line and exit 2, but the writer's `OSError` (ENOSPC on the tmpfs, EFBIG "
                     "under RLIMIT_FSIZE) is none, so it ends in a traceback and exit 1. The "
                     "atomic writer (`recommender/io/atomic.py`) does its part: no partial or "
                     "temporary file is left. The fix belongs in the CLI's `main` (or in "
                     "`atomic_file`, raising a domain error), outside this benchmark's files.")
    return lines + ["", f"Load average after: {load_text(r['load_average_after'])}.", ""]


def render_bad_files(r: dict[str, Any]) -> list[str]:
    lines = [
        "## Bad input files: every one refused, naming file and line", "",
        f"The corpus of `tests/io/bad_files.py`: {len(r['kinds'])} kinds of damage "
        f"({', '.join(r['kinds'])}) x {len(r['formats'])} formats ({', '.join(r['formats'])}), "
        f"plus a headers-only CSV of {r['many_lines']:,} lines and a CSV with a 64 MiB field; "
        "each through `recommender train --data CASE --out OUT` in its own process. Metadata "
        "formats (catalogs, user tables) sit in a dataset folder beside a valid ratings file. "
        "Parquet has no lines: its messages name the row where there is one.", "",
        "| figure | value | goal |", "|---|---:|---|",
        f"| cases | {r['cases']} | |",
        f"| exit 2, one line naming the file and the planted line, nothing written | "
        f"{r['passed']} of {r['cases']} | all: {_met(r['passed'] == r['cases'])} |",
        f"| anything left where the models would have gone (temporary folders included) | "
        f"{r.get('out_folder_leftovers') or 'nothing'} | nothing: "
        f"{_met(not r.get('out_folder_leftovers'))} |", ""]
    for row in r["rows"]:
        if row["kind"].startswith(("headers_only (", "huge_field (")):
            lines.append(f"- {row['kind']} ({row['bytes'] / 1e6:,.1f} MB): exit {row['exit']} "
                         f"in {row['seconds']} s: `{row['message'][:200]}`")
    for row in r["failed"]:
        lines.append(f"- **missed**: {row['format']} x {row['kind']}: exit {row['exit']}, "
                     f"`{row['message'][:200]}`")
    lines += ["", "Not applicable (not damage for that format):", ""]
    lines += [f"- {s}" for s in r["skipped"]]
    return lines + ["", f"Load average after: {load_text(r['load_average_after'])}.", ""]


SECTIONS: dict[str, tuple[Callable[[argparse.Namespace], dict[str, Any]],
                          Callable[[dict[str, Any]], list[str]]]] = {
    "checksums": (lambda a: section_checksums(a.quick), render_checksums),
    "schemathesis": (section_schemathesis, render_schemathesis),
    "reload": (section_reload, render_reload),
    "soak": (section_soak, render_soak),
    "faults": (section_faults, render_faults),
    "bad_files": (section_bad_files, render_bad_files),
}


def render(doc: dict[str, Any]) -> str:
    m = doc.get("machine", {})
    lines = ["# Reliability", "",
             "Written by `benchmarks/bench_reliability.py` from its measurements; last written "
             f"{doc.get('finished', '?')} at commit {m.get('git_commit') or 'not recorded'} "
             f"({m.get('cpu_model', '?')}, {m.get('cores_available', '?')} cores, load average "
             f"at start {load_text(m.get('load_average_at_start'))}); under each heading, what is "
             "recorded of the run that measured that section. Every figure stands next to its "
             "goal.", ""]
    for name, (_, render_section) in SECTIONS.items():
        if name in doc.get("sections", {}):
            part = render_section(doc["sections"][name])  # its heading, a blank line, ...
            lines += [*part[:2], provenance_line(doc["sections"][name], doc), "", *part[2:]]
    return "\n".join(lines)


def main() -> None:
    ap = base_args(__doc__.splitlines()[0])
    ap.add_argument("--section", action="append", choices=sorted(SECTIONS),
                    help="run only this section (repeatable); the others' results are kept")
    ap.add_argument("--connections", type=int, default=64, help="reload: connections")
    ap.add_argument("--seconds", type=float, help="reload: seconds (60; --quick 15)")
    ap.add_argument("--minutes", type=float, help="soak: minutes (10; --quick 1)")
    ap.add_argument("--schema-examples", type=int, dest="schema_examples",
                    help="schemathesis: examples per operation and phase (25; --quick 5)")
    ap.add_argument("--render", action="store_true",
                    help="only write the MD again from the JSON (no measurement)")
    args = ap.parse_args()
    chosen = [] if args.render else (args.section or list(SECTIONS))
    previous = read_result(NAME, args.quick) or {}
    sections = dict(previous.get("sections", {}))
    try:
        for name in chosen:
            log(f"section {name}")
            sections[name] = measured(SECTIONS[name][0], args)
            write_result(NAME, {"sections": sections}, args.quick)  # keep what is done
    finally:
        Demo.cleanup()
    if not args.render:
        write_result(NAME, {"sections": sections}, args.quick)
    out = results_dir(args.quick) / f"{NAME}.json"
    doc = read_result(NAME, args.quick) or {}
    md = results_dir(args.quick) / f"{NAME}.md"
    md.write_text(render(doc))
    log(f"wrote {out} and {md}")


if __name__ == "__main__":
    main()
