"""A service shut down closes its campaign store: the pool, and the SQLite file the store
holds open for its life (``connection.watch_file``). Left to the process, every app a
process made and shut down (a test suite's, an embedding program's) left its file handle
to the garbage collector: ResourceWarnings of an unclosed ``model.campaigns.db``."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from helpers import synthetic_model

from recommender.model import artifact
from service.app import create_app
from service.settings import Settings


def test_the_store_and_its_file_are_closed_when_the_app_stops(tmp_path: Path) -> None:
    folder = artifact.save(synthetic_model(), tmp_path / "model")
    app = create_app(Settings(model_path=str(folder)))
    with TestClient(app) as client:
        assert client.get("/campaigns").status_code == 200
        store = app.state.campaign_store
        held = store._file
        assert held is not None and not held.closed
        assert Path(held.name) == tmp_path / "model.campaigns.db"
    assert held.closed and app.state.campaign_store is None
