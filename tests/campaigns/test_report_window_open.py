"""A report made minutes after the send says its window is still open: the header said
"within 30 days of each wave's start" and compared a 30-day prediction with minutes of data.
Each wave's window now says how much of it had passed at the report's time (``as_of``,
injectable: ``report_now``), in days and as a share, whether it is open, and the note says
"the window is still open: N of 30 days passed"; CLI = HTTP."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from helpers import run_cli
from service_fixtures import save_model
from test_wave_sends import START, respond, stored

import recommender.campaigns.report as report_module
from recommender.campaigns.report import campaign_report
from recommender.campaigns.store import open_store
from recommender.campaigns.wave_sends import record_wave_sent
from service.app import create_app
from service.settings import Settings

DAY = 86_400
SENT2 = START + 20 * DAY  # wave 2 went out on day 20


@pytest.fixture()
def store_url(tmp_path: Path) -> str:
    url = str(tmp_path / "store.db")
    s = open_store(url)
    try:
        respond(s, stored(s))
        record_wave_sent(s, "plan-w", 1, START)
        record_wave_sent(s, "plan-w", 2, SENT2)
    finally:
        s.close()
    return url


def test_each_window_says_how_much_has_passed(store_url: str) -> None:
    s = open_store(store_url)
    try:
        as_of = SENT2 + 600  # ten minutes after wave 2's send
        body = campaign_report(s, "plan-w", 30.0, as_of=as_of)
        closed = campaign_report(s, "plan-w", 30.0, as_of=SENT2 + 31 * DAY)
    finally:
        s.close()
    assert body["as_of"] == as_of and body["window_open"] is True
    by_wave = {w["wave"]: w for w in body["wave_starts"]}
    # the oracle: seconds since each wave's start, over the window's 30 days
    for wave, start in ((1, START), (2, SENT2)):
        passed = min(as_of - start, 30 * DAY)
        assert by_wave[wave]["window_elapsed_days"] == pytest.approx(passed / DAY, abs=1e-4)
        assert by_wave[wave]["window_elapsed_share"] == pytest.approx(passed / (30 * DAY),
                                                                      abs=1e-4)
        assert by_wave[wave]["window_open"] is (as_of < start + 30 * DAY)
    assert "the window is still open: wave 1 20.01, wave 2 0.0069 of 30 days passed; " \
           "observed conversions will grow; predicted is for the full window" \
        in body["note"], body["note"]
    assert closed["window_open"] is False and "still open" not in closed["note"]
    assert all(w["window_elapsed_share"] == 1.0 for w in closed["wave_starts"])


def test_cli_equals_http_at_an_injected_time(store_url: str, tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str],
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(report_module, "report_now", lambda: SENT2 + 3 * DAY)
    code, out, err = run_cli(capsys, "campaign", "report", "plan-w", "--store", store_url,
                             "--sent-waves", "2", "--json")
    assert code == 0, err
    cli = json.loads(out)
    assert cli["as_of"] == SENT2 + 3 * DAY
    settings = Settings(model_path=str(save_model(tmp_path / "model")), store=store_url,
                        warm_cache=False)
    with TestClient(create_app(settings)) as client:
        r = client.get("/campaigns/plan-w/report", params={"sent_waves": 2})
    assert r.status_code == 200, r.text
    http = r.json()
    for key in ("as_of", "window_open", "wave_starts", "note"):
        assert http[key] == cli[key], key
    code, out, err = run_cli(capsys, "campaign", "report", "plan-w", "--store", store_url)
    assert code == 0, err
    head = out.splitlines()[0]
    assert f"as of 2024-03-24T00:00:00Z (unix {SENT2 + 3 * DAY})" in head, head
    assert "the window is still open (note below)" in head, head
    assert "the window is still open: wave 1 23, wave 2 3 of 30 days passed" in out, out


@pytest.mark.report_clock
def test_a_report_is_made_at_the_clock_s_time_by_default(store_url: str) -> None:
    """Without ``as_of`` the report's time is the clock's, in unix seconds (conftest fixes it
    per test elsewhere; this test reads the real one)."""
    import time

    s = open_store(store_url)
    try:
        before = int(time.time())
        body = campaign_report(s, "plan-w", 30.0)
        after = time.time()
    finally:
        s.close()
    assert before <= body["as_of"] <= after
