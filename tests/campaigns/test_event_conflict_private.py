"""A reused ``event_id`` is refused without showing the recorded event: event ids such as
ticket numbers run in order, and a partner's write key read another partner's events (user,
film, time and weight) from the 409 of ``POST /events`` and from ``events import``. Nor does
the refusal say which values differ, which would answer a guess of the user alone.

Oracle: the recorded event's values, absent from every refusal; the refusal of a guess with
the right user and of one with a wrong user, the same text once the values sent are set
aside.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from helpers import run_cli
from service_fixtures import save_model

from recommender.campaigns.events import count_events
from service.app import create_app
from service.settings import Settings

KEY_A, KEY_B = "partner-a-key-0123456789", "partner-b-key-0123456789"
RECORDED = {"event_id": "T-1001", "user_id": "u7", "film_id": "00003",
            "timestamp": 1_700_000_123, "weight": 3.5}
# what a refusal must not show: the recorded user, film, time and weight
SECRETS = ("'u7'", "'00003'", "1700000123", "3.5")


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_model(tmp_path_factory.mktemp("conflict-private") / "model")


def test_the_409_shows_the_payload_sent_not_the_recorded_one(model_dir: Path,
                                                             tmp_path: Path) -> None:
    settings = Settings(model_path=str(model_dir), store=str(tmp_path / "store.db"),
                        write_keys=f"a:{KEY_A},b:{KEY_B}", events_poll=0, warm_cache=False)
    with TestClient(create_app(settings)) as client:
        r = client.post("/events", json={"events": [RECORDED]}, headers={"X-API-Key": KEY_A})
        assert r.status_code == 200 and r.json()["stored"] == 1, r.text

        def refusal(**changed: object) -> str:
            sent = {**RECORDED, **changed}
            # the same key: another key's event_id is its own (test_event_ids_per_writer)
            r = client.post("/events", json={"events": [sent]}, headers={"X-API-Key": KEY_A})
            assert r.status_code == 409, r.text
            detail: str = r.json()["detail"]
            assert "event_id 'T-1001' is already recorded" in detail
            assert "nothing of this batch was stored" in detail
            return detail

        other = refusal(user_id="u5", film_id="00001", timestamp=1_700_000_456, weight=1)
        # a key's conflict is with its own events only (event_writers): said so, not that
        # the recorded event may be another sender's
        assert "this key's own" in other and "another sender" not in other, other
        assert "may be anyone's" not in other, other
        for secret in SECRETS:
            assert secret not in other, (secret, other)
        # the caller's own values are shown
        assert "user_id 'u5', film_id '00001', timestamp 1700000456, weight 1" in other
        # a guess of the user alone: the right one and a wrong one are refused alike
        right = refusal(timestamp=1_700_000_999)
        wrong = refusal(user_id="u9", timestamp=1_700_000_999)
        assert right.replace("'u7'", "USER") == wrong.replace("'u9'", "USER")
        store = client.app.state.campaign_store  # type: ignore[attr-defined]
        assert count_events(store) == 1


def test_events_import_shows_the_row_not_the_recorded_event(
        model_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = tmp_path / "store.db"
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    header = "event_id,user_id,film_id,timestamp,weight\n"
    first.write_text(header + "T-1001,u7,00003,1700000123,3.5\n")
    second.write_text(header + "T-1000,u5,00002,1700000400,1\nT-1001,u5,00001,1700000456,1\n")
    code, _, err = run_cli(capsys, "events", "import", "--store", store, first)
    assert code == 0, err
    code, _, err = run_cli(capsys, "events", "import", "--store", store, second)
    assert code == 2 and "event_id 'T-1001' is already recorded" in err, err
    assert "line 3" in err and "nothing of the file was stored" in err, err
    for secret in SECRETS:
        assert secret not in err, (secret, err)
    # the CLI's writer is shared (and holds the events stored before writers were recorded)
    assert "events import and every caller of a server without read or write keys write " \
           "as one writer" in " ".join(err.split()), err
    assert "this key's own" not in err and "another sender" not in err, err


def test_a_keyless_server_says_its_one_writer_is_shared(model_dir: Path,
                                                        tmp_path: Path) -> None:
    settings = Settings(model_path=str(model_dir), store=str(tmp_path / "store.db"),
                        events_poll=0, warm_cache=False)
    with TestClient(create_app(settings)) as client:
        assert client.post("/events", json={"events": [RECORDED]}).status_code == 200
        r = client.post("/events", json={"events": [{**RECORDED, "user_id": "u5",
                                                     "film_id": "00001", "weight": 1}]})
        assert r.status_code == 409, r.text
        detail = r.json()["detail"]
        assert "write as one writer" in detail and "may be anyone's" in detail, detail
        assert "this key's own" not in detail and "another sender" not in detail, detail
        for secret in SECRETS[:2]:
            assert secret not in detail, (secret, detail)
