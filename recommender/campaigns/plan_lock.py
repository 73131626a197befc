"""The lock a write on one stored plan takes first: the moved mark, the plans lock, its row.

A send time (``wave_sends.record_wave_sent``), a withdrawal (``withdraw.withdraw``) and a next
wave's save (``store.save_plan``, on its previous plan) each change what a plan's waves mean,
so each holds that plan's row until it commits, and takes the same locks in the same order
(one order across the tables, so that no two writers wait for each other): ``lock_plan``.
"""

from __future__ import annotations

import sqlalchemy as sa

from recommender.campaigns.store import CampaignStore, UnknownPlanError, plans


def lock_plan(conn: sa.Connection, store: CampaignStore, plan_id: str, what: str) -> None:
    """In ``conn``'s transaction, as its first statements, in this order: the moved mark
    (``moved.check_plan``: ``StoreMovedError``; SQLite's write lock, PostgreSQL's
    ``MARK_LOCK`` shared), the plans lock (``controls.take_plans_lock``, PostgreSQL's
    ``PLANS_LOCK``: ``StoreUnavailableError`` after ``events.LOCK_WAIT``), then ``plan_id``'s
    row in ``campaign_plans`` for writing (a no-op ``UPDATE ... SET n_rows = n_rows``: a row
    lock on PostgreSQL; SQLite's write lock holds it already). ``what`` names the write
    refused in their messages ("this send time"). ``UnknownPlanError`` when the plan is gone
    (deleted since it was read)."""
    from recommender.campaigns.controls import take_plans_lock
    from recommender.campaigns.moved import check_plan

    check_plan(conn, store, what)  # moved? (SQLite: the write lock)
    take_plans_lock(conn, store.dialect, what)
    if conn.execute(plans.update().where(plans.c.plan_id == plan_id).values(
            n_rows=plans.c.n_rows)).rowcount == 0:  # deleted since: as unknown
        raise UnknownPlanError([plan_id])
