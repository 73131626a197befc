"""A plan's recorded sends, as every surface reads them, say the campaign's number of each wave.

``GET /campaigns/{id}``'s ``wave_sends`` lacked ``campaign_wave`` (only the answer to recording
a send carried it), so the Studio listed a next wave's sends by the plan's own numbers. Each
entry now carries it: the library's read fields, ``campaign show --json`` and HTTP alike.
Oracle: the chain's sent waves counted here from the links as they were stored, and the answer
to recording each send."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from helpers import run_cli
from service_fixtures import save_model
from test_wave_sends import DAY, START, plan_rows, stored

import recommender.campaigns.withdraw as withdraw_module
from recommender.campaigns.store import CampaignStore, open_store
from recommender.campaigns.wave_sends import record_wave_sent
from recommender.campaigns.withdraw import shown_summary
from service.app import create_app
from service.settings import Settings

#: (plan, the plan it continues, that plan's waves sent when it was planned, its waves)
CHAIN = [("plan-n", "plan-w", 1, 2), ("plan-m", "plan-n", 1, 3)]


def chained(store: CampaignStore) -> dict[str, list[dict[str, int]]]:
    """plan-w sent wave 1; plan-n, planned after it, sent its wave 1; plan-m, planned after
    that, sent waves 1 and 2. Returns each plan's send answers (wave, campaign_wave)."""
    stored(store)
    answers = {"plan-w": [record_wave_sent(store, "plan-w", 1, START + DAY)]}
    day = 2
    for plan_id, previous, sent, waves in CHAIN:
        store.save_plan(plan_id, {"created": f"2024-03-{day:02d}T00:00:00+00:00",
                                  "model_version": "m", "films": [{"film_id": "A"}],
                                  "parameters": {"waves": waves}, "previous_plan_id": previous,
                                  "sent_waves": sent}, plan_rows(plan_id),
                        link={"previous_plan_id": previous, "sent_waves": sent,
                              "events_seq": 0})
        answers[plan_id] = [record_wave_sent(store, plan_id, w, START + (day + w) * DAY)
                            for w in range(1, 1 + (2 if plan_id == "plan-m" else 1))]
        day += 3
    return {p: [{"wave": a["wave"], "campaign_wave": a["campaign_wave"]} for a in got]
            for p, got in answers.items()}


def earlier_sent(plan_id: str) -> int:
    """The waves the plans before ``plan_id`` sent, counted from CHAIN's links."""
    links = {p: (prev, sent) for p, prev, sent, _ in CHAIN}
    total = 0
    while plan_id in links:
        plan_id, sent = links[plan_id]
        total += sent
    return total


def test_each_recorded_send_reads_its_campaign_wave_on_every_surface(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = str(tmp_path / "s.db")
    store = open_store(url)
    answers = chained(store)
    read = {p: shown_summary(store, p)["wave_sends"] for p in answers}
    store.close()
    for plan_id, sends in read.items():
        assert [s["wave"] for s in sends] == [a["wave"] for a in answers[plan_id]]
        want = [s["wave"] + earlier_sent(plan_id) for s in sends]
        assert [s["campaign_wave"] for s in sends] == want, plan_id
        assert [{"wave": s["wave"], "campaign_wave": s["campaign_wave"]} for s in sends] \
            == answers[plan_id]  # as the answer to recording it said
    assert [s["campaign_wave"] for s in read["plan-m"]] == [3, 4]  # 1 + 1 sent before it
    settings = Settings(model_path=str(save_model(tmp_path / "model")), store=url,
                        warm_cache=False)
    with TestClient(create_app(settings)) as client:
        for plan_id, sends in read.items():
            code, out, err = run_cli(capsys, "campaign", "show", plan_id, "--store", url,
                                     "--json")
            assert code == 0, err
            assert json.loads(out)["summary"]["wave_sends"] == sends
            r = client.get(f"/campaigns/{plan_id}")
            assert r.status_code == 200, r.text
            assert r.json()["summary"]["wave_sends"] == sends
        described = client.get("/openapi.json").json()["components"]["schemas"]["PlanCreated"]
        assert "campaign_wave" in described["properties"]["summary"]["description"]


def test_a_chain_read_only_in_part_gives_no_campaign_wave(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A chain longer than the read reaches (``chain_cut``) cannot number its waves: null,
    as the answer to recording the send says."""
    store = open_store(str(tmp_path / "s.db"))
    chained(store)
    monkeypatch.setattr(withdraw_module, "MAX_CHAIN", 1)
    summary = shown_summary(store, "plan-m")
    assert summary["chain_cut"] is True
    assert [s["campaign_wave"] for s in summary["wave_sends"]] == [None, None]
    assert record_wave_sent(store, "plan-m", 2)["campaign_wave"] is None
    assert [s["campaign_wave"] for s in shown_summary(store, "plan-n")["wave_sends"]] == [2]
    store.close()
