"""The campaign store's counts beside ~1M stored rows: ``results/store_counts.{json,md}``.

A SQLite store is filled through the product's own paths: 9 plans (``--quick``: 2) of a
synthetic model (``bench_planning.synthetic_model``), slates of 25 films x 4,000 contacts, cap
3, 3 waves, by ``plan_slate`` and ``save_plan`` (about 1M rows); the first withdrawn after 1
sent wave, plans 2 to 5 (``--quick``: 2) then given a next wave each (``NEXT``, some
withdrawn), so that the count's filters of withdrawn and re-planned waves have rows to leave
out. A copy of the store has migration 11 undone (its ``COUNT_INDEX`` dropped, step 9's index
by user alone made again): the store as it was before that step.

On both stores, alternating, ``--repeats`` times (median):

- ``count_rows``: ``SELECT count(*)`` over the plan rows (the baseline: one pass over an index);
- ``films_elsewhere``: each user's distinct films in the live plans (the store-scope cap's count);
- the two ways of writing each of its queries: films by user as ``pairs_then_count`` (the
  distinct (user, film) pairs, then counted by user) or ``count_distinct`` (``COUNT(DISTINCT
  film_id)`` grouped by user); the live plans as ``plans_distinct`` (``COUNT(DISTINCT
  plan_id)`` over the live rows) or ``plans_exists`` (the plans with a live row);
- ``list_page``: ``CampaignStore.list_plans`` (a page of every stored plan, as ``GET
  /campaigns`` and ``campaign list --waves`` read it) and ``page_waves`` alone (its figures per
  wave, grouped over the page's rows). The count is checked against pandas (``check_count``)
  and compared with the last run that measured another count or store (``previous``).

Then, with the index, one ``plan --cap-scope store`` of a new slate (``plan_beside``), the
baseline the count is a share of, and one ``save_plan`` of it into each store.

``--postgres`` measures the same on PostgreSQL stores instead (``results/store_counts_postgres
.json``): databases in a throwaway cluster the run starts and stops (``pg_cluster.py``), or in
the server at ``--postgres URL`` (its user may create databases; the run drops them), the copy
without the index made by ``CREATE DATABASE ... TEMPLATE``, both vacuumed and analysed once
filled (as autovacuum does a store in use). ``store_counts.md`` shows both stores' runs, each
from its own json, side by side.

    nice -n 10 .venv/bin/python benchmarks/bench_store_counts.py [--quick] [--repeats 3]
        [--postgres [URL]]
"""

from __future__ import annotations

import json
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pg_cluster  # noqa: E402
from bench_planning import synthetic_model  # noqa: E402
from common import (  # noqa: E402
    base_args,
    load_text,
    log,
    page_header,
    provenance,
    read_result,
    saved_result,
    stats,
    write_result,
    write_store_page,
)

from recommender.campaigns import plan_waves  # noqa: E402
from recommender.campaigns.cap_scope import films_elsewhere, live_rows, live_rows_of  # noqa: E402
from recommender.campaigns.controls import plan_beside  # noqa: E402
from recommender.campaigns.events import plan_links  # noqa: E402
from recommender.campaigns.next_wave import plan_next_wave  # noqa: E402
from recommender.campaigns.plan import plan_slate  # noqa: E402
from recommender.campaigns.slate import STORE_SCOPE, SlateFilm  # noqa: E402
from recommender.campaigns.store import CampaignStore, open_store  # noqa: E402
from recommender.campaigns.store_tables import (  # noqa: E402
    COUNT_INDEX,
    USER_ONLY_INDEX,
    plan_rows,
    plans,
    withdrawals,
)
from recommender.campaigns.withdraw import withdraw  # noqa: E402

USERS, FILMS, FACTORS = 60_000, 1_000, 16
SLATE, BUDGET, CAP, WAVES, HOLDOUT = 25, 4_000, 3, 3, 0.1
STORES = ("with_index", "without_index")
FORMS = ("pairs_then_count", "count_distinct", "plans_distinct", "plans_exists")
# next waves: (plan, 0-based; its waves sent; None, or the next wave's sent as it is withdrawn)
NEXT = ((1, 1, None), (2, 2, None), (3, 1, 1), (4, 1, 0))
SAMPLE = 3_000  # users whose count check_count compares with pandas'
# what this run measured: a run measuring the same keeps the comparison of the one before
MEASURED = {"replanned_waves_left_out": True, "next_waves": True}
COMPARED = ("count_rows", "films_elsewhere", "count_distinct", "plans_exists")  # with it
#: PostgreSQL stores' statement_timeout (seconds): a measure stopped by it is recorded as such
#: and not run again in that store (the pairs form's hash aggregate spilled for over 6 minutes
#: at PostgreSQL 15's default work_mem, 4 MB, beside ~1.26M rows, where SQLite took 2.7 s)
PG_TIMEOUT_S = 60


