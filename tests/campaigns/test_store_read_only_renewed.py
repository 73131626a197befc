"""A pooled store connection refused a write as read-only is not kept for the next write."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from recommender.campaigns.events import EventBatch, record_events
from recommender.campaigns.store import CampaignStore, StorePool
from recommender.errors import read_only


def test_writes_resume_once_the_store_can_be_written(tmp_path: Path) -> None:
    # SQLite opens a file it cannot write read-only (a read-only mount, a file the service
    # may not write) and the connection stays so: writes were refused with "attempt to write
    # a readonly database" for as long as the worker lived, after the mount was made
    # writable again (seen on a two-worker server); so were a PostgreSQL pool's connections
    # to a standby after a failover. Here a pooled connection is made read-only alike.
    store = CampaignStore(f"sqlite:///{tmp_path / 's.db'}", pool=StorePool(1, 0, 5.0))
    with store.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA query_only=ON")  # the pool keeps this connection
    batch = EventBatch(["e1"], ["u1"], ["f1"], [1_700_000_000], [1.0])
    with pytest.raises(sa.exc.OperationalError) as refused:
        record_events(store, batch)
    assert read_only(refused.value)
    stored, duplicates, _ = record_events(store, batch)  # a fresh connection
    assert (stored, duplicates) == (1, 0)
    store.close()
