"""A service on an empty store that ``campaign copy`` fills: its poller sees the store's id
change and reads the events again for its model as trained, also when nothing is new past the
model's training, when that read fails once, and when a reload comes before the poll.

Oracles: ``/events/status`` (``since_seq``, the events applied) against the events the model
was trained with, and the served engine still open (its ranking cache filled by a request).
The poller is driven by hand (``events_poll=0``): no timing."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

import service.events_sync as events_sync
import service.store_health as store_health
from recommender.campaigns.copy_store import copy_store
from recommender.cli import main
from recommender.io import demo
from service.app import create_app
from service.settings import Settings


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, list[str]]:
    """A store with three events and a model trained with them (``train --events``)."""
    tmp = tmp_path_factory.mktemp("copied")
    folder = demo.generate(tmp / "data", seed=5, n_users=150, n_films=40, n_interactions=1200)
    films = [line.split(",")[0] for line in (folder / "films.csv").read_text().splitlines()[1:5]]
    source = tmp / "old.db"
    (tmp / "ev.csv").write_text("user_id,film_id,timestamp\n" + "".join(
        f"fresh-user,{f},1700000000\n" for f in films[:3]))
    assert main(["events", "import", "--store", str(source), str(tmp / "ev.csv")]) == 0
    assert main(["train", "--data", str(folder), "--out", str(tmp / "m"), "--events",
                 str(source), "--no-tune", "--factors", "8", "--iterations", "3"]) == 0
    return source, tmp / "m", films


@dataclass
class Served:
    """A service started on the empty store ``target``; ``source`` is the trained store."""

    client: TestClient
    source: Path
    target: Path
    films: list[str]

    def copy(self) -> None:
        copy_store(str(self.source), str(self.target))

    def overlay(self) -> dict[str, Any]:
        status = self.client.get("/events/status").json()
        return {"applied": status["applied"], **status["overlay"]}


@pytest.fixture
def served(trained: tuple[Path, Path, list[str]], tmp_path: Path) -> Iterator[Served]:
    """The model and its store copied for each test (a later event is added to one)."""
    source, model, films = trained
    shutil.copytree(model, tmp_path / "m", symlinks=True)
    shutil.copy(source, tmp_path / "old.db")
    settings = Settings(model_path=str(tmp_path / "m"), store=str(tmp_path / "new.db"),
                        events_poll=0, warm_cache=False, watch_interval=0)
    with TestClient(create_app(settings)) as client:
        yield Served(client, tmp_path / "old.db", tmp_path / "new.db", films)


def test_a_copy_with_no_later_event_keeps_the_served_engine_open(served: Served) -> None:
    """The copy holds only the events the model was trained with: the model as loaded is
    what to serve. The poller installed the served engine over itself, which closed it: it
    went on serving, but cached no ranking or body again (and its warm-up stopped)."""
    state = served.client.app.state  # type: ignore[attr-defined]
    served.copy()
    state.events_sync.poll()
    got = served.overlay()
    assert got["since_seq"] == 3 and got["events_applied"] == 0 and got["applied"] == 3
    assert not state.service.engine.closed
    film = served.films[0]
    assert served.client.get(f"/films/{film}/audience?k=5").status_code == 200
    assert state.service.engine.cache.nbytes > 0


def test_a_failed_read_after_the_id_changed_is_retried_for_the_copy(
        served: Served, monkeypatch: pytest.MonkeyPatch) -> None:
    """The read of the copy's events fails once (the store briefly unreachable): the next
    poll reads them for the model as trained. The new id was kept before the read, so the
    next poll saw no change and folded the model's own events in a second time (since 0)."""
    sync = served.client.app.state.events_sync  # type: ignore[attr-defined]
    later = served.source.parent / "later.csv"
    later.write_text(f"user_id,film_id,timestamp\nlate-user,{served.films[3]},1700000100\n")
    assert main(["events", "import", "--store", str(served.source), str(later)]) == 0
    served.copy()
    real, calls = events_sync.iter_events, []

    def flaky(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == 1:
            raise OSError("the store is briefly unreachable")
        return real(*args, **kwargs)

    monkeypatch.setattr(events_sync, "iter_events", flaky)
    with pytest.raises(OSError):
        sync.poll()
    sync.poll()
    got = served.overlay()
    assert got["since_seq"] == 3 and got["events_applied"] == 1 and got["applied"] == 4


def test_a_reload_between_the_copy_and_the_poll_knows_the_new_id(served: Served) -> None:
    """A model reload (the watcher, ``POST /admin/reload``) after the copy but before the
    poller looked: it matched the model with the store id read at start, took every copied
    event as new, and no later poll looked again (nothing past them)."""
    state = served.client.app.state  # type: ignore[attr-defined]
    served.copy()
    state.service.reload()
    state.events_sync.poll()
    got = served.overlay()
    assert got["since_seq"] == 3 and got["events_applied"] == 0 and got["applied"] == 3


def on_the_old_store(trained: tuple[Path, Path, list[str]], tmp_path: Path
                     ) -> tuple[Settings, dict[str, Any], list[str]]:
    """A service's settings on a copy of the trained store (``old.db``, which a test then
    moves with ``campaign copy``), an event for it, and the films."""
    source, model, films = trained
    shutil.copytree(model, tmp_path / "m", symlinks=True)
    shutil.copy(source, tmp_path / "old.db")
    settings = Settings(model_path=str(tmp_path / "m"), store=str(tmp_path / "old.db"),
                        events_poll=0, warm_cache=False, watch_interval=0)
    event = {"events": [{"event_id": "late", "user_id": "u", "film_id": films[0],
                         "timestamp": 1700000200}]}
    return settings, event, films


def test_a_service_on_a_store_moved_by_copy_refuses_writes_with_409(
        trained: tuple[Path, Path, list[str]], tmp_path: Path,
        caplog: pytest.LogCaptureFixture) -> None:
    """A service still on the old store after ``campaign copy`` stored every event and plan
    sent to it (lost to the copy, and numbered as the copy numbers its own); it now answers
    409, its log naming the copy (the answer names neither store: their URLs name a database's
    host and user), reads go on, and ``campaign reopen`` lets it record again."""
    settings, event, films = on_the_old_store(trained, tmp_path)
    early = {"events": [{**event["events"][0], "event_id": "early"}]}
    with TestClient(create_app(settings)) as client:
        assert client.post("/events", json=early).json()["stored"] == 1
        assert main(["campaign", "copy", "--store", str(tmp_path / "old.db"), "--to",
                     str(tmp_path / "new.db")]) == 0
        # a retry of a batch acknowledged before the copy (the answer was lost) writes
        # nothing: it is answered as ever, not refused as if it were not stored
        got = client.post("/events", json=early)
        assert got.status_code == 200 and got.json()["duplicates"] == 1, got.text
        with caplog.at_level("WARNING", logger="recommender.service"):
            got = client.post("/events", json=event)
        assert got.status_code == 409 and "Nothing of this batch" in got.json()["detail"]
        assert "moved by `recommender campaign copy`" in got.json()["detail"]
        assert str(tmp_path) not in got.json()["detail"]
        assert f"moved to sqlite:///{tmp_path / 'new.db'}" in caplog.text
        got = client.post("/campaigns/plan", json={"films": [{"film_id": films[0],
                                                               "budget": 2}]})
        assert got.status_code == 409 and "Nothing of this plan" in got.json()["detail"]
        assert str(tmp_path) not in got.json()["detail"]
        assert client.get("/campaigns").json()["total"] == 0
        assert client.get("/events/status").status_code == 200
        # the CLI's plans are refused before the work: no file written
        (tmp_path / "slate.csv").write_text(f"film_id,budget\n{films[0]},2\n")
        assert main(["plan", str(tmp_path / "m"), "--slate", str(tmp_path / "slate.csv"),
                     "--out", str(tmp_path / "plan.csv"), "--store",
                     str(tmp_path / "old.db")]) == 2
        assert not (tmp_path / "plan.csv").exists()
        assert main(["campaign", "reopen", "--store", str(tmp_path / "old.db")]) == 0
        assert client.post("/events", json=event).status_code == 200



def test_a_moved_store_refuses_a_plan_before_planning_and_replays_an_earlier_one(
        trained: tuple[Path, Path, list[str]], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """``POST /campaigns/plan`` and ``/next`` on a moved store planned the whole slate (the
    model's every user), then were refused as the plan was stored; a plan stored before the
    copy is still answered to a retry with its Idempotency-Key (a read)."""
    import service.routes.campaigns as campaign_routes

    settings, _, films = on_the_old_store(trained, tmp_path)
    body = {"films": [{"film_id": films[0], "budget": 2}]}
    planned: list[int] = []
    real = campaign_routes.plan_beside
    monkeypatch.setattr(campaign_routes, "plan_beside",
                        lambda *a, **k: planned.append(1) or real(*a, **k))
    with TestClient(create_app(settings)) as client:
        first = client.post("/campaigns/plan", json=body, headers={"Idempotency-Key": "k1"})
        assert first.status_code == 200 and planned == [1]
        assert main(["campaign", "copy", "--store", str(tmp_path / "old.db"), "--to",
                     str(tmp_path / "new.db")]) == 0
        got = client.post("/campaigns/plan", json=body, headers={"Idempotency-Key": "k2"})
        assert got.status_code == 409 and planned == [1]
        plan_id = first.json()["plan_id"]
        got = client.post(f"/campaigns/{plan_id}/next", json={})
        assert got.status_code == 409 and "Nothing of this plan" in got.json()["detail"]
        again = client.post("/campaigns/plan", json=body, headers={"Idempotency-Key": "k1"})
        assert again.status_code == 200 and again.json() == first.json()
        assert again.headers["Idempotent-Replayed"] == "true"


def test_health_says_a_store_moved_by_copy(
        trained: tuple[Path, Path, list[str]], tmp_path: Path) -> None:
    """/health said "campaign_store": "ok" for a store ``campaign copy`` moved, while every
    event and plan sent to the service answered 409: now "moved", from the start, from a
    refused write, until a poll finds the store reopened."""
    settings, event, films = on_the_old_store(trained, tmp_path)
    with TestClient(create_app(settings)) as client:
        assert client.get("/health").json()["campaign_store"] == "ok"
        assert main(["campaign", "copy", "--store", str(tmp_path / "old.db"), "--to",
                     str(tmp_path / "new.db")]) == 0
        assert client.post("/events", json=event).status_code == 409
        assert client.get("/health").json()["campaign_store"] == "moved"
    with TestClient(create_app(settings)) as client:  # a start on the moved store
        assert client.get("/health").json()["campaign_store"] == "moved"
        assert main(["campaign", "reopen", "--store", str(tmp_path / "old.db")]) == 0
        client.app.state.events_sync.look_moved()  # what the poller's next tick does
        assert client.get("/health").json()["campaign_store"] == "ok"


def test_health_moved_ends_at_a_write_without_a_poller(
        trained: tuple[Path, Path, list[str]], tmp_path: Path) -> None:
    """With ``events_poll=0`` no poll reads the mark: a store reopened after a refusal (or
    after a start on it while moved) said "moved" on /health for ever, while it took every
    event and plan. A write the store takes ends it (each writer looks under the mark's lock).
    """
    settings, event, films = on_the_old_store(trained, tmp_path)
    assert main(["campaign", "copy", "--store", str(tmp_path / "old.db"), "--to",
                 str(tmp_path / "new.db")]) == 0
    with TestClient(create_app(settings)) as client:
        assert client.get("/health").json()["campaign_store"] == "moved"
        assert main(["campaign", "reopen", "--store", str(tmp_path / "old.db")]) == 0
        assert client.post("/events", json=event).status_code == 200
        assert client.get("/health").json()["campaign_store"] == "ok"
        client.app.state.events_sync.moved = "then"  # as a refusal sets it
        got = client.post("/campaigns/plan", json={"films": [{"film_id": films[0],
                                                              "budget": 2}]})
        assert got.status_code == 200
        assert client.get("/health").json()["campaign_store"] == "ok"


def test_health_moved_ends_after_a_reopen_without_a_poller(
        trained: tuple[Path, Path, list[str]], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """With ``events_poll=0`` and no write, a reopened store said "moved" on /health until a
    restart: /health now has the mark read again (in a thread, at most every MOVED_EVERY s)."""
    monkeypatch.setattr(store_health, "MOVED_EVERY", 0.0)
    settings, _, _ = on_the_old_store(trained, tmp_path)
    assert main(["campaign", "copy", "--store", str(tmp_path / "old.db"), "--to",
                 str(tmp_path / "new.db")]) == 0
    with TestClient(create_app(settings)) as client:
        sync = client.app.state.events_sync
        assert client.get("/health").json()["campaign_store"] == "moved"
        assert sync.looker is not None
        sync.looker.join()
        assert client.get("/health").json()["campaign_store"] == "moved"  # still marked
        sync.looker.join()
        assert main(["campaign", "reopen", "--store", str(tmp_path / "old.db")]) == 0
        client.get("/health")  # starts a read of the mark
        sync.looker.join()
        assert client.get("/health").json()["campaign_store"] == "ok"


def test_a_mark_read_before_a_write_does_not_outlive_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A read of the moved mark (``_look_later``'s thread, or the poller's) that saw the mark,
    then a reopen and a write the store took before the read was recorded: /health said
    "moved" again after the write had ended it, until the next read."""
    from recommender.campaigns import moved
    from recommender.campaigns.store import open_store

    store = open_store(str(tmp_path / "s.db"))
    sync = events_sync.EventsSync(Any, store, 0.0)  # type: ignore[arg-type]
    sync.moved = "then"

    def read_then_write(conn: Any) -> moved.Moved:
        sync.wrote()  # reopened and written to while the read was under way
        return moved.Moved("sqlite:///elsewhere.db", "then")
    monkeypatch.setattr(moved, "moved_to", read_then_write)
    sync.look_moved()
    assert sync.moved is None and sync.store_state == "ok"
    store.close()
