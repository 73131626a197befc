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

``--postgres`` measures the same on PostgreSQL stores instead (``results/store_lookups_postgres
.json``): databases in a throwaway cluster the run starts and stops (``pg_cluster.py``), or in
the server at ``--postgres URL`` (its user may create databases; the run drops them), the plan
rows written by ``COPY``, the copies made by ``CREATE DATABASE ... TEMPLATE``, both stores
vacuumed and analysed once filled (as autovacuum does a store in use). ``store_lookups.md``
shows both stores' runs, each from its own json, side by side.

    nice -n 10 .venv/bin/python benchmarks/bench_store_lookups.py [--quick] [--repeats 5]
        [--postgres [URL]]
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pg_cluster  # noqa: E402
from common import (  # noqa: E402
    base_args,
    load_text,
    log,
    page_header,
    saved_result,
    stats,
    write_result,
    write_store_page,
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


def write_plans(target: str, rng: np.random.Generator, per_plan: int) -> None:
    """``PLANS`` plans of ``per_plan`` rows into the store at ``target``: with ``sqlite3`` (one
    transaction) into a SQLite file, with psycopg's ``COPY`` into a PostgreSQL URL."""
    def plan(p: int) -> tuple[tuple[Any, ...], Iterator[tuple[Any, ...]]]:
        films = [f"f{(p * 7 + k) % FILMS}" for k in range(FILMS_PER_PLAN)]
        f = rng.integers(FILMS_PER_PLAN, size=per_plan)
        u = rng.integers(USERS, size=per_plan)
        return ((f"plan-{p}", "2026-12-01T00:00:00Z", "bench", per_plan, "{}"),
                ((f"plan-{p}", i, films[f[i]], f"u{u[i]}", 1, "target" if i % 10 else "control",
                  i, 0.1, 0.1) for i in range(per_plan)))

    if not target.startswith("postgresql"):
        with sqlite3.connect(target) as db:
            for p in range(PLANS):
                head, rows = plan(p)
                db.execute("INSERT INTO campaign_plans VALUES (?, ?, ?, ?, ?)", head)
                db.executemany("INSERT INTO campaign_plan_rows VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                               rows)
        return
    import psycopg

    with psycopg.connect(target) as pg:
        for p in range(PLANS):
            head, rows = plan(p)
            pg.execute("INSERT INTO campaign_plans VALUES (%s, %s, %s, %s, %s)", head)
            with pg.cursor().copy("COPY campaign_plan_rows FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)


def fill(target: str, rows: int, n_events: int) -> dict[str, Any]:
    """The store at ``target`` (a SQLite file or a PostgreSQL URL): its plan rows written
    straight into its tables (``write_plans``), its events through ``record_events``."""
    rng = np.random.default_rng(0)
    open_store(target).close()  # every migration applied
    per_plan = rows // PLANS
    t0 = time.perf_counter()
    write_plans(target, rng, per_plan)
    rows_s = time.perf_counter() - t0
    store = open_store(target)
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


def drop_user_indexes(target: str) -> None:
    """Undo migration 9 (and step 11's plan-row index by user, which serves the same look-ups)."""
    store = open_store(target)
    try:
        with store.engine.begin() as conn:
            for name in [*user_indexes.USER_INDEXES, COUNT_INDEX]:
                conn.exec_driver_sql(f"DROP INDEX IF EXISTS {name}")
    finally:
        store.close()


@contextmanager
def store_places(postgres: str | None) -> Iterator[tuple[Callable[[str], str],
                                                         Callable[[str, str], str]]]:
    """(``new(name)``: an empty store's target; ``copy(src, dst)``: ``dst`` made a copy of the
    closed store ``src``, its target): SQLite files in a temp folder, or with ``postgres`` ("":
    a throwaway cluster; else a server's URL) databases, dropped at the end."""
    with ExitStack() as stack:
        if postgres is None:
            tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(
                prefix="bench-store-lookups-")))

            def file_copy(src: str, dst: str) -> str:
                shutil.copy(tmp / f"{src}.db", tmp / f"{dst}.db")
                return str(tmp / f"{dst}.db")
            yield (lambda name: str(tmp / f"{name}.db")), file_copy
            return
        server = postgres or stack.enter_context(
            pg_cluster.throwaway_cluster("bench-store-lookups-"))
        dbs = pg_cluster.Databases(server, "bench_store_lookups_")
        stack.callback(dbs.drop_all)
        yield dbs.create, lambda src, dst: dbs.create(dst, template=src)


def vacuum(target: str) -> None:
    """PostgreSQL's ``VACUUM ANALYZE`` of the store at ``target`` (nothing for SQLite)."""
    if target.startswith("postgresql"):
        import psycopg

        with psycopg.connect(target, autocommit=True) as conn:
            conn.execute("VACUUM ANALYZE")


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
    ap.add_argument("--postgres", nargs="?", const="", metavar="URL",
                    help="measure PostgreSQL stores (store_lookups_postgres.json): in a "
                    "throwaway cluster, or in the server at URL, whose user may create databases")
    args = ap.parse_args()
    if args.render:
        saved_result("store_lookups", args.quick, "bench_store_lookups.py")
        write_store_page("store_lookups", args.quick, render)
        return
    scale = 5 if args.quick else 1
    rng = np.random.default_rng(1)
    pg = args.postgres is not None
    with store_places(args.postgres) as (new, copy):
        a = new("with")
        log(f"filling a store: {PLAN_ROWS // scale:,} plan rows, {EVENTS // scale:,} events ...")
        filled = fill(a, PLAN_ROWS // scale, EVENTS // scale)
        b = copy("with", "without")
        drop_user_indexes(b)
        for target in (a, b):
            vacuum(target)
        stores = {"with_indexes": open_store(a), "without_indexes": open_store(b)}
        server = pg_cluster.store_said(stores["with_indexes"])
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
                if pg:  # a database being copied must have no connection open
                    stores["without_indexes"].close()
                c = copy("without", "build")
                if pg:
                    stores["without_indexes"] = open_store(b)
                build = open_store(c)
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
               "seconds": {k: stats(v, digits=4) for k, v in sec.items()},
               "store": server, "given_server": bool(args.postgres)}
    write_result("store_lookups_postgres" if pg else "store_lookups", payload, args.quick)
    write_store_page("store_lookups", args.quick, render)


def postgres_beside(path: Path) -> dict[str, Any] | None:
    """The PostgreSQL run saved beside the SQLite run at ``path``, if any."""
    pg = path.with_name("store_lookups_postgres.json")
    return json.loads(pg.read_text()) if pg.is_file() else None


def med(doc: dict[str, Any], key: str) -> float:
    return float(doc["seconds"][key]["median"])


def is_postgres(doc: dict[str, Any]) -> bool:
    return str(doc.get("store", "SQLite")).startswith("PostgreSQL")


def render(doc: dict[str, Any], postgres: dict[str, Any] | None = None) -> str:
    """The page of one run (SQLite's, or a PostgreSQL run alone), and with ``postgres`` the
    PostgreSQL run's part after it, and the two compared."""
    lines = [*page_header(doc, "The campaign store's look-ups by pair and by user beside many "
                          "rows", "bench_store_lookups.py"
                          + (" --postgres" if is_postgres(doc) else "")), *store_part(doc)]
    if not is_postgres(doc):
        lines += ["The README quotes these medians (`scripts/readme_results.py`, `store-pairs`, "
                  "`store-quoted`, `store-user-index-build`, `store-user-index-write`).", ""]
    if postgres is not None:
        lines += ["## PostgreSQL", "",
                  *page_header(postgres, "", "bench_store_lookups.py --postgres")[2:],
                  *store_part(postgres), *compared(doc, postgres)]
    return "\n".join(lines)


def server_said(doc: dict[str, Any]) -> str:
    """For PostgreSQL: where it ran and how the stores were prepared ("" for SQLite)."""
    if not is_postgres(doc):
        return ""
    where = ("the server given (`--postgres URL`)" if doc.get("given_server") else
             "a throwaway cluster the run started (`pg_cluster.py`: `initdb`, unix socket, "
             "`fsync=off`, default settings otherwise)")
    return (f" The PostgreSQL stores are databases in {where}, the plan rows written by `COPY`, "
            "the copies made by `CREATE DATABASE ... TEMPLATE`, both stores vacuumed and "
            "analysed (`VACUUM ANALYZE`) once filled, as autovacuum does a store in use.")


def store_part(doc: dict[str, Any]) -> list[str]:
    d = doc["data"]
    pg = is_postgres(doc)
    return [
        f"Store: {doc['store'] if pg else 'SQLite'} at the current schema, "
        f"{d['plan_rows']:,} plan rows ({d['plans']} plans "
        f"over {d['films']} films and {d['users']:,} users) and {d['events']:,} events, "
        f"{d['quoted_phone_numbers']:,} of whose users are phone numbers. *Without indexes*: a "
        "copy with migration 9's indexes by user (plan rows, opt-outs, events) and step 11's "
        f"plan-row index by user dropped. Median of {doc['repeats']} runs of each, alternating."
        + server_said(doc),
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
        ""]


COMPARED = {"pairs": "`clashing_rows`: a plan's pairs against the stored rows",
            "films_rows": "`selected_rows`: those films' stored rows, kept to the pairs",
            "quoted/with_indexes": "`unquoted_ids`, with the indexes by user",
            "quoted/without_indexes": "`unquoted_ids`, without them",
            "store_events/with_indexes": "`record_events` of a batch, with the indexes",
            "store_events/without_indexes": "`record_events` of a batch, without them",
            "index_build": "migration 9 (`user_indexes.create_tables`)"}


def compared(sq: dict[str, Any], pg: dict[str, Any]) -> list[str]:
    """Each median of the PostgreSQL run beside the SQLite run's, and where it is slower."""
    rows, slower = [], []
    for k, label in COMPARED.items():
        a, b = med(sq, k), med(pg, k)
        rows.append(f"| {label} | {a:.3f} | {b:.3f} | {b / a:.2f}× |")
        if b > a:
            slower.append(f"{label} ({b / a:.2f}×)")
    same = all(sq["data"][k] == pg["data"][k] for k in ("plan_rows", "events", "users"))
    size = (f"the same {pg['data']['plan_rows']:,} plan rows and {pg['data']['events']:,} "
            "events" if same else
            f"{sq['data']['plan_rows']:,} plan rows and {sq['data']['events']:,} events (SQLite), "
            f"{pg['data']['plan_rows']:,} and {pg['data']['events']:,} (PostgreSQL)")
    return [
        "## PostgreSQL beside SQLite", "",
        f"Two runs at different times (SQLite's finished {sq['finished']}, load average at "
        f"start {load_text(sq['machine'].get('load_average_at_start'))}; PostgreSQL's finished "
        f"{pg['finished']}, load average at start "
        f"{load_text(pg['machine'].get('load_average_at_start'))}), over {size}; medians from "
        "each run's json. PostgreSQL / SQLite above 1× is PostgreSQL slower.", "",
        "| measure | SQLite (s) | PostgreSQL (s) | PostgreSQL / SQLite |", "|---|---|---|---|",
        *rows, "",
        ("PostgreSQL is slower than SQLite here at: " + "; ".join(slower) + "; faster at the "
         "rest." if slower else "PostgreSQL is faster than SQLite here at every measure."), ""]


if __name__ == "__main__":
    main()
