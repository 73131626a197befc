"""A stored plan whose summary lacks ``created`` (hand-made, or by another engine), or holds
one that is no time: the report, a send time and a next wave, which count from it, refuse
naming the field and the plan (CLI exit 2, HTTP 409); it was a ``KeyError``, a traceback in
the CLI and a 500 over HTTP. The oracle: the same plan with it reports."""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from helpers import run_cli
from service_fixtures import save_model
from test_wave_sends import CREATED, START, plan_rows

from recommender.campaigns.report import campaign_report
from recommender.campaigns.store import open_store
from recommender.campaigns.summary_fields import IncompleteSummaryError
from recommender.campaigns.wave_sends import record_wave_sent


def restored(db: Path, plan_id: str, summary: dict[str, Any]) -> None:
    """``plan_id``'s stored summary replaced by ``summary`` (as a hand or another engine)."""
    with sqlite3.connect(db) as con:
        con.execute("UPDATE campaign_plans SET summary = ? WHERE plan_id = ?",
                    (json.dumps(summary), plan_id))


@pytest.mark.parametrize("created", [None, "yesterday"])
def test_a_use_needing_created_refuses_naming_it(tmp_path: Path, created: str | None,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    """The report, a send time, a next wave count from ``created``: without it, each refuses
    naming the field and the plan (CLI exit 2, HTTP 409), not a ``KeyError``; with it, the
    same plan reports (the oracle)."""
    from fastapi.testclient import TestClient

    from service.app import create_app
    from service.settings import Settings

    url = str(tmp_path / "s.db")
    store = open_store(url)
    summary: dict[str, Any] = {"model_version": "m", "films": [{"film_id": "A"},
                                                               {"film_id": "B"}],
                               "parameters": {"waves": 2}, "horizon": {"days": 30}}
    store.save_plan("plan-w", {**summary, "created": CREATED}, plan_rows("plan-w"))
    assert campaign_report(store, "plan-w")["start"] == START  # the oracle: with it
    store.close()
    restored(Path(url), "plan-w", summary if created is None else {**summary,
                                                                   "created": created})
    said = ("no 'created'" if created is None else f"'created' {created!r}, not")
    store = open_store(url)
    for attempt in (lambda: campaign_report(store, "plan-w"),
                    lambda: record_wave_sent(store, "plan-w", 1, START)):
        with pytest.raises(IncompleteSummaryError, match=re.escape(
                f"plan plan-w's stored summary has {said}")):
            attempt()
    store.close()
    for argv in (("campaign", "report", "plan-w"), ("campaign", "sent", "plan-w", "--wave", 1,
                                                     "--at", START)):
        code, _, err = run_cli(capsys, *argv, "--store", url)
        assert code == 2 and f"plan plan-w's stored summary has {said}" in err, err
        assert "Traceback" not in err
    settings = Settings(model_path=str(save_model(tmp_path / "model")), store=url,
                        warm_cache=False)
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        for r in (client.get("/campaigns/plan-w/report"),
                  client.post("/campaigns/plan-w/waves/1/sent", json={"at": START})):
            assert r.status_code == 409, r.text
            assert f"plan plan-w's stored summary has {said}" in r.json()["detail"]
        assert client.get("/campaigns/plan-w").status_code == 200  # shown as stored
