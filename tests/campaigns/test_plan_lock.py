"""``plan_lock.lock_plan``, the one lock a send time, a withdrawal and a next wave's save take
on their plan: a next wave whose previous plan was deleted since it was planned is refused
(it was stored, linked to no plan), as a send time or a withdrawal of a deleted plan is. On
SQLite and PostgreSQL."""

from __future__ import annotations

import pyarrow as pa
import pytest
import sqlalchemy as sa

import recommender.campaigns.store as store_module
from recommender.campaigns.events import plan_links
from recommender.campaigns.plan import PLAN_SCHEMA
from recommender.campaigns.store import CampaignStore, UnknownPlanError, open_store

SUMMARY = {"created": "2024-03-01T00:00:00+00:00", "model_version": "m",
           "films": [{"film_id": "A"}], "parameters": {"waves": 2}, "horizon": {"days": 30}}


def rows(plan_id: str) -> pa.Table:
    """One target row of film A."""
    return pa.Table.from_pylist([{
        "plan_id": plan_id, "film_id": "A", "user_id": f"u-{plan_id}", "wave": 1,
        "group": "target", "rank": 1, "p": 0.1, "expected_value": 0.1}], schema=PLAN_SCHEMA)


def saved(store: CampaignStore, plan_id: str, previous: str | None = None) -> None:
    link = None if previous is None else {"previous_plan_id": previous, "sent_waves": 1,
                                          "events_seq": 0}
    store.save_plan(plan_id, SUMMARY, rows(plan_id), link=link)


def test_a_next_wave_of_a_deleted_plan_is_refused(store_target: str) -> None:
    store = open_store(store_target)
    saved(store, "first")
    saved(store, "second", previous="first")  # the oracle: with its plan, it is stored
    assert store.summary("second")["model_version"] == "m"
    with store.engine.begin() as conn:  # deleted by hand since the next wave was planned
        conn.execute(store_module.plans.delete().where(store_module.plans.c.plan_id ==
                                                       "first"))
    with pytest.raises(UnknownPlanError, match="first"):
        saved(store, "third", previous="first")
    with pytest.raises(UnknownPlanError, match="third"):
        store.summary("third")  # nothing stored: no plan, no link
    with store.engine.connect() as conn:
        assert conn.execute(sa.select(plan_links.c.plan_id).where(
            plan_links.c.plan_id == "third")).first() is None
    store.close()