def slate(k: int) -> list[SlateFilm]:
    """Plan ``k``'s films: 25 in a row from film 2 (films 0-1 carry the model's viewers),
    each slate overlapping the next, so that users are selected for several films."""
    return [SlateFilm(f"f{2 + (k * 13 + i) % (FILMS - 2)}", BUDGET) for i in range(SLATE)]


def fill(store: CampaignStore, model: Any, n_plans: int) -> dict[str, Any]:
    plan_s, save_s, ids = [], [], []
    for k in range(n_plans):
        t0 = time.perf_counter()
        plan = plan_slate(model, slate(k), cap=CAP, holdout=HOLDOUT, waves=WAVES, seed=k,
                          progress=False)
        t1 = time.perf_counter()
        store.save_plan(plan.plan_id, plan.summary, plan.rows)
        ids.append(plan.plan_id)
        plan_s.append(t1 - t0)
        save_s.append(time.perf_counter() - t1)
        log(f"plan {k + 1}/{n_plans}: {plan.rows.num_rows:,} rows, plan {t1 - t0:.1f} s, "
            f"save {save_s[-1]:.1f} s")
        if k == 0:
            withdraw(store, plan.plan_id, 1)
    first, waves = count_rows(store), []
    for k, sent, gone in (n for n in NEXT if n[0] < n_plans):
        t0 = time.perf_counter()
        nxt = plan_next_wave(model, store, ids[k], sent_waves=sent, seed=100 + k,
                             progress=False)
        if gone is not None:
            withdraw(store, nxt.plan_id, gone)
        waves.append({"plan": k + 1, "sent_waves": sent, "rows": nxt.rows.num_rows,
                      "withdrawn_after": gone, "seconds": round(time.perf_counter() - t0, 1)})
        log(f"next wave of plan {k + 1}: {waves[-1]}")
    return {"plans": n_plans, "rows": count_rows(store), "first_plans_rows": first,
            "next_waves": waves, "plan_seconds": stats(plan_s),
            "save_plan_seconds": stats(save_s), "withdrawn": "plan 1 after 1 sent wave"}


def count_rows(store: CampaignStore) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(plan_rows)).scalar_one())


def check_count(store: CampaignStore, model: Any, used: Any, live: int) -> dict[str, int]:
    """``films_elsewhere``'s ``used`` (``SAMPLE`` users) and ``live`` plans against pandas over
    the stored rows: a plan's rows count up to its withdrawal's ``sent_waves`` and up to the
    most ``sent_waves`` of its next waves but those withdrawn unsent. Exits when they differ."""
    at = np.sort(np.random.default_rng(0).choice(len(model.users), SAMPLE, replace=False))
    users = [str(model.users.ids[i]) for i in at]
    with store.engine.connect() as conn:
        links = pd.read_sql(f"SELECT plan_id, previous_plan_id, sent_waves FROM "
                            f"{plan_links.name}", conn)
        gone = pd.read_sql(f"SELECT plan_id, sent_waves FROM {withdrawals.name}", conn)
        waves = pd.read_sql(f"SELECT plan_id, wave FROM {plan_rows.name}", conn)
        c = plan_rows.c  # a select, not "?" marks: PostgreSQL's driver writes them otherwise
        rows = pd.concat([pd.read_sql(
            sa.select(c.plan_id, c.film_id, c.user_id, c.wave).where(c.user_id.in_(part)), conn)
            for part in (users[i:i + 500] for i in range(0, SAMPLE, 500))])
    last = dict(zip(gone["plan_id"], gone["sent_waves"], strict=True))
    live_links = links[~links["plan_id"].isin([p for p, n in last.items() if n == 0])]
    cut = live_links.groupby("previous_plan_id")["sent_waves"].max().to_dict()

    def kept(df: pd.DataFrame, replanned: bool = True) -> pd.DataFrame:
        limit = df["plan_id"].map(last).fillna(np.inf)
        if replanned:
            limit = np.minimum(limit, df["plan_id"].map(cut).fillna(np.inf))
        return df[df["wave"] <= limit]

    def per_user(df: pd.DataFrame) -> Any:
        films = df.drop_duplicates(["user_id", "film_id"]).groupby("user_id").size()
        return films.reindex(users, fill_value=0).to_numpy()

    want, old = per_user(kept(rows)), per_user(kept(rows, replanned=False))
    wrong, plans_want = int((want != used[at]).sum()), kept(waves)["plan_id"].nunique()
    if wrong or plans_want != live:
        raise SystemExit(f"films_elsewhere disagrees with pandas: {wrong:,} of {SAMPLE:,} "
                         f"sampled users' counts differ; live plans {live} against {plans_want}")
    out = {"users_sampled": SAMPLE, "users_counted": int((want > 0).sum()),
           "users_the_replanned_filter_lowers": int((old > want).sum()),
           "rows_withdrawn_filter_leaves_out": len(waves) - len(kept(waves, False)),
           "rows_replanned_filter_leaves_out": len(kept(waves, False)) - len(kept(waves)),
           "live_plans": live}
    if not out["rows_replanned_filter_leaves_out"] or not out["users_the_replanned_filter_lowers"]:
        raise SystemExit(f"the store's next waves left the re-planned filter nothing: {out}")
    return out


