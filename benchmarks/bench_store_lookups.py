"""The store's look-ups by pair and by user beside many rows: ``results/store_lookups.{json,md}``.

A SQLite store at the current schema (``open_store``) holds ``PLAN_ROWS`` plan rows (``PLANS``
plans of ``FILMS_PER_PLAN`` films each, written straight into its tables: the rows' figures are
not read by what is timed) and ``EVENTS`` events (``record_events``, batches of 10,000), among
whose users ``QUOTED`` phone numbers (``+3361...``). Measured, ``--repeats`` times each (median):

- ``pairs``: the check of a plan's own (film, user) pairs against the plans stored meanwhile
  (``controls.clashing_rows``: the pairs drive a join on the index of plan rows by (film,
  user), migration 6), for a plan of ``PAIRS`` pairs on ``PAIR_FILMS`` stored films; baseline in
  the same run: reading those films' stored rows and keeping the pairs
  (``controls.selected_rows``, as the check read them before);
- ``quoted``: ``sheet_ids.unquoted_ids`` of a batch of the ``QUOTED`` phone numbers cut with
  their spreadsheet-safe quote (``'+3361...``), as ``events import`` looks them up, on the store
  and on a copy without migration 9's indexes by user (and step 11's plan-row index by user,
  which serves the same look-up): the store before that step;
- ``index_build``: migration 9 itself (``user_indexes.create_tables``) on a fresh copy of that
  store without them;
- ``store_events``: ``record_events`` of a batch of 10,000 new events into each of the two
  stores, alternating (what the indexes cost each write).

    nice -n 10 .venv/bin/python benchmarks/bench_store_lookups.py [--quick] [--repeats 5]
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

from recommender.campaigns import user_indexes  # noqa: E402
from recommender.campaigns.controls import clashing_rows, selected_rows  # noqa: E402
from recommender.campaigns.events import EventBatch, record_events  # noqa: E402
from recommender.campaigns.sheet_ids import unquoted_ids  # noqa: E402
from recommender.campaigns.store import CampaignStore, open_store  # noqa: E402
from recommender.campaigns.store_tables import COUNT_INDEX  # noqa: E402

# full run; --quick divides the rows and events by 5
PLAN_ROWS, PLANS, FILMS, FILMS_PER_PLAN, USERS = 1_000_000, 20, 40, 10, 200_000
EVENTS, QUOTED, PAIRS, PAIR_FILMS, BATCH = 400_000, 2_000, 20_000, 10, 10_000
STORES = ("with_indexes", "without_indexes")


def phone(i: int) -> str:
    return f"+3361{i:08d}"


def fill(path: Path, rows: int, n_events: int) -> dict[str, Any]:
    """The store at ``path``: its plan rows inserted with ``sqlite3`` (one transaction), its
    events through ``record_events``."""
    rng = np.random.default_rng(0)
    open_store(str(path)).close()  # every migration applied
    per_plan = rows // PLANS
    t0 = time.perf_counter()
    with sqlite3.connect(path) as db:
        for p in range(PLANS):
            films = [f"f{(p * 7 + k) % FILMS}" for k in range(FILMS_PER_PLAN)]
            db.execute("INSERT INTO campaign_plans VALUES (?, ?, ?, ?, ?)",
                       (f"plan-{p}", "2026-12-01T00:00:00Z", "bench", per_plan, "{}"))
            f = rng.integers(FILMS_PER_PLAN, size=per_plan)
            u = rng.integers(USERS, size=per_plan)
            db.executemany("INSERT INTO campaign_plan_rows VALUES (?, ?, ?, ?, 1, ?, ?, 0.1, 0.1)",
                           ((f"plan-{p}", i, films[f[i]], f"u{u[i]}", "target" if i % 10
                             else "control", i) for i in range(per_plan)))
    rows_s = time.perf_counter() - t0
    store = open_store(str(path))
    t0 = time.perf_counter()
    try:
        users = np.array([f"u{i}" for i in range(USERS)] + [phone(i) for i in range(QUOTED)])
        who = rng.integers(USERS, size=n_events)
        who[:QUOTED] = USERS + np.arange(QUOTED)  # each phone number stored once
        for start in range(0, n_events, BATCH):
            n = min(BATCH, n_events - start)
            record_events(store, EventBatch(
                [f"e{start + i}" for i in range(n)], users[who[start:start + n]].tolist(),
                [f"f{x}" for x in rng.integers(FILMS, size=n)],
                [1_700_000_000 + start + i for i in range(n)], [1.0] * n))
    finally:
        store.close()
    return {"plan_rows": per_plan * PLANS, "plans": PLANS, "films": FILMS, "users": USERS,
            "events": n_events, "quoted_phone_numbers": QUOTED,
            "fill_seconds": {"plan_rows": round(rows_s, 2),
                             "events": round(time.perf_counter() - t0, 2)}}


def drop_user_indexes(path: Path) -> None:
    """Undo migration 9 (and step 11's plan-row index by user, which serves the same look-ups)."""
    with sqlite3.connect(path) as db:
        for name in [*user_indexes.USER_INDEXES, COUNT_INDEX]:
            db.execute(f"DROP INDEX IF EXISTS {name}")


def plan_pairs(rng: np.random.Generator) -> set[tuple[str, str]]:
    """A new plan's ``PAIRS`` (film, user) pairs on ``PAIR_FILMS`` stored films."""
    pairs: set[tuple[str, str]] = set()
    while len(pairs) < PAIRS:
        f, u = rng.integers(PAIR_FILMS), rng.integers(USERS)
        pairs.add((f"f{f}", f"u{u}"))
    return pairs


def by_pairs(store: CampaignStore, pairs: set[tuple[str, str]]) -> int:
    with store.engine.begin() as conn:
        return len(clashing_rows(conn, store.dialect, pairs))


def by_films(store: CampaignStore, pairs: set[tuple[str, str]]) -> int:
    films = sorted({f for f, _ in pairs})
    with store.engine.connect() as conn:
        return sum(1 for f, u, _ in selected_rows(conn, films) if (f, u) in pairs)


def quoted_batch() -> EventBatch:
    ids = [f"'{phone(i)}" for i in range(QUOTED)]
    return EventBatch([f"q{i}" for i in range(QUOTED)], ids, ["f0"] * QUOTED,
                      [1_800_000_000] * QUOTED, [1.0] * QUOTED)


def main() -> None:
    ap = base_args(__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=5, help="runs of each measure")
    ap.add_argument("--render", action="store_true", help="only rewrite store_lookups.md")
    args = ap.parse_args()
    if args.render:
        doc = saved_result("store_lookups", args.quick, "bench_store_lookups.py")
        (results_dir(args.quick) / "store_lookups.md").write_text(render(doc))
        return
    scale = 5 if args.quick else 1
    rng = np.random.default_rng(1)
    with tempfile.TemporaryDirectory(prefix="bench-store-lookups-") as tmp:
        a, b, c = (Path(tmp) / f"{n}.db" for n in ("with", "without", "build"))
        log(f"filling a store: {PLAN_ROWS // scale:,} plan rows, {EVENTS // scale:,} events ...")
        filled = fill(a, PLAN_ROWS // scale, EVENTS // scale)
        shutil.copy(a, b)
        drop_user_indexes(b)
        stores = {"with_indexes": open_store(str(a)), "without_indexes": open_store(str(b))}
        pairs = plan_pairs(rng)
        batch = quoted_batch()
        sec: dict[str, list[float]] = {k: [] for k in (
            "pairs", "films_rows", "quoted/with_indexes", "quoted/without_indexes",
            "index_build", "store_events/with_indexes", "store_events/without_indexes")}
        found: dict[str, int] = {}
        try:
            for r in range(args.repeats):
                log(f"repeat {r + 1}/{args.repeats}")
                st = stores["with_indexes"]
                reads = [("pairs", by_pairs), ("films_rows", by_films)]
                for k, fn in (reads if r % 2 == 0 else reads[::-1]):
                    t0 = time.perf_counter()
                    found[k] = fn(st, pairs)
                    sec[k].append(time.perf_counter() - t0)
                for s in (STORES if r % 2 == 0 else STORES[::-1]):
                    t0 = time.perf_counter()
                    _, said = unquoted_ids(batch, None, stores[s])
                    sec[f"quoted/{s}"].append(time.perf_counter() - t0)
                    found[f"quoted/{s}"] = said.events
                for s in (STORES if r % 2 == 0 else STORES[::-1]):
                    n = BATCH
                    t0 = time.perf_counter()
                    record_events(stores[s], EventBatch(
                        [f"w{r}-{i}" for i in range(n)], [f"u{i}" for i in range(n)],
                        [f"f{i % FILMS}" for i in range(n)],
                        [1_900_000_000 + i for i in range(n)], [1.0] * n))
                    sec[f"store_events/{s}"].append(time.perf_counter() - t0)
                shutil.copy(b, c)
                build = open_store(str(c))
                try:
                    with build.engine.begin() as conn:
                        t0 = time.perf_counter()
                        user_indexes.create_tables(conn)
                        sec["index_build"].append(time.perf_counter() - t0)
                finally:
                    build.close()
        finally:
            for opened in stores.values():
                opened.close()
    payload = {"data": {**filled, "pairs_checked": PAIRS, "pair_films": PAIR_FILMS,
                        "event_batch": BATCH},
               "repeats": args.repeats, "found": found,
               "seconds": {k: stats(v, digits=4) for k, v in sec.items()}}
    path = write_result("store_lookups", payload, args.quick)
    doc = json.loads(path.read_text())
    (results_dir(args.quick) / "store_lookups.md").write_text(render(doc))
    log(f"wrote {results_dir(args.quick) / 'store_lookups.md'}")


def med(doc: dict[str, Any], key: str) -> float:
    return float(doc["seconds"][key]["median"])


def render(doc: dict[str, Any]) -> str:
    d = doc["data"]
    lines = [
        *page_header(doc, "The campaign store's look-ups by pair and by user beside many rows",
                     "bench_store_lookups.py"),
        f"Store: SQLite at the current schema, {d['plan_rows']:,} plan rows ({d['plans']} plans "
        f"over {d['films']} films and {d['users']:,} users) and {d['events']:,} events, "
        f"{d['quoted_phone_numbers']:,} of whose users are phone numbers. *Without indexes*: a "
        "copy with migration 9's indexes by user (plan rows, opt-outs, events) and step 11's "
        f"plan-row index by user dropped. Median of {doc['repeats']} runs of each, alternating.",
        "",
        "| measure | median (s) | baseline (same run) | median (s) | baseline / measure |",
        "|---|---|---|---|---|",
        f"| `clashing_rows`: a plan's {d['pairs_checked']:,} pairs on {d['pair_films']} films "
        f"against the stored rows (index by film and user, migration 6) | "
        f"{med(doc, 'pairs'):.3f} | `selected_rows`: those films' stored rows, kept to the "
        f"pairs | {med(doc, 'films_rows'):.3f} | "
        f"{med(doc, 'films_rows') / med(doc, 'pairs'):.1f}× |",
        f"| `unquoted_ids`: {d['quoted_phone_numbers']:,} quoted phone numbers looked up, "
        f"with the indexes by user | {med(doc, 'quoted/with_indexes'):.3f} | the same, "
        f"without them | {med(doc, 'quoted/without_indexes'):.3f} | "
        f"{med(doc, 'quoted/without_indexes') / med(doc, 'quoted/with_indexes'):.1f}× |",
        f"| `record_events` of {d['event_batch']:,} new events, with the indexes | "
        f"{med(doc, 'store_events/with_indexes'):.3f} | the same, without them | "
        f"{med(doc, 'store_events/without_indexes'):.3f} | "
        f"{med(doc, 'store_events/without_indexes') / med(doc, 'store_events/with_indexes'):.2f}"
        "× |",
        f"| migration 9 (`user_indexes.create_tables`) on the copy without them | "
        f"{med(doc, 'index_build'):.3f} | | | |",
        "",
        f"Answers, the same in every run: {doc['found']['pairs']:,} clashing rows by either "
        f"read ({doc['found']['films_rows']:,} by the films' rows); quoted ids read unquoted "
        f"{doc['found']['quoted/with_indexes']:,} with the indexes, "
        f"{doc['found']['quoted/without_indexes']:,} without.",
        "",
        "The README quotes these medians (`scripts/readme_results.py`, `store-pairs`, "
        "`store-quoted`, `store-user-index-build`, `store-user-index-write`).",
        ""]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
