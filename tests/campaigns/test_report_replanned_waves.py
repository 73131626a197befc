"""A report does not count the waves a next wave re-planned: ``campaign report --sent-waves 2``
of a plan whose next wave was planned after 1 sent wave counted wave 2 (its 151 rows read as
contacted, +8 points overall where wave 1 alone read +16), though its send is refused there,
its download leaves it out and a withdrawn plan's report refuses waves past those it sent.
Refused the same way now, naming the next wave, through the CLI (exit 2) and HTTP (422); a
re-plan after more sent waves still measures them. Oracle: the plan's waves and the next
wave's link as stored."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from helpers import run_cli
from service_fixtures import save_model
from stored_plans import first_plan
from test_wave_sends import CREATED, plan_rows, stored

from recommender.campaigns.next_wave import plan_next_wave
from recommender.campaigns.report import campaign_report
from recommender.campaigns.store import open_store
from recommender.errors import InvalidParameterError
from service.app import create_app
from service.settings import Settings


def test_waves_a_next_wave_re_planned_are_not_reported(tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]
                                                        ) -> None:
    url = str(tmp_path / "s.db")
    store = open_store(url)
    stored(store)  # plan-w: 2 waves
    store.save_plan("plan-n", {"created": CREATED, "model_version": "m", "films": [],
                               "parameters": {"waves": 1}}, plan_rows("plan-n").slice(0, 0),
                    link={"previous_plan_id": "plan-w", "sent_waves": 1, "events_seq": 0})
    want = (r"sent_waves must be in \[1, 1\] for plan plan-w: its next wave plan-n was planned "
            r"after 1 sent wave and re-plans the rest, so wave 2 was never sent from this plan "
            r"\(report plan-n for the waves after\), got 2")
    with pytest.raises(InvalidParameterError, match=want):
        campaign_report(store, "plan-w", sent_waves=2)
    # past the plan's 2 waves too: the true range, [1, 1], not the plan's [1, 2] (then 2 was
    # refused as past [1, 1])
    for n in (3, 5, 0):
        with pytest.raises(InvalidParameterError, match=want.replace("got 2", f"got {n}")):
            campaign_report(store, "plan-w", sent_waves=n)
    assert campaign_report(store, "plan-w")["waves_included"] == [1]  # the default: as ever
    assert campaign_report(store, "plan-w", sent_waves=1)["waves_included"] == [1]
    store.close()
    code, out, err = run_cli(capsys, "campaign", "report", "plan-w", "--sent-waves", "2",
                             "--store", url)
    assert code == 2 and "its next wave plan-n was planned after 1 sent wave" in err, (out, err)
    assert out == ""
    code, out, err = run_cli(capsys, "campaign", "report", "plan-w", "--sent-waves", "5",
                             "--store", url)
    assert code == 2 and "sent_waves must be in [1, 1] for plan plan-w" in err, (out, err)
    settings = Settings(model_path=str(save_model(tmp_path / "model")), store=url,
                        warm_cache=False)
    with TestClient(create_app(settings)) as client:
        r = client.get("/campaigns/plan-w/report?sent_waves=2")
        assert r.status_code == 422 and "report plan-n for the waves after" in r.text, r.text
        r = client.get("/campaigns/plan-w/report?sent_waves=5")
        assert r.status_code == 422 and "sent_waves must be in [1, 1] for plan plan-w" \
            in r.text, r.text
        assert client.get("/campaigns/plan-w/report?sent_waves=1").status_code == 200


def test_a_re_plan_after_more_sent_waves_measures_them(tmp_path: Path) -> None:
    """A next wave after 1 sent wave, then another after 2 (a re-plan: wave 2 went out after
    all): the second is planned, measuring waves 1-2, and the report's bound follows it."""
    model, store, _, root = first_plan(tmp_path)
    plan_next_wave(model, store, root, sent_waves=1, progress=False)
    with pytest.raises(InvalidParameterError, match="planned after 1 sent wave"):
        campaign_report(store, root, sent_waves=2)
    again = plan_next_wave(model, store, root, sent_waves=2, progress=False)
    measured = [f["measured_uplift"] for f in again.summary["films"]]
    counted = campaign_report(store, root, sent_waves=2)  # now the bound is 2
    assert [b["measured_targets"] for b in counted["films"]] == [m["targets"] for m in measured]
    with pytest.raises(InvalidParameterError, match=f"next wave {again.plan_id} was planned "
                       "after 2 sent waves"):
        campaign_report(store, root, sent_waves=3)
    store.close()
