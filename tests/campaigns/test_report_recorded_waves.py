"""A report's default waves are the recorded ones: with only wave 1 recorded by ``campaign
sent``, ``campaign report`` still counted waves 1-3 from the plan's start, their targets with
no conversion diluting the rate. Now, where the store holds recorded sends and nothing else
says how many waves went (a withdrawal, a next wave), waves 1 to the last recorded count, the
header and ``sent_waves_source`` say so, ``recorded_waves`` lists them, ``--sent-waves`` still
overrides, and a plan with no recorded send counts every wave as before; CLI = HTTP."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from helpers import run_cli
from service_fixtures import save_model
from test_wave_sends import PER, START, respond, stored

from recommender.campaigns.store import open_store
from service.app import create_app
from service.settings import Settings


def _store(url: str) -> None:
    s = open_store(url)
    try:
        respond(s, stored(s))
    finally:
        s.close()


def _report(capsys: pytest.CaptureFixture[str], store: str, *extra: object) -> dict[str, Any]:
    code, out, err = run_cli(capsys, "campaign", "report", "plan-w", "--store", store,
                             "--json", *extra)
    assert code == 0, err
    body: dict[str, Any] = json.loads(out)
    return body


def test_default_waves_are_the_recorded_ones(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    recorded, bare = str(tmp_path / "recorded.db"), str(tmp_path / "bare.db")
    for url in (recorded, bare):
        _store(url)
    code, _, err = run_cli(capsys, "campaign", "sent", "plan-w", "--wave", "1", "--at",
                           str(START), "--store", recorded)
    assert code == 0, err
    targets = {w: 2 * t for w, (t, _) in PER.items()}  # the oracle: 2 films per wave
    body = _report(capsys, recorded)
    assert body["sent_waves"] == 1 and body["waves_included"] == [1]
    assert body["recorded_waves"] == [1]
    assert "recorded sends" in body["sent_waves_source"]
    assert "wave 1 recorded sent" in body["sent_waves_source"]
    assert body["overall"]["targets"] == targets[1]
    assert [w["wave"] for w in body["waves"]] == [1]
    code, out, err = run_cli(capsys, "campaign", "report", "plan-w", "--store", recorded)
    assert code == 0, err
    assert "1 of 2 included (recorded sends: wave 1 recorded sent of 2 (campaign sent), so " \
        "wave 1 counts; pass sent_waves to count later waves sent unrecorded)" in out, out
    # --sent-waves still overrides
    body = _report(capsys, recorded, "--sent-waves", "2")
    assert body["sent_waves"] == 2 and body["sent_waves_source"] == "given"
    assert body["overall"]["targets"] == targets[1] + targets[2]
    # no recorded send: every wave, as before
    body = _report(capsys, bare)
    assert body["sent_waves"] == 2 and body["recorded_waves"] == []
    assert body["sent_waves_source"].startswith("default: all 2 waves")
    # HTTP's default is the CLI's
    cli = _report(capsys, recorded)
    settings = Settings(model_path=str(save_model(tmp_path / "model")), store=recorded,
                        warm_cache=False)
    with TestClient(create_app(settings)) as client:
        r = client.get("/campaigns/plan-w/report")
    assert r.status_code == 200, r.text
    for key in ("sent_waves", "waves_included", "recorded_waves", "sent_waves_source",
                "overall", "note"):
        assert r.json()[key] == cli[key], key
