"""The answer of a next wave just planned is the body that reads it: ``POST
/campaigns/{plan_id}/next``, ``plan --after --json`` and its ``--summary`` lacked the
``chain``, ``chain_cut``, ``next_waves`` and ``wave_sends`` that ``GET /campaigns/{plan_id}``
and ``campaign show --json`` give (the README says a next wave's summary lists its chain), and
an idempotent replay answered the stored summary alone. ``plan --after`` and ``campaign show``
(text) name the plan a next wave continues and its chain, and ``campaign list`` has a column
for it. Oracle: ``GET /campaigns/{plan_id}`` of the same plan, and the chain as stored."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from helpers import run_cli
from stored_plans import first_plan

from recommender.model import artifact
from service.app import create_app
from service.settings import Settings


def test_the_next_waves_answer_is_its_read_body(tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    model, store, db, root = first_plan(tmp_path)
    store.close()
    folder = artifact.save(model, tmp_path / "model")
    with TestClient(create_app(Settings(model_path=str(folder), store=str(db)))) as client:
        made = client.post(f"/campaigns/{root}/next", json={"sent_waves": 1},
                           headers={"Idempotency-Key": "k-1"})
        assert made.status_code == 200, made.text
        body = made.json()
        read = client.get(f"/campaigns/{body['plan_id']}").json()
        assert body == read
        assert body["summary"]["chain"] == [{"plan_id": root, "sent_waves": 1}]
        assert (body["summary"]["chain_cut"], body["summary"]["next_waves"],
                body["summary"]["wave_sends"]) == (False, [], [])
        again = client.post(f"/campaigns/{root}/next", json={"sent_waves": 1},
                            headers={"Idempotency-Key": "k-1"})
        assert again.headers.get("Idempotent-Replayed") == "true"
        assert again.json() == read  # the replay too
    summary_file = tmp_path / "next.json"
    code, out, err = run_cli(capsys, "plan", folder, "--after", root, "--sent-waves", "2",
                             "--store", db, "--out", tmp_path / "next.csv", "--json",
                             "--summary", summary_file)
    assert code == 0, err
    printed = json.loads(out)
    code, out, err = run_cli(capsys, "campaign", "show", printed["plan_id"], "--store", db,
                             "--json")
    assert code == 0, err
    shown = json.loads(out)
    assert printed == shown
    assert json.loads(summary_file.read_text()) == shown["summary"]
    assert shown["summary"]["chain"] == [{"plan_id": root, "sent_waves": 2}]
    code, out, err = run_cli(capsys, "plan", folder, "--after", root, "--sent-waves", "1",
                             "--store", db, "--out", tmp_path / "text.csv", "--seed", "5")
    assert code == 0, err
    assert (f"Next wave of plan {root}, planned after 1 of its waves were sent; chain, nearest "
            f"first: {root} (1 sent); its waves 1-2 are the campaign's waves 2-3") in out, out
    code, out, err = run_cli(capsys, "campaign", "list", "--store", db)
    assert code == 0, err
    header = next(line for line in out.splitlines() if line.startswith("plan_id"))
    assert "continues (plan after waves sent)" in header
    rows = {line.split()[0]: line for line in out.splitlines() if line.split()}
    assert f"{root} after 2" in rows[printed["plan_id"]]
    assert f"{root} after" not in rows[root]
