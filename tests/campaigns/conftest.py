"""Fixtures of the campaign tests: a throwaway PostgreSQL cluster and the store URLs to test.

``postgres_url`` is ``RECOMMENDER_TEST_PG_URL`` when set; otherwise a cluster started by
``benchmarks/pg_cluster.py``'s ``throwaway_cluster`` (the store benchmarks' ``--postgres`` start
theirs with it: ``initdb`` from ``/usr/lib/postgresql/*/bin`` or the ``PATH`` into a private
folder under ``/tmp``, ``pg_ctl start`` on a free port, listening on a unix socket only; as
root it runs as the ``postgres`` user through ``runuser``), stopped and deleted at the end of
the session. Without either, the PostgreSQL cases skip saying why.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from helpers import load_benchmark


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    given = os.environ.get("RECOMMENDER_TEST_PG_URL")
    if given:
        yield given
        return
    pg = load_benchmark("pg_cluster")  # shared with the store benchmarks' --postgres
    try:
        with pg.throwaway_cluster() as url:
            yield url
    except pg.ClusterUnavailableError as e:  # raised only while starting it
        pytest.skip(str(e))


def new_store(request: pytest.FixtureRequest, kind: str, folder: Path) -> str:
    """A fresh, empty store location of ``kind``: a SQLite file in ``folder``, or a new
    database in the session's PostgreSQL (skipped, with the reason, where there is none)."""
    if kind == "sqlite":
        return str(folder / "store.db")
    import psycopg

    url: str = request.getfixturevalue("postgres_url")
    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return str(load_benchmark("pg_cluster").database_url(url, name))


@pytest.fixture(scope="session")
def make_store(request: pytest.FixtureRequest) -> Callable[[str, Path], str]:
    """``make_store(kind, folder)``: ``new_store`` for module-scoped fixtures."""
    return lambda kind, folder: new_store(request, kind, folder)


@pytest.fixture(params=["sqlite", "postgresql"])
def store_target(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty store location: a SQLite file, or a new database in the session's
    PostgreSQL."""
    return new_store(request, request.param, tmp_path)
