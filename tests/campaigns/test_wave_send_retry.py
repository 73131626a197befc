"""A send retried without a time is safe: ``campaign sent --wave 1`` retried two seconds later
without ``--at`` failed ("recorded at ...56Z not ...54Z") though the README says a retry is
safe. Without a time, a wave already recorded answers ``already`` with its recorded time (the
CLI says so; ``POST .../sent {}`` alike); another time given is refused saying to give the
recorded one, and the refusal reads without a doubled parenthesis. Oracle: the first
answer's time and the store's rows."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from helpers import run_cli
from service_fixtures import save_model
from test_wave_sends import DAY, START, stored

from recommender.campaigns.store import open_store
from recommender.campaigns.wave_sends import (
    WaveSentClashError,
    record_wave_sent,
    wave_send_times,
)
from service.app import create_app
from service.settings import Settings


def test_a_retry_without_a_time_answers_the_recorded_one(tmp_path: Path) -> None:
    store = open_store(str(tmp_path / "s.db"))
    stored(store)
    first = record_wave_sent(store, "plan-w", 1, now=START + DAY)  # now: its default
    again = record_wave_sent(store, "plan-w", 1, now=START + DAY + 2)  # 2 s later, no time
    assert (first["already"], again["already"]) == (False, True)
    assert again["sent_at"] == first["sent_at"] == START + DAY
    assert again["recorded_at"] == first["recorded_at"]
    assert wave_send_times(store, "plan-w") == {1: START + DAY}
    with pytest.raises(WaveSentClashError) as refused:
        record_wave_sent(store, "plan-w", 1, START + DAY + 2, now=START + DAY + 2)
    said = str(refused.value)
    assert said.startswith(
        f"wave 1 of plan plan-w was recorded as sent at {START + DAY} (2024-03-02T00:00:00Z), "
        f"on {first['recorded_at']}, not {START + DAY + 2} (2024-03-02T00:00:02Z): a send time "
        f"is final (its reports count from it); to retry this send, give its recorded time "
        f"({START + DAY}) or no time"), said
    assert not re.search(r"\) \(", said), said  # "(2026-...Z) (on 2026-...Z)" read badly
    assert "campaign sent plan-w --wave 1 --retract" in said
    store.close()


def test_cli_and_http_retries_without_a_time(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    url = str(tmp_path / "s.db")
    store = open_store(url)
    stored(store)
    store.close()
    code, out, err = run_cli(capsys, "campaign", "sent", "plan-w", "--wave", "1", "--store", url,
                             "--json")
    assert code == 0, err
    first = json.loads(out)
    code, out, err = run_cli(capsys, "campaign", "sent", "plan-w", "--wave", "1", "--store", url)
    assert code == 0, err
    assert (f"was recorded as sent at {first['sent_at_utc']} (unix {first['sent_at']}) already "
            "in") in out and "no --at: a retry is answered with the recorded time" in out, out
    code, out, err = run_cli(capsys, "campaign", "sent", "plan-w", "--wave", "1", "--at",
                             str(first["sent_at"] + 1), "--store", url)
    assert code == 2 and f"give its recorded time ({first['sent_at']}) or no time" in err, err
    with TestClient(create_app(Settings(model_path=str(save_model(tmp_path / "model")),
                                        store=url, warm_cache=False))) as client:
        r = client.post("/campaigns/plan-w/waves/1/sent", json={})
        assert r.status_code == 200, r.text
        assert {**r.json(), "already": None} == {**first, "already": None}
        assert r.json()["already"] is True


@pytest.mark.parametrize("at", ["²", "--5", "9" * 5000, "-" + "9" * 5000])
def test_a_send_time_int_refuses_is_a_422_and_a_cli_refusal(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], at: str) -> None:
    """``--at`` / ``"at"`` passed ``str.isdigit`` ("²", "--5" after ``lstrip("-")``) or held
    over 4,300 digits, and ``int()`` refused it with a ``ValueError``: a 500 over HTTP, a
    traceback in the CLI. Each is refused as no time, naming what was given."""
    url = str(tmp_path / "s.db")
    store = open_store(url)
    stored(store)
    store.close()
    shown = repr(at) if len(at) < 10 else f"{at[:12]}... ({len(at.lstrip('-')):,} digits)"
    code, out, err = run_cli(capsys, "campaign", "sent", "plan-w", "--wave", "1",
                             f"--at={at}", "--store", url)
    assert code == 2 and "Traceback" not in err and out == "", err
    assert "at must be unix seconds" in err and f"got {shown}" in err, err
    with TestClient(create_app(Settings(model_path=str(save_model(tmp_path / "model")),
                                        store=url, warm_cache=False))) as client:
        r = client.post("/campaigns/plan-w/waves/1/sent", json={"at": at})
        assert r.status_code == 422, r.text[:300]
        assert r.json()["detail"].startswith("body field 'at': must be unix seconds") and \
            [e["loc"] for e in r.json()["errors"]] == [["body", "at"]], r.text[:300]
    store = open_store(url)
    assert wave_send_times(store, "plan-w") == {}
    store.close()
