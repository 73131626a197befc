"""Pairs other stored plans select (contact or hold out): a later plan leaves them out.

A plan's control group measures what its contacts returned (``report.py``: each film's targets
against its own held-out users). A plan made afterwards for the same film (a second campaign,
not a next wave of the first) contacted them as any other candidate: in a probe, 50 of a first
plan's 68 controls were a second plan's targets for the same film, its control rate rose to 28%
and its measured uplift fell to +3.2 points. The other way round too: the second plan held out
as controls users the first one contacts for the film (63 of 76 in a probe, 42 of them in the
first plan's waves 2 and 3, sent after the second plan was made), so the second plan's control
group was contacted for its film. So a plan (``plan --store``, ``POST /campaigns/plan``, a next
wave) leaves out every (film, user) pair that a plan stored for that film selects, as a target
or a control (any wave, but those known never to go out: a withdrawn plan's unsent waves, and
the waves a next wave re-planned, never sent from their plan; the rows a store-scope cap counts,
``cap_scope.live_rows_of``, so that the count and the cap agree), and keeps them in the
film's ranking, as a next wave keeps its chain's sent pairs (``plan_slate``'s ``blocked``:
holding a user out is not a watch). The summary's ``held_out_elsewhere`` counts
them and names the plans. A next wave's own chain is left to it (``skip``): its unsent waves'
pairs were never contacted or held out, and their budget is re-planned; so are the other next
waves of its chain's plans and their own next waves (``next_wave.alternatives``: re-plans of
the same budget, one of them sent), whose controls made each re-plan differ and lose audience.
The pairs are read before the plan is made, so ``refuse_held_out`` checks again as it is
stored, under the writers' lock: six plans of one film posted at once had each missed the
others, and every plan's controls were 17-24 of the other plans' targets. It checks only the
plan's own pairs (``clashing_rows``: a join on the index of plan rows by (film, user),
migration 6); reading every stored row of its films there took 3 s for a plan of 20k rows
beside 1M rows of its film, while every ``POST /events`` waited for the lock.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import sqlalchemy as sa
from numpy.typing import NDArray

from recommender.campaigns.cap_scope import live_rows_of, refuse_over_cap, scope_caps
from recommender.campaigns.plan import Plan, plan_slate
from recommender.campaigns.slate import PLAN_SCOPE, SlateFilm
from recommender.campaigns.store import ROW_CHUNK, CampaignStore, plan_rows, withdrawn_records
from recommender.campaigns.withdraw import (
    WITHDRAWN_SQL,
    previous_plan,
    refuse_withdrawn,
    replanned_sql,
)
from recommender.errors import NothingToPlanError, PlansClashError, StoreLockedError
from recommender.model.model import Model
from recommender.serving.engine import Engine

FILMS_PER_QUERY = 500  # film ids in one IN list
PLANS_NAMED = 20  # plans the summary names (all are counted)
# plans made for one request (CLI plan --store, POST /campaigns/plan) when a plan stored
# meanwhile selects some of its pairs (refuse_held_out): each is made again around them
PLAN_ATTEMPTS = 3
PLANS_LOCK = 0x706C616E  # "plan": PostgreSQL's lock serialising the stores of plans
# a new plan's distinct (film, user) pairs, in its transaction on SQLite (``clashing_rows``)
checked_pairs = sa.Table("campaign_checked_pairs", sa.MetaData(),
                         sa.Column("film_id", sa.Text, nullable=False),
                         sa.Column("user_id", sa.Text, nullable=False), prefixes=["TEMPORARY"])


def held_out(store: CampaignStore, film_ids: Sequence[str], skip: Sequence[str] = ()
             ) -> tuple[list[str], list[str], list[str]]:
    """(film ids, user ids, plan ids) of the rows (targets and controls) that plans stored in
    ``store`` hold for ``film_ids``, but for the plans in ``skip``."""
    films: list[str] = []
    users: list[str] = []
    plans: list[str] = []
    with store.engine.connect() as conn:
        for film, user, plan in selected_rows(conn, film_ids, skip):
            films.append(film)
            users.append(user)
            plans.append(plan)
    return films, users, plans


def selected_rows(conn: sa.Connection, film_ids: Sequence[str], skip: Sequence[str] = ()
                  ) -> Iterator[tuple[str, str, str]]:
    """(film, user, plan) of each row, target or control, stored for ``film_ids``, but for the
    plans in ``skip``, read on ``conn`` (``held_out``; read by film on the index of plan rows
    by (film, user)): any pair a plan selects may become its control, so none may be another
    plan's control (contacted) nor its target (which contacts this plan's control)."""
    c = plan_rows.c
    for start in range(0, len(film_ids), FILMS_PER_QUERY):
        query = sa.select(c.film_id, c.user_id, c.plan_id).where(
            c.film_id.in_(film_ids[start:start + FILMS_PER_QUERY]))
        if skip:
            query = query.where(c.plan_id.not_in(list(skip)))
        # the rows a store-scope cap counts (``cap_scope.live_rows_of``): a withdrawn plan's
        # unsent waves and the waves a next wave re-planned (never sent from their plan) are free
        for row in conn.execute(query.where(live_rows_of(plan_rows))):
            yield row[0], row[1], row[2]


def clashing_rows(conn: sa.Connection, dialect: str, pairs: set[tuple[str, str]],
                  skip: Sequence[str] = ()) -> list[tuple[str, str, str]]:
    """(film, user, plan) of each row stored for one of ``pairs``, but for the plans in
    ``skip``, sorted by plan, film, user: ``selected_rows`` of the pairs' films kept to the
    pairs, read in ``conn``'s transaction by a join that the pairs drive on the index of plan
    rows by (film, user) (migration 6), so that its time grows with the plan, not with the
    store. SQLite: the pairs in a temporary table (dropped), which leads by ``CROSS JOIN``
    (without statistics it read every stored row first); PostgreSQL: the pairs as two
    arrays (no temporary table: no TEMP right needed), and no hash or merge join for the rest
    of the transaction (a hash join of a large plan's pairs read every stored row, its time
    growing with the store). ``benchmarks/bench_store_lookups.py`` times the check on SQLite
    against the read of the films' rows it replaced (``benchmarks/results/store_lookups.md``)."""
    if not pairs:
        return []
    films, users = (list(column) for column in zip(*pairs, strict=True))
    params: dict[str, Any] = {}
    if dialect == "postgresql":
        conn.exec_driver_sql("SET LOCAL enable_hashjoin = off")
        conn.exec_driver_sql("SET LOCAL enable_mergejoin = off")
        source = ("unnest(CAST(:films AS TEXT[]), CAST(:users AS TEXT[])) AS c (film_id, user_id) "
                  "JOIN")
        params = {"films": films, "users": users}
    else:
        checked_pairs.create(conn)
        insert = f"INSERT INTO {checked_pairs.name} (film_id, user_id) VALUES (?, ?)"
        # the driver's executemany of plain tuples: an insert() through SQLAlchemy binds each
        # row's parameters in Python first
        for start in range(0, len(films), ROW_CHUNK):
            conn.exec_driver_sql(insert, list(zip(films[start:start + ROW_CHUNK],
                                                  users[start:start + ROW_CHUNK], strict=True)))
        source = f"{checked_pairs.name} c CROSS JOIN"
    query = sa.text(
        f"SELECT r.film_id, r.user_id, r.plan_id FROM {source} {plan_rows.name} r "
        f"ON r.film_id = c.film_id AND r.user_id = c.user_id WHERE {WITHDRAWN_SQL} "
        f"AND {replanned_sql()}"
        + (" AND r.plan_id NOT IN :skip" if skip else ""))
    if skip:
        query = query.bindparams(sa.bindparam("skip", list(skip), expanding=True))
    found = [(str(f), str(u), str(p)) for f, u, p in conn.execute(query, params)]
    if dialect != "postgresql":
        checked_pairs.drop(conn)
    return sorted(found, key=lambda r: (r[2], r[0], r[1]))  # code points: the same everywhere


