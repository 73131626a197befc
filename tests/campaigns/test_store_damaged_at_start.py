"""A worker started on a damaged SQLite store says so: its store routes answered 503 "could not
be opened ... retrying" with ``Retry-After: 5`` and /health "unavailable", so a client retried
for ever a file that only a restore from a backup mends. Now 503 without ``Retry-After``,
saying the file is damaged and to restore it, /health "damaged"; and the CLI says it too."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from service_fixtures import save_model

from recommender.campaigns.store import open_store
from recommender.cli import main
from recommender.errors import StoreUnavailableError
from service.app import create_app
from service.settings import Settings


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_model(tmp_path_factory.mktemp("damaged-at-start") / "model")


def damaged_store(path: Path) -> None:
    open_store(str(path)).close()
    with open(path, "r+b") as f:  # the header kept, every page after it overwritten
        size = f.seek(0, 2)
        f.seek(100)
        f.write(b"\xff" * (size - 100))


def test_a_damaged_store_at_start_is_said_damaged_without_retry_after(
        model_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "store.db"
    damaged_store(db)
    with pytest.raises(StoreUnavailableError, match="restore it from a backup") as e:
        open_store(str(db))
    assert type(e.value).__name__ == "StoreDamagedError"  # the service's "damaged"
    settings = Settings(model_path=str(model_dir), store=str(db), events_poll=0.05,
                        warm_cache=False)
    with TestClient(create_app(settings)) as c:
        assert c.get("/health").json()["campaign_store"] == "damaged"
        for r in (c.post("/events", json={"events": [{
                "event_id": "e1", "user_id": "u1", "film_id": "00003",
                "timestamp": 1_700_000_000}]}), c.get("/campaigns")):
            assert r.status_code == 503, r.text
            assert "retry-after" not in r.headers, r.headers
            detail = r.json()["detail"]
            assert "damaged" in detail and "restore it from a backup" in detail, detail
        assert c.get("/films/00003/audience", params={"k": 1}).status_code == 200
    assert main(["events", "status", "--store", str(db)]) == 2
    err = capsys.readouterr().err
    assert "damaged" in err and "restore it from a backup" in err, err