def query_forms() -> dict[str, Any]:
    """The forms of the count's two queries: films by user, and the live plans."""
    c, r = plan_rows.c, plan_rows.alias("r")
    pairs = sa.select(c.user_id, c.film_id).where(live_rows()).distinct().subquery()
    return {"pairs_then_count": sa.select(pairs.c.user_id, sa.func.count())
            .group_by(pairs.c.user_id),
            "count_distinct": sa.select(c.user_id, sa.func.count(sa.distinct(c.film_id)))
            .where(live_rows()).group_by(c.user_id),
            "plans_distinct": sa.select(sa.func.count(sa.distinct(c.plan_id)))
            .where(live_rows()),
            "plans_exists": sa.select(sa.func.count()).select_from(plans).where(
                sa.exists().where(r.c.plan_id == plans.c.plan_id, live_rows_of(r)))}


def measures(store: CampaignStore, model: Any) -> dict[str, Callable[[], object]]:
    def run(q: Any) -> Callable[[], object]:
        def go() -> object:
            with store.engine.connect() as conn:
                return conn.execute(q).all()
        return go

    def waves_alone() -> object:
        with store.engine.connect() as conn:
            ids = [str(i) for i in conn.execute(sa.select(plans.c.plan_id)).scalars()]
            return plan_waves.page_waves(conn, ids)

    out: dict[str, Callable[[], object]] = {
        "count_rows": run(sa.select(sa.func.count()).select_from(plan_rows)),
        "films_elsewhere": lambda: films_elsewhere(model, store)}
    out.update({k: run(q) for k, q in query_forms().items()})
    out["list_page"] = lambda: store.list_plans(limit=100)
    out["page_waves"] = waves_alone
    return out


def query_plans(store: CampaignStore) -> dict[str, list[str]]:
    """SQLite's EXPLAIN QUERY PLAN (PostgreSQL's EXPLAIN) of each form of the count and of
    ``page_waves``'s grouped query over the plan rows (caught as ``list_plans`` sends it)."""
    out = {}
    explain_ = "EXPLAIN QUERY PLAN " if store.dialect == "sqlite" else "EXPLAIN (COSTS OFF) "
    with store.engine.connect() as conn:
        for k, q in query_forms().items():
            text = str(q.compile(dialect=store.engine.dialect,
                                 compile_kwargs={"literal_binds": True}))
            out[k] = [str(r[-1]).strip() for r in conn.exec_driver_sql(explain_ + text)]
    seen: list[str] = []

    def explain(_conn: Any, cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if statement.startswith("SELECT") and f"{plan_rows.name}.wave" in statement \
                and not seen:
            seen.extend(str(r[-1]).strip() for r in cursor.connection.execute(
                explain_ + statement, parameters))

    sa.event.listen(store.engine, "before_cursor_execute", explain)
    try:
        store.list_plans(limit=100)
    finally:
        sa.event.remove(store.engine, "before_cursor_execute", explain)
    out["page_waves"] = seen
    return out


UNDO_STEP_11 = (f"DROP INDEX IF EXISTS {COUNT_INDEX}",  # undo step 11: its index out,
                f"CREATE INDEX IF NOT EXISTS {USER_ONLY_INDEX} ON {plan_rows.name} (user_id)")
# step 9's index by user back


@contextmanager
def two_stores(postgres: str | None) -> Iterator[tuple[str, Callable[[], str]]]:
    """The store with the index to fill (its target), and a function that copies it, once
    filled and closed, into the store without it (that one's target): SQLite files in a temp
    folder, or with ``postgres`` ("": a throwaway cluster; else a server's URL) databases."""
    with ExitStack() as stack:
        if postgres is None:
            tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(
                prefix="bench-store-counts-")))

            def sqlite_copy() -> str:
                with sqlite3.connect(tmp / "with.db") as a, \
                        sqlite3.connect(tmp / "without.db") as b:
                    a.backup(b)
                    for sql in UNDO_STEP_11:
                        b.execute(sql)
                return str(tmp / "without.db")
            yield str(tmp / "with.db"), sqlite_copy
            return
        server = postgres or stack.enter_context(
            pg_cluster.throwaway_cluster("bench-store-counts-"))
        dbs = pg_cluster.Databases(server, "bench_store_counts_")
        stack.callback(dbs.drop_all)

        def postgres_copy() -> str:
            import psycopg

            dbs.create("without", template="with")
            for name in ("with", "without"):
                with psycopg.connect(dbs.url(name), autocommit=True) as conn:
                    if name == "without":
                        for sql in UNDO_STEP_11:
                            conn.execute(sql)
                    conn.execute("VACUUM ANALYZE")  # as autovacuum would, before timing
                    conn.execute(f"ALTER DATABASE {dbs.prefix + name} SET statement_timeout "
                                 f"= '{PG_TIMEOUT_S}s'")
            return dbs.url("without")
        yield dbs.create("with"), postgres_copy


