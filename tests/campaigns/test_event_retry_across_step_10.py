"""A write key's batch stored before store step 10 and retried after it is a duplicate. Step 10
gave every earlier event the writer of ``events import`` (``""``), so the key's retry (an
upgrade's restart is when clients retry) no longer matched its own event and was stored
again: its weight counted twice. An event whose id and whole payload equal an event stored
before the step is now that batch's copy; another payload under the id is the key's own new
event (not a 409: the earlier event may be anyone's), and an event ``events import`` stores
after the step is nobody's retry.

Oracle: the rows read back from the store's table and the events each writer sent."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from recommender.campaigns import store as store_mod
from recommender.campaigns.event_conflict import EventConflictError
from recommender.campaigns.event_writers import writer_id
from recommender.campaigns.events import EventBatch, events, max_sequence, record_events
from recommender.campaigns.store import open_store

KEY = writer_id("partner-a")
BEFORE = [("T-1", "u1", "00003", 1_700_000_001, 2.0), ("T-2", "u2", "00005", 1_700_000_002, 1.0)]


def batch(*events_: tuple[str, str, str, int, float]) -> EventBatch:
    e, u, f, t, w = zip(*events_, strict=True)
    return EventBatch(list(e), list(u), list(f), list(t), list(w))


def rows(url: str) -> list[tuple[Any, ...]]:
    """(writer, event_id, user_id, film_id, timestamp, weight) of every event, by ``seq``."""
    st = open_store(url)
    try:
        with st.engine.connect() as conn:
            c = events.c
            return [tuple(r) for r in conn.execute(sa.select(
                c.writer, c.event_id, c.user_id, c.film_id, c.timestamp, c.weight
            ).order_by(c.seq))]
    finally:
        st.close()


def upgraded_store(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A store at step 9 holding ``BEFORE`` (as the key's batch stored them), then migrated."""
    every = store_mod.MIGRATIONS  # step 10 and every later one
    assert every[9][0] == 10  # the step this test is about
    monkeypatch.setattr(store_mod, "MIGRATIONS", every[:9])
    st = open_store(url)
    with st.engine.begin() as conn:
        for e, u, f, t, w in BEFORE:
            conn.execute(sa.text("INSERT INTO campaign_events (event_id, user_id, film_id, "
                                 "timestamp, weight) VALUES (:e, :u, :f, :t, :w)"),
                         {"e": e, "u": u, "f": f, "t": t, "w": w})
    st.close()
    monkeypatch.setattr(store_mod, "MIGRATIONS", every)
    open_store(url).close()


def test_a_key_s_retry_across_step_10_is_a_duplicate(
        store_target: str, monkeypatch: pytest.MonkeyPatch) -> None:
    upgraded_store(store_target, monkeypatch)
    earlier = [("", *e) for e in BEFORE]
    assert rows(store_target) == earlier
    st = open_store(store_target)
    try:
        stored, dups, seq = record_events(st, batch(*BEFORE), writer=KEY)
        assert (stored, dups, seq) == (0, 2, 2)
        # again, with a copy repeated in the batch: still nothing stored, no number used
        assert record_events(st, batch(BEFORE[0], *BEFORE), writer=KEY) == (0, 3, 2)
        assert max_sequence(st) == 2
        # another payload under an id stored before: the key's own new event, no conflict
        other = ("T-2", "u9", "00005", 1_700_000_002, 1.0)
        late = ("T-3", "u3", "00003", 1_700_000_003, 1.0)  # events import's, after the step
        assert record_events(st, batch(late))[:2] == (1, 0)
        assert record_events(st, batch(BEFORE[0], other, late), writer=KEY)[:2] == (2, 1)
        # the key's own T-2 is now ``other``: its earlier payload is its conflict, as ever
        with pytest.raises(EventConflictError):
            record_events(st, batch(BEFORE[1]), writer=KEY)
    finally:
        st.close()
    assert rows(store_target) == [*earlier, ("", *late), (KEY, *other), (KEY, *late)]


def test_a_fresh_store_has_no_earlier_events(store_target: str) -> None:
    st = open_store(store_target)
    try:
        assert record_events(st, batch(BEFORE[0])) == (1, 0, 1)
        assert record_events(st, batch(BEFORE[0]), writer=KEY)[:2] == (1, 0)
    finally:
        st.close()
    assert rows(store_target) == [("", *BEFORE[0]), (KEY, *BEFORE[0])]


def test_a_copy_keeps_the_mark(tmp_path: Path, store_target: str,
                               monkeypatch: pytest.MonkeyPatch) -> None:
    from recommender.campaigns.copy_store import copy_store

    source = str(tmp_path / "source.db")
    upgraded_store(source, monkeypatch)
    copy_store(source, store_target)
    st = open_store(store_target)
    try:
        assert record_events(st, batch(*BEFORE), writer=KEY)[:2] == (0, 2)
    finally:
        st.close()
    assert rows(store_target) == [("", *e) for e in BEFORE]


def test_a_key_s_http_retry_after_the_upgrade_stores_nothing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The review's case: a key's batch stored before the upgrade, POSTed again after it."""
    from fastapi.testclient import TestClient
    from service_fixtures import save_model

    from service.app import create_app
    from service.settings import Settings

    url = str(tmp_path / "store.db")
    upgraded_store(url, monkeypatch)
    settings = Settings(model_path=str(save_model(tmp_path / "model")), store=url,
                        write_keys="a:partner-a-key-0123456789", events_poll=0,
                        warm_cache=False)
    sent = [dict(zip(("event_id", "user_id", "film_id", "timestamp", "weight"), e,
                     strict=True)) for e in BEFORE]
    with TestClient(create_app(settings)) as client:
        r = client.post("/events", json={"events": sent},
                        headers={"X-API-Key": "partner-a-key-0123456789"})
        assert r.status_code == 200 and (r.json()["stored"], r.json()["duplicates"]) == (0, 2)
    assert rows(url) == [("", *e) for e in BEFORE]