def next_waves_of(conn: sa.Connection, plan_ids: Sequence[str]) -> set[str]:
    """The plans stored as next waves of any of ``plan_ids``."""
    from recommender.campaigns.events import plan_links

    if not plan_ids:
        return set()
    return {str(r[0]) for r in conn.execute(sa.select(plan_links.c.plan_id).where(
        plan_links.c.previous_plan_id.in_(list(plan_ids))))}


def next_waves_under(conn: sa.Connection, plan_ids: Sequence[str]) -> set[str]:
    """The plans stored as next waves of any of ``plan_ids``, and their next waves, down every
    chain (``plan_ids`` left out): the other next waves of a chain's plans are alternatives,
    one of them sent, and so are theirs (a next wave of the sent one left out the pairs a
    next wave of an unsent one selected, and a store refused it for them). A withdrawn one
    is no alternative: its withdrawal says which of its waves went out, so those hold their
    pairs as any plan's do (``withdrawn_filter`` frees the rest)."""
    found: set[str] = set()
    frontier = set(next_waves_of(conn, plan_ids)) - set(plan_ids)
    while frontier:
        found |= frontier
        frontier = next_waves_of(conn, sorted(frontier)) - found - set(plan_ids)
    return found - set(withdrawn_records(conn, sorted(found)))