def previous(doc: dict[str, Any] | None) -> dict[str, Any] | None:
    """The run a run is compared with: the saved ``doc``, or the one ``doc`` was compared with
    when it measured the same (``MEASURED``): its medians of the count and of count(*)."""
    if doc is None or doc.get("measured") == MEASURED:
        return (doc or {}).get("previous")
    return {"finished": doc["finished"], "source": provenance(doc["machine"]),
            "load": doc["machine"].get("load_average_at_start"), "rows": doc["data"]["rows"],
            "repeats": doc["repeats"], "measured": doc.get("measured", {}),
            "users": doc["users_with_films_elsewhere"],
            "seconds": {s: {k: doc["seconds"][s][k]["median"] for k in COMPARED}
                        for s in STORES}}


def main() -> None:
    ap = base_args(__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3, help="runs of each measure per store")
    ap.add_argument("--render", action="store_true", help="only rewrite store_counts.md")
    ap.add_argument("--postgres", nargs="?", const="", metavar="URL",
                    help="measure PostgreSQL stores (store_counts_postgres.json): in a throwaway "
                    "cluster, or in the server at URL, whose user may create databases")
    args = ap.parse_args()
    if args.render:
        saved_result("store_counts", args.quick, "bench_store_counts.py")
        write_store_page("store_counts", args.quick, render)
        return
    name = "store_counts" if args.postgres is None else "store_counts_postgres"
    n_plans = 2 if args.quick else 9
    before = previous(read_result(name, args.quick))
    model = synthetic_model(USERS, FILMS, FACTORS, 2, 0)
    with two_stores(args.postgres) as (a, copy_without_index):
        store = open_store(a)
        server = pg_cluster.store_said(store)
        log(f"filling the store ({server}) with {n_plans} plans ...")
        filled = fill(store, model, n_plans)
        store.close()
        b = copy_without_index()
        stores = {"with_index": open_store(a), "without_index": open_store(b)}
        try:
            runs: dict[str, dict[str, list[float]]] = {
                s: {k: [] for k in measures(st, model)} for s, st in stores.items()}
            found: dict[str, int] = {}
            stopped: dict[str, float] = {}  # store/measure: seconds until the timeout stopped it
            for r in range(args.repeats):
                log(f"repeat {r + 1}/{args.repeats}")
                for s, st in (stores.items() if r % 2 == 0 else reversed(stores.items())):
                    for k, fn in measures(st, model).items():
                        if f"{s}/{k}" in stopped:
                            continue
                        t0 = time.perf_counter()
                        try:
                            got = fn()
                        except sa.exc.OperationalError as e:
                            if "statement timeout" not in str(e):
                                raise
                            stopped[f"{s}/{k}"] = round(time.perf_counter() - t0, 1)
                            log(f"{s} {k}: stopped by the statement timeout")
                            continue
                        runs[s][k].append(time.perf_counter() - t0)
                        if k in FORMS:  # each form's answer: the same in every run
                            found[f"{s}/{k}"] = len(got) if k in FORMS[:2] \
                                else int(got[0][0])  # type: ignore[index]
            used, plans = films_elsewhere(model, stores["with_index"])
            checked = check_count(stores["with_index"], model, used, plans)
            if len({found[f"{s}/{k}"] for s in STORES for k in FORMS[:2] if f"{s}/{k}" in found}
                   ) != 1 or len({found[f"{s}/{k}"] for s in STORES for k in FORMS[2:]}) != 1:
                raise SystemExit(f"the forms of the count disagree: {found}")
            log("plan --cap-scope store ...")
            t0 = time.perf_counter()
            plan = plan_beside(model, slate(n_plans), stores["with_index"], cap_scope=STORE_SCOPE,
                               cap=CAP, holdout=HOLDOUT, waves=WAVES, seed=n_plans)
            plan_s = time.perf_counter() - t0
            saves = {}
            for s in STORES:
                t0 = time.perf_counter()
                stores[s].save_plan(f"{plan.plan_id}-{s}", plan.summary, plan.rows)
                saves[s] = round(time.perf_counter() - t0, 3)
            explained = {s: query_plans(st) for s, st in stores.items()}
        finally:
            for st in stores.values():
                st.close()
    payload = {
        "data": {**filled, "model": f"synthetic {USERS:,} users x {FILMS:,} films x {FACTORS} "
                 "factors", "slate": f"{SLATE} films x {BUDGET:,} contacts, cap {CAP}, "
                 f"{WAVES} waves, holdout {HOLDOUT}"},
        "repeats": args.repeats,
        "seconds": {s: {k: stats(v) if f"{s}/{k}" not in stopped else {
            "median": None, "n": 0, "stopped_after": stopped[f"{s}/{k}"],
            "runs_before_stop": [round(x, 3) for x in v]}
            for k, v in m.items()} for s, m in runs.items()},
        "statement_timeout_s": PG_TIMEOUT_S if args.postgres is not None else None,
        "answers": found, "users_with_films_elsewhere": int((used > 0).sum()),
        "live_plans_counted": plans,
        "plan_cap_scope_store": {"seconds": round(plan_s, 3), "rows": plan.rows.num_rows,
                                 "users_limited": plan.summary["cap_scope"]["users_limited"],
                                 "users_excluded": plan.summary["cap_scope"]["users_excluded"]},
        "save_plan_seconds": saves, "query_plans": explained, "checked": checked,
        "measured": MEASURED, "previous": before, "store": server,
        "given_server": bool(args.postgres)}
    write_result(name, payload, args.quick)
    write_store_page("store_counts", args.quick, render)


