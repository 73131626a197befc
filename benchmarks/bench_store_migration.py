"""Migration 10 of a SQLite store holding many events: ``results/store_migration.{json,md}``.

Step 10 (``event_writers.create_tables``: each event's writer) rewrites the events table on
SQLite, whose constraints cannot be dropped, under the write lock. A store at schema 9 is made
with the engine's own steps (``store.MIGRATIONS`` up to 9) and ``EVENTS`` events written into
its events table in one ``sqlite3`` transaction (``--quick``: a fifth), over ``USERS`` users
and ``FILMS`` films, ids as the demo's; then, ``--repeats`` times on a fresh copy of it,
``open_store`` migrates it to the current schema (steps 10 to the last, timed whole: step 10's
rewrite is nearly all of it). The file's size before and after (the old table's pages are
freed, not given back to the disk: ``VACUUM`` reclaims them), and after a ``VACUUM``, each
once the write-ahead log is checkpointed into it.

    nice -n 10 .venv/bin/python benchmarks/bench_store_migration.py [--quick] [--repeats 3]
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from common import (  # noqa: E402
    base_args,
    log,
    page_header,
    results_dir,
    saved_result,
    stats,
    write_result,
)

from recommender.campaigns import store as store_mod  # noqa: E402
from recommender.campaigns.store import open_store  # noqa: E402

EVENTS, USERS, FILMS, CHUNK = 1_000_000, 100_000, 5_000, 100_000


def schema_9(path: Path, n_events: int) -> int:
    """A store at schema 9 holding ``n_events`` events; returns its schema version."""
    every = store_mod.MIGRATIONS
    store_mod.MIGRATIONS = [m for m in every if m[0] <= 9]
    try:
        store = open_store(str(path))
        version = store.version()
        store.close()
    finally:
        store_mod.MIGRATIONS = every
    rng = np.random.default_rng(0)
    with sqlite3.connect(path) as db:
        for start in range(0, n_events, CHUNK):
            n = min(CHUNK, n_events - start)
            u, f = rng.integers(USERS, size=n), rng.integers(FILMS, size=n)
            db.executemany("INSERT INTO campaign_events (event_id, user_id, film_id, timestamp, "
                           "weight) VALUES (?, ?, ?, ?, 1.0)",
                           ((f"e-{start + i}", f"u{u[i]}", f"{f[i]:07d}", 1_700_000_000 + i)
                            for i in range(n)))
    return int(version)


def settled(path: Path) -> dict[str, float]:
    """The file at ``path`` once its write-ahead log is checkpointed into it (truncated), in
    MB, and the MB of its free pages (freed, not given back to the disk)."""
    db = sqlite3.connect(path)
    try:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        free = db.execute("PRAGMA freelist_count").fetchone()[0] * \
            db.execute("PRAGMA page_size").fetchone()[0]
    finally:
        db.close()
    return {"file_mb": round(path.stat().st_size / 1e6, 1), "free_mb": round(free / 1e6, 1)}


def main() -> None:
    ap = base_args(__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3, help="migrations, each of a fresh copy")
    ap.add_argument("--render", action="store_true", help="only rewrite store_migration.md")
    args = ap.parse_args()
    if args.render:
        doc = saved_result("store_migration", args.quick, "bench_store_migration.py")
        (results_dir(args.quick) / "store_migration.md").write_text(render(doc))
        return
    n = EVENTS // (5 if args.quick else 1)
    seconds: list[float] = []
    with tempfile.TemporaryDirectory(prefix="bench-store-migration-") as tmp:
        old, copy = Path(tmp) / "schema9.db", Path(tmp) / "copy.db"
        log(f"a store at schema 9 with {n:,} events ...")
        before = schema_9(old, n)
        sizes = {"before": settled(old)}  # checkpointed: the copies hold every event
        for r in range(args.repeats):
            for p in (copy, Path(f"{copy}-wal"), Path(f"{copy}-shm")):
                p.unlink(missing_ok=True)
            shutil.copy(old, copy)
            t0 = time.perf_counter()
            store = open_store(str(copy))
            seconds.append(time.perf_counter() - t0)
            after = store.version()
            with store.engine.connect() as conn:
                count = int(conn.exec_driver_sql("SELECT count(*) FROM campaign_events")
                            .scalar_one())
            store.close()
            log(f"migration {r + 1}/{args.repeats}: {seconds[-1]:.1f} s")
        sizes["after"] = settled(copy)
        db = sqlite3.connect(copy)
        db.execute("VACUUM")
        db.close()
        sizes["after_vacuum"] = settled(copy)
    payload = {"data": {"events": n, "users": USERS, "films": FILMS},
               "schema": {"before": before, "after": after}, "events_after": count,
               "repeats": args.repeats, "seconds": stats(seconds, digits=2),
               "file": sizes}
    path = write_result("store_migration", payload, args.quick)
    doc = json.loads(path.read_text())
    (results_dir(args.quick) / "store_migration.md").write_text(render(doc))
    log(f"wrote {results_dir(args.quick) / 'store_migration.md'}")


def render(doc: dict[str, Any]) -> str:
    d, s, f = doc["data"], doc["seconds"], doc["file"]
    return "\n".join([
        *page_header(doc, "Migration 10 of a SQLite store holding many events",
                     "bench_store_migration.py",
                     then=" (shared machine: absolute times are noisy)."),
        f"A store at schema {doc['schema']['before']} holding {d['events']:,} events "
        f"({d['users']:,} users, {d['films']:,} films), opened by `open_store`, which migrates "
        f"it to schema {doc['schema']['after']} ({doc['events_after']:,} events after): "
        f"median {s['median']:.1f} s (min {s['min']:.1f}, max {s['max']:.1f}; {s['n']} "
        "migrations, each of a fresh copy), under the write lock.",
        "",
        "| the file | MB | of which free pages (MB) |", "|---|---|---|",
        *(f"| {label} | {f[k]['file_mb']:.1f} | {f[k]['free_mb']:.1f} |" for k, label in (
            ("before", f"before (schema {doc['schema']['before']})"),
            ("after", "after the migration"), ("after_vacuum", "after `VACUUM`"))),
        "",
        "Each size is the file's once its write-ahead log is checkpointed into it.",
        ""])


if __name__ == "__main__":
    main()
