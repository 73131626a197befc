"""An event dated before 1990 is refused, naming it, by POST /events and by events import (a
timestamp of 0, 1970-01-01, was stored: a time left unset, which no report's window holds and
which train --events took as the oldest interaction of its log); 1990 on is taken."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from service_fixtures import save_model

from recommender.campaigns.events import count_events
from recommender.campaigns.store import open_store
from recommender.cli import main
from service.app import create_app
from service.settings import Settings

FIRST = int(datetime(1990, 1, 1, tzinfo=UTC).timestamp())  # the first second taken


def test_the_bound_is_1990_and_the_future_is_refused_still() -> None:
    from recommender.campaigns.event_times import MIN_EVENT_TIMESTAMP, first_misdated

    assert MIN_EVENT_TIMESTAMP == FIRST
    now = 1_700_000_000
    assert first_misdated([FIRST, now, now + 86_400], now=now) is None
    at, why = first_misdated([FIRST, FIRST - 1, 0], now=now) or (None, "")
    assert at == 1 and why.startswith("timestamp 631151999 (1989-12-31T23:59:59Z) is "
                                      "before 1990-01-01"), why
    at, why = first_misdated([now, now + 86_401, 0], now=now) or (None, "")
    assert at == 1 and "is in the future" in why


@pytest.mark.parametrize("ts", [0, 12, FIRST - 1, -5])
def test_post_events_refuses_it_naming_the_event(tmp_path: Path, ts: int) -> None:
    settings = Settings(model_path=str(save_model(tmp_path / "model")),
                        store=str(tmp_path / "s.db"), warm_cache=False)
    good = {"event_id": "fine", "user_id": "u2", "film_id": "00003", "timestamp": FIRST}
    with TestClient(create_app(settings)) as client:
        r = client.post("/events", json={"events": [
            good, {**good, "event_id": "unset-time", "timestamp": ts}]})
        assert r.status_code == 422, r.text
        detail = r.json()["detail"]
        assert detail.startswith("events[1] (event_id 'unset-time'): ") and \
            "before 1990-01-01" in detail and "nothing of this batch was stored" in detail
        assert client.get("/events/status").json()["sequence"] == 0
        assert client.post("/events", json={"events": [good]}).status_code == 200
        stamp = client.get("/openapi.json").json()["components"]["schemas"]["EventIn"][
            "properties"]["timestamp"]
        assert stamp["anyOf"][0]["minimum"] == FIRST and "1990" in stamp["description"]


@pytest.mark.parametrize("when", ["0", "1970-01-01", "1989-12-31T23:59:59Z"])
def test_events_import_refuses_it_naming_the_line(tmp_path: Path, when: str,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "responses.csv"
    fine = int(time.time()) if when.isdigit() else "2024-03-01T12:00:00Z"  # one form a column
    f.write_text(f"user_id,film_id,timestamp\nu2,00003,{fine}\nu3,00003,{when}\n")
    store = tmp_path / "s.db"
    assert main(["events", "import", "--store", str(store), str(f)]) == 2
    err = capsys.readouterr().err
    assert "line 3" in err and "before 1990-01-01" in err, err
    if store.exists():
        with open_store(str(store)) as s:
            assert count_events(s) == 0
    f.write_text("user_id,film_id,timestamp\nu3,00003,1990-01-01\n")
    assert main(["events", "import", "--store", str(store), str(f)]) == 0
