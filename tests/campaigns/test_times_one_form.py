"""Every time the engine writes to a person or a JSON body is ISO 8601 in UTC with ``Z``, to the
second (``io.text.iso_utc``): a plan's ``created`` and a withdrawal's ``at`` read
``2026-12-06T22:05:40+00:00``, sends and reports ``...Z``, and an event's refused time
``2539-04-27 05:23:20 UTC``. Times stored by older code keep what was stored and are shown in
the one form.

Oracle: the form by a regular expression, and the instant by ``datetime.fromisoformat`` of
what was stored (or of the clock around the command)."""

from __future__ import annotations

import json
import re
import time
from datetime import datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from helpers import run_cli as run
from service_fixtures import build_model, save_model

from recommender.campaigns.store import open_store
from recommender.query.catalog import model_info
from service.app import create_app
from service.settings import Settings

pytestmark = pytest.mark.usefixtures("no_recommender_env")  # its defaults, not the shell's

ISO_Z = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")
OLD = "2026-12-06T23:05:40+01:00"  # stored by hand, another offset: the same instant as
SHOWN = "2026-12-06T22:05:40Z"


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_model(tmp_path_factory.mktemp("times") / "model")


def _instant(text: str) -> float:
    return datetime.fromisoformat(text).timestamp()


def test_a_new_plan_and_its_withdrawal(model_dir: Path, tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    slate = tmp_path / "slate.csv"
    slate.write_text("film_id,budget\n00003,20\n", encoding="utf-8")
    db = tmp_path / "s.db"
    before = int(time.time())
    code, out, err = run(capsys, "plan", model_dir, "--slate", slate, "--out", tmp_path / "p.csv",
                         "--summary", tmp_path / "s.json", "--store", db)
    assert code == 0, err
    created = json.loads((tmp_path / "s.json").read_text())["created"]
    assert ISO_Z.fullmatch(created) and before <= _instant(created) <= time.time(), created
    plan_id = json.loads((tmp_path / "s.json").read_text())["plan_id"]
    code, out, err = run(capsys, "campaign", "withdraw", plan_id, "--sent-waves", "1",
                         "--store", db, "--json")
    assert code == 0, err
    at = json.loads(out)["at"]
    assert ISO_Z.fullmatch(at) and before <= _instant(at) <= time.time(), at
    settings = Settings(model_path=str(model_dir), store=str(db), events_poll=0,
                        warm_cache=False)
    with TestClient(create_app(settings)) as c:
        summary = c.get(f"/campaigns/{plan_id}").json()["summary"]
        listed = c.get("/campaigns").json()["plans"][0]
        health = c.get("/health").json()["model"]
    assert (summary["created"], summary["withdrawn"]["at"]) == (created, at)
    assert (listed["created"], listed["withdrawn"]["at"]) == (created, at)
    assert ISO_Z.fullmatch(health["created"])


def test_times_stored_by_older_code_are_shown_in_the_one_form(
        model_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "s.db"
    slate = tmp_path / "slate.csv"
    slate.write_text("film_id,budget\n00003,20\n", encoding="utf-8")
    assert run(capsys, "plan", model_dir, "--slate", slate, "--out", tmp_path / "p.csv",
               "--store", db)[0] == 0
    store = open_store(str(db))
    try:  # as older code stored them: +00:00 (here another offset), in the row and summary
        with store.engine.begin() as c:
            plan_id, text = c.execute(sa.text("SELECT plan_id, summary FROM campaign_plans")
                                      ).one()
            c.execute(sa.text("UPDATE campaign_plans SET created = :t, summary = :s"),
                      {"t": OLD, "s": json.dumps({**json.loads(text), "created": OLD})})
            c.execute(sa.text("INSERT INTO campaign_plan_withdrawals (plan_id, sent_waves, "
                              "withdrawn_at, via_plan_id) VALUES (:p, 1, :t, :p)"),
                      {"p": plan_id, "t": OLD})
    finally:
        store.close()
    code, out, err = run(capsys, "campaign", "show", plan_id, "--store", db, "--json")
    assert code == 0, err
    body = json.loads(out)["summary"]
    assert (body["created"], body["withdrawn"]["at"]) == (SHOWN, SHOWN)
    assert f"withdrawn {SHOWN} after 1 sent wave(s)" in err
    code, out, err = run(capsys, "campaign", "list", "--store", db, "--json")
    assert code == 0 and json.loads(out)["plans"][0]["created"] == SHOWN, err
    with open_store(str(db)).engine.connect() as c:  # stored as it was
        assert c.execute(sa.text("SELECT created FROM campaign_plans")).scalar_one() == OLD


def test_a_model_s_creation_and_an_event_s_refused_time(tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]
                                                        ) -> None:
    model = build_model()
    assert ISO_Z.fullmatch(model.meta["created"]), model.meta["created"]
    model.meta["created"] = OLD  # a model saved by older code
    assert model_info(model)["created"] == SHOWN
    events = tmp_path / "e.csv"
    events.write_text("user_id,film_id,timestamp\nu1,00003,17965949000\n", encoding="utf-8")
    code, _, err = run(capsys, "events", "import", events, "--store", tmp_path / "s.db")
    assert code != 0 and "timestamp 17965949000 (2539-04-27T05:23:20Z) is in the future" in err
