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