def postgres_beside(path: Path) -> dict[str, Any] | None:
    """The PostgreSQL run saved beside the SQLite run at ``path``, if any."""
    pg = path.with_name("store_counts_postgres.json")
    return json.loads(pg.read_text()) if pg.is_file() else None


LABELS = {
    "count_rows": "`SELECT count(*)` over the plan rows (baseline)",
    "films_elsewhere": "`cap_scope.films_elsewhere` at the commit measured (the store-scope "
                       "cap's count: both queries below and the ids' mapping)",
    "pairs_then_count": "films by user, written as distinct (user, film) pairs, then counted "
                        "by user",
    "count_distinct": "films by user, written as `COUNT(DISTINCT film_id)` grouped by user",
    "plans_distinct": "live plans, written as `COUNT(DISTINCT plan_id)` over the live rows",
    "plans_exists": "live plans, written as the plans with a live row (`EXISTS`)",
    "list_page": "`list_plans(limit=100)`: the campaign list's page of every plan",
    "page_waves": "`plan_waves.page_waves`: its figures per wave alone"}


def shown(v: dict[str, Any]) -> str:
    """A measure's median in seconds, or that the statement timeout stopped it."""
    if v["median"] is None:
        before = v.get("runs_before_stop") or []
        return f"stopped after {v['stopped_after']:.0f} s" + (
            f" (runs before: {', '.join(f'{x:.3f}' for x in before)})" if before else "")
    return f"{v['median']:.3f}"


def times(a: float | None, b: float | None, unit: str = "×") -> str:
    """``a / b`` as a ratio ("n/a" where either was stopped)."""
    return "n/a" if a is None or b is None else f"{a / b:.2f}{unit}"


def of_base(v: dict[str, Any], base: float) -> str:
    """A median as a multiple of its store's ``count(*)`` ("n/a" where it was stopped)."""
    return "n/a" if v["median"] is None else multiple(v["median"] / base)