def blocked_pairs(model: Model, slate: Sequence[SlateFilm], store: CampaignStore,
                  skip: Sequence[str] = ()
                  ) -> tuple[tuple[NDArray[np.int64], NDArray[np.int64]], dict[str, Any]]:
    """The pairs other plans select for ``slate``'s films (``held_out``), as ``plan_slate``'s
    ``blocked`` (slate positions, model user indices: users the model does not know cannot be
    planned anyway), and the summary's ``held_out_elsewhere``: ``{"pairs", "plans",
    "plans_count", "left_out", "note"}`` (``pairs``: distinct pairs left out)."""
    films, users, plans = held_out(store, [f.film_id for f in slate], skip)
    pos = np.asarray(pc.index_in(pa.array(films, pa.string()), value_set=pa.array(
        [f.film_id for f in slate], pa.string())).fill_null(-1).to_numpy(), np.int64)
    idx = (np.asarray(model.users.to_index(pa.array(users, pa.string()), strict=False),
                      np.int64) if users else np.zeros(0, np.int64))
    ok = (pos >= 0) & (idx >= 0)
    pairs = np.unique(np.stack([pos[ok], idx[ok]]), axis=1) if ok.any() \
        else np.zeros((2, 0), np.int64)
    named = sorted(set(np.asarray(plans, dtype=object)[ok].tolist())) if ok.any() else []
    info = {"pairs": int(pairs.shape[1]), "plans": named[:PLANS_NAMED],
            "plans_count": len(named), "left_out": True,
            "note": "(film, user) pairs other stored plans select (contact or hold out as "
                    "controls) for these films: left out of this plan, so that no plan's "
                    "control group is contacted for its film and every report stays "
                    "measurable"}
    return (pairs[0].astype(np.int64), pairs[1].astype(np.int64)), info


def plan_beside(engine: Engine | Model, slate: list[SlateFilm], store: CampaignStore | None,
                cap_scope: str = PLAN_SCOPE, **options: Any) -> Plan:
    """``plan_slate`` for a plan to be stored in ``store``, leaving out the pairs other plans
    there select, as targets or controls (``blocked_pairs``; the summary's ``held_out_elsewhere``;
    one of the same slate, model and parameters is named: ``retried.note_retries``); without a
    store, ``plan_slate`` as it is. ``cap_scope`` ``STORE_SCOPE`` counts each user's films
    the store's other live plans select against the cap (``cap_scope.scope_caps``; the
    summary's ``cap_scope`` says how many users they limited). A plan of nobody (budgets, but
    no candidate left) raises ``NothingToPlanError``, as a slate of zero budgets and a next
    wave do."""
    info = None
    model = engine.model if isinstance(engine, Engine) else engine
    caps, scope = scope_caps(model, store, int(options.get("cap", 1)), cap_scope)
    if store is None:
        plan = plan_slate(engine, slate, user_caps=caps, cap_scope=cap_scope, **options)
    else:
        blocked, info = blocked_pairs(model, slate, store)
        plan = plan_slate(engine, slate, blocked=blocked, user_caps=caps, cap_scope=cap_scope,
                          **options)
        plan.summary["held_out_elsewhere"] = info
    plan.summary["cap_scope"] = scope
    refuse_nobody(plan, slate, info, model)
    if store is not None:  # a stored plan of the same slate, model and parameters: a retry?
        from recommender.campaigns.retried import note_retries

        note_retries(store, plan.summary, options.get("exclude") or ())
    return plan


