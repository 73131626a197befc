"""A store ``campaign copy`` moved is marked and refuses every writer until it is reopened, on
SQLite and on PostgreSQL: the mark is written under the writers' lock, and counts what the
store recorded after the copy read it (oracle: the events and plans written, by number)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pytest
import sqlalchemy as sa

from recommender.campaigns.connection import store_url
from recommender.campaigns.events import EventBatch, count_events, record_events
from recommender.campaigns.moved import StoreMovedError, mark_moved, moved_to, reopen
from recommender.campaigns.plan import PLAN_SCHEMA
from recommender.campaigns.store import open_store


def events(ids: range) -> EventBatch:
    return EventBatch([f"e{i}" for i in ids], [f"u{i % 3}" for i in ids], ["f"] * len(ids),
                      [1_700_000_000 + i for i in ids], [1.0] * len(ids))


def save(store: object, plan_id: str) -> None:
    store.save_plan(plan_id, {"created": "x", "model_version": "m"},  # type: ignore[attr-defined]
                    pa.Table.from_pylist([], schema=PLAN_SCHEMA))


def test_a_marked_store_refuses_writers_until_reopened(store_target: str) -> None:
    store = open_store(store_target)
    try:
        record_events(store, events(range(1, 11)))
        save(store, "plan-1")
        save(store, "plan-2")
        # the copy read through event 7 and one plan: 3 events and 1 plan came after it
        mark = mark_moved(store_target, "postgresql://copy/host", last_seq=7, plans_copied=1,
                          now=1_800_000_000)
        assert (mark.events, mark.plans, mark.earlier) == (3, 1, None)
        with store.engine.connect() as conn:
            found = moved_to(conn)
        assert found is not None and found.to == "postgresql://copy/host"
        assert found.at == "2027-01-15T08:00:00Z"
        with pytest.raises(StoreMovedError, match="moved to postgresql://copy/host .*"
                                                  "Nothing of this batch was stored"):
            record_events(store, events(range(11, 13)))
        with pytest.raises(StoreMovedError, match="Nothing of this plan was stored"):
            save(store, "plan-3")
        assert count_events(store) == 10
        with store.engine.connect() as conn:
            assert conn.execute(sa.text("SELECT count(*) FROM campaign_plans")).scalar() == 2
        # a second copy made at the same time: the first mark stays
        again = mark_moved(store_target, "sqlite:///other.db", last_seq=10, plans_copied=2)
        assert again.earlier is not None and again.earlier.to == "postgresql://copy/host"
        shown, removed = reopen(store_target)
        assert shown == store.url and removed is not None
        assert removed.to == "postgresql://copy/host"
        assert record_events(store, events(range(11, 13)))[0] == 2
        save(store, "plan-3")
        assert reopen(store_target)[1] is None
    finally:
        store.close()


def test_reopen_leaves_a_database_that_is_no_current_store_as_it_is(
        store_target: str, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """``campaign reopen`` on another application's database (or a mistyped, empty one)
    created every campaign table in it, with a new store id, and said "was not marked as
    moved: nothing to do", exit 0; on an older store (no copy marked one) it migrated it."""
    import recommender.campaigns.store as store_mod
    from recommender.cli import main

    engine = sa.create_engine(store_url(store_target))
    try:
        with engine.begin() as conn:
            conn.execute(sa.text("CREATE TABLE accounts (id INTEGER)"))
        assert main(["campaign", "reopen", "--store", store_target]) == 2
        assert "holds no campaign store" in capsys.readouterr().err
        assert sa.inspect(engine).get_table_names() == ["accounts"]
        monkeypatch.setattr(store_mod, "MIGRATIONS", store_mod.MIGRATIONS[:3])
        open_store(store_target).close()  # a store of schema version 3
        monkeypatch.undo()
        assert main(["campaign", "reopen", "--store", store_target]) == 2
        assert "schema version 3, not" in capsys.readouterr().err
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT max(version) FROM schema_version")).scalar() == 3
    finally:
        engine.dispose()


def test_a_password_in_the_query_stays_out_of_the_mark_and_the_messages(
        make_store: Callable[[str, Path], str], tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    """libpq takes ``?password=`` as well as ``user:password@``; only the latter was hidden,
    and ``campaign copy`` wrote the former into the old store's mark, which a service still on
    that store answered every client with."""
    import sqlite3

    from recommender.cli import main

    url = sa.engine.make_url(store_url(make_store("postgresql", tmp_path)))
    secret = url.password or "secret-pw"  # a trust login ignores it
    target = url.set(password=None).update_query_dict({"password": secret}).render_as_string(
        hide_password=False)
    old = tmp_path / "old.db"
    open_store(str(old)).close()
    assert main(["campaign", "copy", "--store", str(old), "--to", target]) == 0
    out, err = capsys.readouterr()
    assert secret not in out + err and "password=***" in out
    conn = sqlite3.connect(old)
    try:
        mark = conn.execute("SELECT value FROM campaign_store_info WHERE key = 'moved_to'"
                            ).fetchone()[0]
    finally:
        conn.close()
    assert secret not in mark and "password=***" in mark


def test_a_model_that_recorded_a_password_in_the_query_still_knows_its_store(
        make_store: Callable[[str, Path], str], tmp_path: Path) -> None:
    """A model trained before stores had an id is matched by the URL it recorded, with its
    ``?password=`` as it was then shown; once the store's URL hid it, the model no longer
    knew its store and took every event it was trained with as new (``trained_through`` 0)."""
    from recommender.campaigns.events import trained_through

    url = sa.engine.make_url(store_url(make_store("postgresql", tmp_path)))
    target = url.update_query_dict({"password": "secret-pw"}).render_as_string(
        hide_password=False)
    store = open_store(target)
    try:
        recorded = sa.engine.make_url(target).render_as_string(hide_password=True)
        assert "password=secret-pw" in recorded  # as ``train --events`` recorded it then
        meta = {"events": {"store": recorded, "through_seq": 5, "events": 5}}
        assert trained_through(meta, store) == 5
        other = url.set(database="another").update_query_dict({"password": "secret-pw"})
        meta["events"]["store"] = other.render_as_string(hide_password=True)
        assert trained_through(meta, store) == 0
    finally:
        store.close()