def multiple(x: float) -> str:
    """A time as a multiple of ``count(*)``'s: whole from 10 up, two significant digits
    below (0.0012 s over 0.0624 s printed "0×"; it is 0.019×)."""
    return f"{x:,.0f}×" if x >= 10 else f"{x:.2g}×"


def next_said(w: dict[str, Any]) -> str:
    gone = w["withdrawn_after"]  # None: not withdrawn
    return (f"plan {w['plan']}'s after {w['sent_waves']} sent wave"
            f"{'s' if w['sent_waves'] != 1 else ''}, {w['rows']:,} rows"
            + ("" if gone is None else f", withdrawn after {gone} of its waves" if gone
               else ", withdrawn unsent (re-planning nothing)"))


def checked_said(c: dict[str, int]) -> str:  # check_count's figures
    return (f"Checked in the run (`check_count`): the count of {c['users_sampled']:,} sampled "
            "users equals pandas' over their stored rows, plan links and withdrawals by the "
            f"same rule ({c['users_counted']:,} of them counted; "
            f"{c['users_the_replanned_filter_lowers']:,} counted for fewer films than with the "
            f"re-planned waves counted), and so do the live plans ({c['live_plans']}). Of the "
            f"stored rows the count leaves out {c['rows_withdrawn_filter_leaves_out']:,} of "
            f"withdrawn plans' unsent waves and a further {c['rows_replanned_filter_leaves_out']:,}"
            " of waves a next wave re-planned.")


def previous_said(doc: dict[str, Any]) -> list[str]:
    """What changed against the run ``previous`` names, from its recorded medians."""
    pv = doc.get("previous")
    if not pv:
        return []
    m, sec = pv["measured"], doc["seconds"]
    was = "left out" if m.get("replanned_waves_left_out") else "still counted"
    held = "with" if m.get("next_waves") else "without"
    rows = [f"| {LABELS[k].split(' (')[0]} | {s.replace('_', ' ')} | "
            + ("stopped | n/a" if o is None else
               f"{o:.3f} | {multiple(o / pv['seconds'][s]['count_rows'])}")
            + f" | {shown(n)} | "
            + ("n/a" if n["median"] is None else
               multiple(n["median"] / sec[s]["count_rows"]["median"]))
            + f" | {times(n['median'], o)} |"
            for k in COMPARED[1:] for s in STORES
            for o, n in [(pv["seconds"][s][k], sec[s][k])]]
    return ["", f"Against the previous run ({pv['finished']}, {pv['source']}; load average at "
            f"start {load_text(pv['load'])}; medians of {pv['repeats']}), whose count {was} "
            f"the waves a next wave re-planned, over a store {held} next waves "
            f"({pv['rows']:,} plan rows; its count found {pv['users']:,} users, this one "
            f"{doc['users_with_films_elsewhere']:,}):", "",
            "| measure | store | then (s) | × count(*) | now (s) | × count(*) | now / then |",
            "|---|---|---|---|---|---|---|", *rows]


def is_postgres(doc: dict[str, Any]) -> bool:
    return str(doc.get("store", "SQLite")).startswith("PostgreSQL")


def render(doc: dict[str, Any], postgres: dict[str, Any] | None = None) -> str:
    """The page of one run (SQLite's, or a PostgreSQL run alone), and with ``postgres`` the
    PostgreSQL run's part after it, and the two compared."""
    head = page_header(doc, "The campaign store's counts beside many stored rows",
                       "bench_store_counts.py" + (" --postgres" if is_postgres(doc) else ""))
    lines = [*head, *store_part(doc)]
    if postgres is not None:
        lines += ["", "## PostgreSQL", "",
                  *page_header(postgres, "", "bench_store_counts.py --postgres")[2:],
                  *store_part(postgres), *compared(doc, postgres)]
    return "\n".join(lines) + "\n"


def server_said(doc: dict[str, Any]) -> str:
    """For PostgreSQL: where it ran and how the stores were prepared ("" for SQLite)."""
    if not is_postgres(doc):
        return ""
    where = ("the server given (`--postgres URL`)" if doc.get("given_server") else
             "a throwaway cluster the run started (`pg_cluster.py`: `initdb`, unix socket, "
             "`fsync=off`, default settings otherwise)")
    return (f" The PostgreSQL stores are databases in {where}, both vacuumed and analysed "
            "(`VACUUM ANALYZE`) once filled, as autovacuum does a store in use.")