def refuse_nobody(plan: Plan, slate: list[SlateFilm], info: dict[str, Any] | None = None,
                  model: Model | None = None) -> None:
    """``NothingToPlanError`` for a plan of nobody (budgets, but no candidate left): it was
    written and stored, exit 0; the Spark planner's plans too (``info``: ``blocked_pairs``'s,
    when pairs were left out). The message says the causes that hold, with their counts
    (``nobody.nobody_causes``; ``model`` counts the films' viewers)."""
    if plan.rows.num_rows == 0:
        from recommender.campaigns.nobody import nobody_causes

        raise NothingToPlanError(
            f"the slate's films have {sum(f.budget for f in slate):,} contacts of budget but "
            f"nobody to plan: {nobody_causes(plan.summary, slate, info, model)}")


def take_plans_lock(conn: sa.Connection, dialect: str, what: str) -> None:
    """On PostgreSQL, ``PLANS_LOCK`` for the rest of the transaction (SQLite's write lock is
    taken already), waiting ``events.LOCK_WAIT`` at most: plans, next waves, withdrawals and
    send times are stored one at a time. Past the wait, ``StoreLockedError``: any process
    may hold the lock (a plan, a withdrawal, a session that took it by hand), and the CLI
    says it as SQLite's "database is locked" (the store, the cause, run the command again)."""
    from recommender.campaigns.connection import advisory_lock_within
    from recommender.campaigns.events import LOCK_WAIT

    if dialect == "postgresql" and (
            waited := advisory_lock_within(conn, PLANS_LOCK, LOCK_WAIT)) is not None:
        cause = (f"its plans lock, PostgreSQL advisory lock {PLANS_LOCK}, was held by another "
                 f"process for more than {waited}")
        raise StoreLockedError(f"the campaign store did not store {what}: {cause} (pg_locks "
                               "names the holder); nothing was stored, and the same "
                               "request again is safe", cause)


def refuse_held_out(conn: sa.Connection, dialect: str, rows: pa.Table,
                    summary: dict[str, Any], link: dict[str, Any] | None,
                    plans_locked: bool = False) -> None:
    """In a plan's transaction, after the writers' lock (SQLite's; on PostgreSQL
    ``PLANS_LOCK``, taken here unless ``plans_locked`` says the transaction holds it, as a
    next wave's ``plan_lock.lock_plan`` took it): refuse the plan when it selects a (film,
    user) pair that a plan stored since it was made selects for that film, as a target or a
    control (``held_out`` was read before planning), naming that plan (``PlansClashError``); nothing
    is stored, and planning again leaves the pairs out. A next wave's own chain (``link``)
    is skipped, as ``blocked_pairs`` skips it, and so are the other next waves of the
    chain's plans and theirs (``next_waves_under``). A plan that did not leave them out
    (``held_out_elsewhere.left_out`` false or absent: the Spark planner says so) is not
    checked. A next wave of a withdrawn plan is refused (``refuse_withdrawn``)."""
    left_out = (summary.get("held_out_elsewhere") or {}).get("left_out")
    if not left_out and link is None:
        return
    if not plans_locked:  # taken once per transaction (a second took it again for nothing)
        take_plans_lock(conn, dialect, "this plan")
    previous = None if link is None else link.get("previous_plan_id")
    if previous is not None:  # after the lock a withdrawal takes too
        refuse_withdrawn(conn, str(previous))
    if not left_out:
        return
    chain: list[str] = []
    while previous is not None and previous not in chain:
        chain.append(str(previous))
        previous = previous_plan(conn, str(previous))
    # the other next waves of the chain's plans, and theirs, are alternatives
    # (next_wave.alternatives), skipped as blocked_pairs skips them
    skip = chain + sorted(next_waves_under(conn, chain))
    mine = set(zip(rows.column("film_id").to_pylist(), rows.column("user_id").to_pylist(),
                   strict=True))
    clash = clashing_rows(conn, dialect, mine, skip)
    if clash:
        raise PlansClashError(
            f"the campaign store did not store this plan: plan {clash[0][2]}, stored while "
            f"it was being made, selects {len(clash):,} of its (film, user) pairs (contacts "
            f"or controls; film {clash[0][0]!r} first); nothing was stored, and planning "
            "again leaves them out")
    refuse_over_cap(conn, rows, summary, skip)  # a store-scope cap, plans stored meanwhile
