"""An in-memory SQLite store is refused by the CLI: ``plan --store sqlite://`` said "stored in
sqlite://" and ``events import`` "stored 1", and both were gone as the command ended (a
``RECOMMENDER_STORE=sqlite://`` set for a throwaway service reached every command of the
shell). Only the service keeps one, for its own life."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from service_fixtures import save_model

from recommender.cli import main

IN_MEMORY = ["sqlite://", "sqlite:///:memory:", "sqlite:///file::memory:?uri=true",
             "sqlite:///file:x?mode=memory&uri=true"]


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_model(tmp_path_factory.mktemp("store-in-memory") / "model")


def test_in_memory_targets_are_told_apart_from_files(tmp_path: Path) -> None:
    from recommender.campaigns.connection import in_memory_sqlite

    assert all(in_memory_sqlite(t) for t in IN_MEMORY)
    assert not any(in_memory_sqlite(t) for t in (
        str(tmp_path / "memory.db"), f"sqlite:///{tmp_path}/s.db",
        f"sqlite:///file:{tmp_path}/s.db?uri=true", "postgresql://u@h/memory"))


@pytest.mark.parametrize("store", IN_MEMORY)
def test_the_cli_refuses_a_store_in_memory(model_dir: Path, tmp_path: Path, store: str,
                                           capsys: pytest.CaptureFixture[str],
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    events = tmp_path / "events.csv"
    events.write_text(f"user_id,film_id,timestamp\nu0001,00003,{int(time.time()) - 60}\n")
    slate = tmp_path / "slate.csv"
    slate.write_text("film_id,budget\n00003,5\n")
    plan = tmp_path / "plan.csv"
    assert main(["plan", str(model_dir), "--slate", str(slate), "--out", str(plan),
                 "--store", store]) == 2
    assert "in-memory SQLite database" in capsys.readouterr().err
    assert not plan.exists()
    assert main(["events", "import", "--store", store, str(events)]) == 2
    assert "in-memory SQLite database" in capsys.readouterr().err
    monkeypatch.setenv("RECOMMENDER_STORE", store)  # as the setting too
    assert main(["plan", str(model_dir), "--slate", str(slate), "--out", str(plan)]) == 2
    assert "in-memory SQLite database" in capsys.readouterr().err
    assert not plan.exists()
    assert main(["campaign", "list"]) == 2
    assert "in-memory SQLite database" in capsys.readouterr().err


#: without uri=true the driver opens each as a file of that very name, which keeps its rows
#: (these were refused as in-memory); with it, each of these is a database in memory
FILES = ["sqlite:///file:a?mode=memory", "sqlite:///file:b%3Fmode=memory&uri=true",
         "sqlite:///c.db?mode=memory&uri=true", ":memory:", "memory"]
MORE_IN_MEMORY = ["sqlite:///file:d?vfs=memdb&uri=true",
                  "sqlite:///file:e?mode=memory&uri=on",
                  "sqlite:///file:f%3Fmode=memory?uri=true"]


def test_the_driver_agrees_which_targets_are_in_memory(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """Each target's rows, written, read again through a new connection (the oracle: SQLite
    itself), against ``in_memory_sqlite``."""
    import warnings

    import sqlalchemy as sa

    from recommender.campaigns.connection import in_memory_sqlite, store_url

    monkeypatch.chdir(tmp_path)
    for target in FILES + MORE_IN_MEMORY + IN_MEMORY:  # relative: in tmp_path
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # SQLAlchemy: options ignored without uri=true
            engine = sa.create_engine(store_url(target))
            with engine.begin() as c:
                c.exec_driver_sql("CREATE TABLE t (a INTEGER)")
                c.exec_driver_sql("INSERT INTO t VALUES (1)")
            engine.dispose()
            engine = sa.create_engine(store_url(target))
            with engine.connect() as c:
                kept = c.exec_driver_sql("SELECT name FROM sqlite_master").first() is not None
            engine.dispose()
        assert in_memory_sqlite(target) is not kept, target


def test_campaign_copy_into_a_uri_in_memory_is_refused(tmp_path: Path) -> None:
    """The copy went into memory, said "copied", and marked the source as moved to it: the
    source then refused every event and plan, pointing at a store gone with the command."""
    from recommender.campaigns.store import open_store

    source = tmp_path / "s.db"
    open_store(str(source)).close()
    for target in ("sqlite:///file:x?mode=memory&uri=true", "sqlite:///file::memory:?uri=true"):
        assert main(["campaign", "copy", "--store", str(source), "--to", target]) == 2
    store = open_store(str(source), read_only=True)
    try:
        from recommender.campaigns.moved import moved_to

        with store.engine.connect() as c:
            assert moved_to(c) is None
    finally:
        store.close()


@pytest.mark.usefixtures("server_never_starts", "no_recommender_env")
def test_serve_with_workers_refuses_a_uri_in_memory(model_dir: Path,
                                                   monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("RECOMMENDER_STORE", "sqlite:///file:s?mode=memory&cache=shared&uri=true")
    assert main(["serve", str(model_dir), "--port", "0", "--workers", "2"]) == 2
    assert "RECOMMENDER_STORE names an in-memory database" in capsys.readouterr().err