def timeout_said(doc: dict[str, Any]) -> str:
    """For PostgreSQL: the statement timeout, and the measures it stopped."""
    if not doc.get("statement_timeout_s"):
        return ""
    gone = [f"{SHORT[k]}, {s.replace('_', ' ')}"
            for s in STORES for k, v in doc["seconds"][s].items() if v["median"] is None]
    return (f" Each statement ran under a {doc['statement_timeout_s']} s `statement_timeout`; "
            + (f"it stopped {'; '.join(gone)} (not run again in that store once stopped; no "
               "median)." if gone
               else "none reached it."))


def store_part(doc: dict[str, Any]) -> list[str]:
    d, sec = doc["data"], doc["seconds"]
    base = {s: sec[s]["count_rows"]["median"] for s in STORES}
    p = doc["plan_cap_scope_store"]
    pg = is_postgres(doc)
    lines = [
        f"Store: {doc['store'] if pg else 'SQLite'}, {d['rows']:,} plan rows: "
        f"{d['first_plans_rows']:,} in "
        f"{d['plans']} plans ({d['model']}; each plan a slate of {d['slate']}; "
        f"{d['withdrawn']}), planned by `plan_slate` (median "
        f"{d['plan_seconds']['median']:.1f} s a plan) and stored by "
        f"`save_plan` (median {d['save_plan_seconds']['median']:.1f} s a plan), and "
        f"{d['rows'] - d['first_plans_rows']:,} in next waves (`plan_next_wave`): "
        + "; ".join(next_said(w) for w in d["next_waves"]) + ". *Without index*: a copy "
        + ("(`CREATE DATABASE ... TEMPLATE`) " if pg else "") +
        f"with migration 11 undone (its index `{COUNT_INDEX}`, by user, film, plan and wave, "
        f"dropped; step 9's `{USER_ONLY_INDEX}`, by user alone, which it drops, made again), "
        "as stores were before that step. Median of "
        f"{doc['repeats']} runs of each, the two stores alternating." + server_said(doc)
        + timeout_said(doc),
        "",
        "| measure | with index (s) | × count(*) | without index (s) | × count(*) | "
        "without / with |", "|---|---|---|---|---|---|"]
    for k, label in LABELS.items():
        w, o = sec["with_index"][k], sec["without_index"][k]
        lines.append(f"| {label} | {shown(w)} | {of_base(w, base['with_index'])} | {shown(o)} "
                     f"| {of_base(o, base['without_index'])} | {times(o['median'], w['median'])} |")
    share = sec["with_index"]["films_elsewhere"]["median"] / p["seconds"]
    old = [sec["without_index"][k] for k in ("pairs_then_count", "plans_distinct")]
    before = sum(v["median"] if v["median"] is not None else v["stopped_after"] for v in old)
    at_least = any(v["median"] is None for v in old)  # ``before`` is then a lower bound
    after = (sec["with_index"]["count_distinct"]["median"]
             + sec["with_index"]["plans_exists"]["median"])
    answers = doc["answers"]
    speed = (f"{'at least ' if at_least else ''}{before / after:.2f}× faster"
             if before >= after else f"{after / before:.2f}× slower")
    lines += [
        "",
        "The count's two queries as they were before migration 11 (pairs, then counted; "
        "distinct plans; no index): "
        + (f"over {before:.1f} s" if at_least else f"{before:.3f} s")
        + (" (a part stopped by the statement timeout)" if at_least else "")
        + "; as `films_elsewhere` writes them now "
        f"(`COUNT(DISTINCT film_id)` by user; plans with a live row; with the index): "
        f"{after:.3f} s, {speed} (sums of the medians above). Their "
        "answers, the same in both stores: users counted "
        + " / ".join(f"{answers[f'{s}/{k}']:,}" if f"{s}/{k}" in answers else "stopped"
                     for s in STORES for k in FORMS[:2])
        + ", live plans " + " / ".join(f"{answers[f'{s}/{k}']:,}" for s in STORES
                                       for k in FORMS[2:]) + ".",
        "",
        f"`plan --cap-scope store` of a new slate on the store with the index "
        f"(`controls.plan_beside`, one run): {p['seconds']:.1f} s for {p['rows']:,} rows; "
        f"the count's median above is {100 * share:.0f}% of it. The count found "
        f"{doc['users_with_films_elsewhere']:,} users with films in "
        f"{doc['live_plans_counted']} live plans; the plan limited {p['users_limited']:,} "
        f"users and excluded {p['users_excluded']:,}.",
        "",
        "Storing that plan (`save_plan`, one run each): "
        f"{doc['save_plan_seconds']['with_index']:.1f} s with the index, "
        f"{doc['save_plan_seconds']['without_index']:.1f} s without.",
        "", checked_said(doc["checked"]), *previous_said(doc),
        "", (f"How {'PostgreSQL' if pg else 'SQLite'} read each form of the count, and "
             f"`page_waves`'s rows (`{'EXPLAIN' if pg else 'EXPLAIN QUERY PLAN'}`):"), ""]
    for s in STORES:
        for k, steps in doc["query_plans"][s].items():
            lines.append(f"- {s.replace('_', ' ')}, {k}: " + "; ".join(steps))
    return lines


