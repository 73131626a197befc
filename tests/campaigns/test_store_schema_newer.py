"""A campaign store at a schema newer than this engine's (a newer engine migrated it) is refused
by every opener, saying both versions and to upgrade the engine, and nothing is written into it:
``migrate`` returned at ``current >= latest`` and a reader refused only an older schema, so
``events status``, ``events import`` and the service used it silently (/health: ok). A store at
an older schema is migrated saying so on one line (the CLI's note, the service's log)."""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from service_fixtures import save_model

from recommender.campaigns import store as store_mod
from recommender.campaigns.store import open_store
from recommender.campaigns.store_schema import StoreSchemaNewerError
from recommender.cli import main
from service.app import create_app
from service.settings import Settings

LATEST = store_mod.MIGRATIONS[-1][0]
FUTURE = LATEST + 1


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_model(tmp_path_factory.mktemp("schema-newer") / "model")


def future_store(target: str) -> None:
    """The store at ``target``, created by this engine, then marked as a newer engine's."""
    open_store(target).close()
    engine = sa.create_engine(store_mod.store_url(target))
    with engine.begin() as conn:
        conn.exec_driver_sql(f"insert into schema_version values({FUTURE}, 'future', "
                             "'2027-01-01')")
    engine.dispose()


def versions(target: str) -> list[int]:
    engine = sa.create_engine(store_mod.store_url(target))
    with engine.connect() as conn:
        got = [int(v) for (v,) in conn.exec_driver_sql(
            "select version from schema_version order by version")]
    engine.dispose()
    return got


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def said_newer(text: str) -> None:
    """The refusal names the schema the store needs and the one this build knows, and the
    build to upgrade to as ``recommender --version`` names it."""
    assert f"store schema {FUTURE}; this engine knows up to {LATEST}" in text, text
    assert (f"upgrade the engine to a build whose `recommender --version` says store schema "
            f"{FUTURE} or later") in text, text


def test_every_opener_refuses_a_newer_schema_and_writes_nothing(store_target: str) -> None:
    future_store(store_target)
    before = versions(store_target)
    for read_only in (False, True):
        with pytest.raises(StoreSchemaNewerError) as e:
            open_store(store_target, read_only=read_only)
        said_newer(str(e.value))
    assert versions(store_target) == before == [*range(1, LATEST + 1), FUTURE]


def test_the_cli_refuses_a_newer_schema_on_one_line(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "store.db"
    future_store(str(db))
    events = tmp_path / "events.csv"
    events.write_text("user_id,film_id,timestamp\nu1,00003,1700000000\n", encoding="utf-8")
    was = digest(db)
    for argv in (["events", "status"], ["events", "import", str(events)],
                 ["campaign", "list"]):
        assert main([*argv, "--store", str(db)]) == 2, argv
        err = capsys.readouterr().err
        said_newer(err)
        assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
    assert digest(db) == was, "nothing was written into the newer store"
    # the one command that does not refuse it (README): a backup copies the file as it is
    assert main(["campaign", "backup", "--store", str(db), "--to", str(tmp_path / "b.db")]) == 0
    assert f"schema version {FUTURE}" in capsys.readouterr().out
    assert versions(str(tmp_path / "b.db")) == versions(str(db)) and digest(db) == was


def test_the_service_answers_409_and_health_says_schema_newer(model_dir: Path,
                                                             tmp_path: Path) -> None:
    db = tmp_path / "store.db"
    future_store(str(db))
    was = digest(db)
    settings = Settings(model_path=str(model_dir), store=str(db), events_poll=0.05,
                        warm_cache=False)
    with TestClient(create_app(settings)) as c:
        assert c.get("/health").json()["campaign_store"] == "schema_newer"
        r = c.post("/events", json={"events": [{"event_id": "e1", "user_id": "u1",
                                                 "film_id": "00003", "timestamp": 1_700_000_000}]})
        assert r.status_code == 409, r.text
        said_newer(r.json()["detail"])
        for path in ("/campaigns", "/events/status"):
            r = c.get(path)
            assert r.status_code == 409 and "upgrade the engine" in r.json()["detail"], r.text
        assert "retry-after" not in r.headers
        assert c.get("/films/00003/audience", params={"k": 1}).status_code == 200
    assert digest(db) == was


def old_store(target: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A store left at schema 3 by an older engine."""
    with monkeypatch.context() as m:
        m.setattr(store_mod, "MIGRATIONS", store_mod.MIGRATIONS[:3])
        open_store(target).close()
    assert versions(target)[-1] == 3


def test_a_migration_is_said_once_by_the_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "store.db"
    old_store(str(db), monkeypatch)
    events = tmp_path / "events.csv"
    events.write_text("user_id,film_id,timestamp\nu1,00003,1700000000\n", encoding="utf-8")
    assert main(["events", "import", str(events), "--store", str(db)]) == 0
    err = capsys.readouterr().err
    line = (f"note: migrated the campaign store {store_mod.store_url(str(db))} from schema 3 "
            f"to {LATEST}")
    assert err.count(line) == 1, err
    assert main(["events", "import", str(events), "--store", str(db)]) == 0
    assert "migrated" not in capsys.readouterr().err, "a current store is not migrated"


def test_a_migration_is_logged_once_by_the_service(model_dir: Path, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch,
                                                  caplog: pytest.LogCaptureFixture) -> None:
    db = tmp_path / "store.db"
    old_store(str(db), monkeypatch)
    settings = Settings(model_path=str(model_dir), store=str(db), events_poll=0,
                        warm_cache=False)
    with caplog.at_level(logging.INFO, logger="recommender"):
        with TestClient(create_app(settings)) as c:
            assert c.get("/health").json()["campaign_store"] == "ok"
    said = [r.getMessage() for r in caplog.records if "migrated the campaign store" in
            r.getMessage()]
    assert said == [f"migrated the campaign store {store_mod.store_url(str(db))} from schema "
                    f"3 to {LATEST}"], said
    assert versions(str(db))[-1] == LATEST
