"""A wave's send time and the time it was recorded read alike on every surface: ISO 8601 in
UTC to the second (``2024-03-21T00:00:00Z``) in ``campaign sent`` (text and ``--json``),
``campaign show`` (notes and ``--json``), the HTTP bodies and ``campaign report``'s lines and
note; ``sent_at_utc`` had read ``2024-03-21 00:00:00 UTC`` beside ``recorded_at``'s
``2024-03-21T00:00:00+00:00``. A row an older version stored (``+00:00``) reads the same way."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from test_wave_sends import DAY, START, stored

from recommender.campaigns.store import open_store
from recommender.campaigns.wave_sends import record_wave_sent, wave_sends

#: ISO 8601 in UTC, whole seconds, the form each surface gives
ISO_Z = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")


def _iso(seconds: int) -> str:
    """The oracle: ``seconds`` as ``YYYY-MM-DDTHH:MM:SSZ`` (strftime, not the library)."""
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_every_surface_says_send_times_alike(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    from fastapi.testclient import TestClient
    from helpers import run_cli
    from service_fixtures import save_model

    from service.app import create_app
    from service.settings import Settings

    url = str(tmp_path / "s.db")
    store = open_store(url)
    stored(store)
    now = START + 40 * DAY + 3 * 3600 + 7
    body = record_wave_sent(store, "plan-w", 1, START + 2 * DAY, now=now)
    # wave 2 as an older version stored it: recorded_at with its +00:00 offset
    with store.engine.begin() as conn:
        conn.execute(wave_sends.insert().values(plan_id="plan-w", wave=2,
                                                sent_at=START + 20 * DAY,
                                                recorded_at="2024-04-02T10:11:12+00:00"))
    again = record_wave_sent(store, "plan-w", 2, START + 20 * DAY, now=now)
    store.close()
    assert (body["sent_at_utc"], body["recorded_at"]) == (_iso(START + 2 * DAY), _iso(now))
    assert again["already"] is True
    assert (again["sent_at_utc"], again["recorded_at"]) == (_iso(START + 20 * DAY),
                                                            "2024-04-02T10:11:12Z")
    # a first plan's waves are the campaign's own (campaign_wave: the wave)
    want = [{"wave": 1, "campaign_wave": 1, "sent_at": START + 2 * DAY,
             "sent_at_utc": _iso(START + 2 * DAY), "recorded_at": _iso(now)},
            {"wave": 2, "campaign_wave": 2, "sent_at": START + 20 * DAY,
             "sent_at_utc": _iso(START + 20 * DAY), "recorded_at": "2024-04-02T10:11:12Z"}]

    code, out, err = run_cli(capsys, "campaign", "show", "plan-w", "--store", url, "--json")
    assert code == 0, err
    assert json.loads(out)["summary"]["wave_sends"] == want
    assert (f"wave 2 at {_iso(START + 20 * DAY)} (unix {START + 20 * DAY} seconds; recorded "
            "2024-04-02T10:11:12Z)") in err
    code, out, err = run_cli(capsys, "campaign", "sent", "plan-w", "--wave", "2", "--at",
                             str(START + 20 * DAY), "--store", url)
    assert code == 0, err
    assert f"at {_iso(START + 20 * DAY)} (unix" in out and "(on 2024-04-02T10:11:12Z)" in out
    code, out, err = run_cli(capsys, "campaign", "report", "plan-w", "--store", url)
    assert code == 0, err
    line = next(x for x in out.splitlines() if x.startswith("waves' windows start:"))
    assert f"wave 2 {_iso(START + 20 * DAY)} (unix {START + 20 * DAY}" in line
    assert f"wave 1 {_iso(START + 2 * DAY)} (unix" in line
    settings = Settings(model_path=str(save_model(tmp_path / "model")), store=url,
                        warm_cache=False)
    with TestClient(create_app(settings)) as client:
        assert client.get("/campaigns/plan-w").json()["summary"]["wave_sends"] == want
        r = client.post("/campaigns/plan-w/waves/2/sent", json={"at": START + 20 * DAY})
        assert r.status_code == 200, r.text
        assert {k: r.json()[k] for k in want[1]} == want[1]
        note = client.get("/campaigns/plan-w/report").json()["note"]
    assert f"wave 2 from {_iso(START + 20 * DAY)} (its recorded send)" in note
    # no other form of a time on these surfaces: every time the texts hold is ISO Z
    for text in (line, note):
        assert "UTC" not in text.replace("UTC offset", ""), text
        assert ISO_Z.search(text), text
