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


def test_next_waves_withdrawals_and_sends_of_one_plan_at_once_never_deadlock(
        store_target: str) -> None:
    """Next waves' saves, withdrawals and send times of one plan, from threads at once: each
    takes ``lock_plan``'s locks in its order, so none deadlocks (PostgreSQL's 40P01) or waits
    out a lock (``StoreUnavailableError``); each either stores or is refused by a rule, and
    what is stored agrees: once withdrawn with no wave sent, no next wave is live."""
    import threading

    from recommender.campaigns.wave_sends import record_wave_sent, wave_send_times
    from recommender.campaigns.withdraw import next_waves, withdraw
    from recommender.errors import PlansClashError, StoreUnavailableError

    store = open_store(store_target)
    saved(store, "first")
    start = threading.Barrier(12)
    unexpected: list[BaseException] = []
    refused: list[str] = []

    def act(k: int) -> None:
        start.wait()
        try:
            if k % 3 == 0:
                saved(store, f"next-{k}", previous="first")
            elif k % 3 == 1:
                withdraw(store, "first", 0 if k < 6 else 1)
            else:
                record_wave_sent(store, "first", 1 + k % 2, 1709251200 + k, now=1709251200 + k)
        except PlansClashError as e:  # a rule's refusal (withdrawn, next waves, another time)
            refused.append(type(e).__name__)
        except StoreUnavailableError as e:
            unexpected.append(e)
        except Exception as e:  # noqa: BLE001 - a deadlock, a lock wait run out: the finding
            if isinstance(e, sa.exc.DBAPIError) or not isinstance(e, ValueError):
                unexpected.append(e)
            else:
                refused.append(type(e).__name__)

    threads = [threading.Thread(target=act, args=(k,)) for k in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not unexpected, unexpected
    gone = store.summary("first").get("withdrawn")
    live = [w for w in next_waves(store, "first") if not w.get("withdrawn")]
    if gone is not None and gone["sent_waves"] == 0:
        assert live == [] and wave_send_times(store, "first") == {}, (gone, live)
    store.close()


@pytest.mark.parametrize("left_out", [True, False])
def test_a_next_wave_takes_the_plans_lock_once(store_target: str, left_out: bool,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """A next wave's save took the plans lock in ``lock_plan`` and again in
    ``controls.refuse_held_out``: once now, counted where it is taken (every dialect) and,
    on PostgreSQL, as the advisory-lock statements the server was sent for ``PLANS_LOCK``."""
    from recommender.campaigns import controls

    taken: list[str] = []
    take = controls.take_plans_lock

    def counted(conn: sa.Connection, dialect: str, what: str) -> None:
        taken.append(what)
        take(conn, dialect, what)

    store = open_store(store_target)
    saved(store, "first")
    sent: list[object] = []

    @sa.event.listens_for(store.engine, "before_cursor_execute")
    def _seen(conn: object, cursor: object, statement: str, params: object,
              context: object, many: bool) -> None:
        if "pg_advisory_xact_lock" in statement and controls.PLANS_LOCK in (
                params.values() if isinstance(params, dict) else params):  # type: ignore[union-attr]
            sent.append(statement)

    monkeypatch.setattr(controls, "take_plans_lock", counted)
    summary = {**SUMMARY, "held_out_elsewhere": {"left_out": left_out}}
    store.save_plan("second", summary, rows("second"), link={
        "previous_plan_id": "first", "sent_waves": 1, "events_seq": 0})
    assert taken == ["this plan"]
    assert len(sent) == (1 if store.dialect == "postgresql" else 0), sent
    assert store.summary("second")["model_version"] == "m"  # stored
    store.close()