SHORT = {"count_rows": "`SELECT count(*)`", "films_elsewhere": "`cap_scope.films_elsewhere`",
         "pairs_then_count": "films by user as pairs, then counted",
         "count_distinct": "films by user as `COUNT(DISTINCT film_id)`",
         "plans_distinct": "live plans as `COUNT(DISTINCT plan_id)`",
         "plans_exists": "live plans as plans with a live row (`EXISTS`)",
         "list_page": "`list_plans(limit=100)`", "page_waves": "`plan_waves.page_waves`"}


def compared(sq: dict[str, Any], pg: dict[str, Any]) -> list[str]:
    """Each median of the PostgreSQL run beside the SQLite run's, and where it is slower."""
    rows: list[str] = []
    slower: list[str] = []
    for k, label in SHORT.items():
        cells = []
        for s in STORES:
            a, b = sq["seconds"][s][k], pg["seconds"][s][k]
            cells += [shown(a), shown(b), times(b["median"], a["median"])]
            if b["median"] is None and a["median"] is not None:
                slower.append(f"{label}, {s.replace('_', ' ')} (stopped after "
                              f"{b['stopped_after']:.0f} s, against {a['median']:.3f} s)")
            elif b["median"] is not None and a["median"] is not None \
                    and b["median"] > a["median"]:
                slower.append(f"{label}, {s.replace('_', ' ')} "
                              f"({b['median'] / a['median']:.2f}×)")
        rows.append(f"| {label} | " + " | ".join(cells) + " |")
    once = [("`plan --cap-scope store` (`plan_beside`, one run)",
             sq["plan_cap_scope_store"]["seconds"], pg["plan_cap_scope_store"]["seconds"]),
            *((f"`save_plan` of that plan, {s.replace('_', ' ')} (one run)",
               sq["save_plan_seconds"][s], pg["save_plan_seconds"][s]) for s in STORES),
            ("`save_plan` while filling, median a plan", sq["data"]["save_plan_seconds"]["median"],
             pg["data"]["save_plan_seconds"]["median"])]
    for label, a, b in once:
        rows.append(f"| {label} | {a:.3f} | {b:.3f} | {b / a:.2f}× | | | |")
        if b > a:
            slower.append(f"{label} ({b / a:.2f}×)")
    same = (sq["data"]["rows"] == pg["data"]["rows"]
            and sq["users_with_films_elsewhere"] == pg["users_with_films_elsewhere"])
    return [
        "", "## PostgreSQL beside SQLite", "",
        "Two runs at different times (SQLite's finished "
        f"{sq['finished']}, load average at start "
        f"{load_text(sq['machine'].get('load_average_at_start'))}; PostgreSQL's finished "
        f"{pg['finished']}, load average at start "
        f"{load_text(pg['machine'].get('load_average_at_start'))}), "
        + (f"over the same {pg['data']['rows']:,} plan rows, whose count found the same "
           f"{pg['users_with_films_elsewhere']:,} users" if same else
           f"over {sq['data']['rows']:,} plan rows (SQLite) and {pg['data']['rows']:,} "
           "(PostgreSQL)") + "; medians from each run's json. PostgreSQL / SQLite above 1× "
        "is PostgreSQL slower.", "",
        "| measure | SQLite, with index (s) | PostgreSQL, with index (s) | PostgreSQL / SQLite "
        "| SQLite, without (s) | PostgreSQL, without (s) | PostgreSQL / SQLite |",
        "|---|---|---|---|---|---|---|", *rows, "",
        ("PostgreSQL is slower than SQLite here at: " + "; ".join(slower) + "; faster at the "
         "rest." if slower else "PostgreSQL is faster than SQLite here at every measure.")]


if __name__ == "__main__":
    main()
