"""``GET /campaigns/{plan_id}`` (and ``campaign show --json``) gives the earlier plans of a
next wave's chain (``chain``, the nearest first, each with its waves sent when the next plan
was planned): the Studio read each one, one request per level, up to 50. Oracle: each plan's
own summary (``previous_plan_id``, ``sent_waves``), read one at a time up the chain."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from helpers import run_cli
from stored_plans import first_plan

from recommender.campaigns.events import plan_links
from recommender.campaigns.next_wave import plan_next_wave
from recommender.campaigns.store import open_store
from recommender.campaigns.withdraw import earlier_plans
from recommender.model import artifact
from service.app import create_app
from service.settings import Settings


def test_a_next_wave_lists_its_earlier_plans(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    model, store, db, root = first_plan(tmp_path)
    a = plan_next_wave(model, store, root, sent_waves=1, waves=3, progress=False).plan_id
    b = plan_next_wave(model, store, a, sent_waves=2, waves=1, progress=False).plan_id
    store.close()
    settings = Settings(model_path=str(artifact.save(model, tmp_path / "model")), store=str(db))
    with TestClient(create_app(settings)) as client:
        shown = {p: client.get(f"/campaigns/{p}").json()["summary"] for p in (root, a, b)}
    walked, up = [], shown[b]
    while up.get("previous_plan_id"):  # the oracle: one summary per level
        walked.append({"plan_id": up["previous_plan_id"], "sent_waves": up["sent_waves"]})
        up = shown[up["previous_plan_id"]]
    assert walked == [{"plan_id": a, "sent_waves": 2}, {"plan_id": root, "sent_waves": 1}]
    assert (shown[b]["chain"], shown[b]["chain_cut"]) == (walked, False)
    assert (shown[a]["chain"], shown[a]["chain_cut"]) == (walked[1:], False)
    assert (shown[root]["chain"], shown[root]["chain_cut"]) == ([], False)
    code, out, err = run_cli(capsys, "campaign", "show", b, "--store", db, "--json")
    assert code == 0, err
    assert json.loads(out)["summary"]["chain"] == walked  # the CLI's body says it too
    store = open_store(str(db))
    with store.engine.begin() as conn:  # a link back down the chain (written by hand)
        conn.execute(plan_links.insert().values(plan_id=root, previous_plan_id=b,
                                                sent_waves=1, events_seq=0))
    with store.engine.connect() as conn:
        assert earlier_plans(conn, b) == (walked, True)  # bounded: the loop is cut
    store.close()
