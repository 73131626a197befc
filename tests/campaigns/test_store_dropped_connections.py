"""Pooled PostgreSQL connections that the server dropped (a restart, a failover, an idle
timeout, ``pg_terminate_backend``) are replaced at their next use, not handed to a request:
the first store request of each worker after a restart that had finished was a 503
"terminating connection due to administrator command"."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
from fastapi.testclient import TestClient
from service_fixtures import save_model

from recommender.campaigns.events import max_sequence
from recommender.campaigns.store import open_store
from service.app import create_app
from service.settings import Settings


def _drop_connections(server: str, database: str) -> int:
    """End every session of ``database`` but this one, as a restart or a failover does;
    the number ended."""
    with psycopg.connect(server, autocommit=True) as conn:
        rows = conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                            "WHERE datname = %s AND pid <> pg_backend_pid()",
                            (database,)).fetchall()
    return sum(bool(r[0]) for r in rows)


def _database(url: str) -> str:
    return url.partition("?")[0].rsplit("/", 1)[1]


def test_a_store_reads_after_its_pooled_connections_were_dropped(
        make_store: Callable[[str, Path], str], postgres_url: str, tmp_path: Path) -> None:
    url = make_store("postgresql", tmp_path)
    store = open_store(url)
    try:
        assert max_sequence(store) == 0  # a connection is pooled now
        assert _drop_connections(postgres_url, _database(url)) >= 1
        assert max_sequence(store) == 0  # it raised OperationalError
    finally:
        store.close()


def test_the_first_request_after_a_restart_is_answered(
        make_store: Callable[[str, Path], str], postgres_url: str, tmp_path: Path) -> None:
    """No poller (events_poll=0) to meet the dropped connection first."""
    url = make_store("postgresql", tmp_path)
    settings = Settings(model_path=str(save_model(tmp_path / "model")), store=url,
                        warm_cache=False, events_poll=0)
    event: dict[str, Any] = {"event_id": "e1", "user_id": "u1", "film_id": "00002",
                             "timestamp": 1_700_000_000}
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        assert client.get("/campaigns").status_code == 200
        assert _drop_connections(postgres_url, _database(url)) >= 1
        r = client.get("/campaigns")  # it was a 503
        assert r.status_code == 200, r.text
        assert _drop_connections(postgres_url, _database(url)) >= 1
        r = client.post("/events", json={"events": [event]})
        assert r.status_code == 200 and r.json()["stored"] == 1, r.text

