"""A plan's download after its next wave: the waves the next wave re-plans were listed with the
rest, and a marketer could send wave 2 from the old file to users the next wave holds out as
controls. ``GET /campaigns/{id}/plan.csv`` and ``campaign show --csv`` now hold only the waves
that may still go out (``X-Plan-Waves`` and a warning on stderr say which); a withdrawn plan's
unsent waves likewise. Oracle: the store's own rows (``iter_rows``), filtered here by wave."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pyarrow as pa
from fastapi.testclient import TestClient
from helpers import run_cli
from service_fixtures import save_model

from recommender.campaigns.store import open_store
from service.app import create_app
from service.settings import Settings

BODY: dict[str, Any] = {"films": [{"film_id": "00000", "budget": 30},
                                  {"film_id": "00002", "budget": 40}],
                        "cap": 2, "holdout": 0.2, "waves": 3, "seed": 3}


def stored_rows(store_path: Path, plan_id: str) -> list[tuple[str, str, int, str]]:
    store = open_store(str(store_path))
    try:
        table = pa.concat_tables(list(store.iter_rows(plan_id)))
    finally:
        store.close()
    return list(zip(table.column("film_id").to_pylist(), table.column("user_id").to_pylist(),
                    table.column("wave").to_pylist(), table.column("group").to_pylist(),
                    strict=True))


def listed(text: str) -> list[tuple[str, str, int, str]]:
    return [(r["film_id"], r["user_id"], int(r["wave"]), r["group"])
            for r in csv.DictReader(io.StringIO(text))]


def test_replaced_and_withdrawn_waves_are_left_out(tmp_path: Path, capsys: Any) -> None:
    model = save_model(tmp_path / "model")
    db = tmp_path / "campaigns.db"
    with TestClient(create_app(Settings(model_path=str(model), store=str(db)))) as c:
        first = c.post("/campaigns/plan", json=BODY).json()["plan_id"]
        whole = c.get(f"/campaigns/{first}/plan.csv")
        everything = stored_rows(db, first)
        assert {w for _, _, w, _ in everything} == {1, 2, 3}
        assert listed(whole.text) == everything  # no next wave yet: every wave
        assert whole.headers["X-Plan-Waves"] == "1-3 of 3"
        nxt = c.post(f"/campaigns/{first}/next", json={"sent_waves": 1}).json()["plan_id"]
        after = c.get(f"/campaigns/{first}/plan.csv")
        assert after.status_code == 200
        assert listed(after.text) == [r for r in everything if r[2] == 1]
        assert after.headers["X-Plan-Waves"] == "1-1 of 3"
        # the next wave's own download is whole (nothing re-plans it)
        assert listed(c.get(f"/campaigns/{nxt}/plan.csv").text) == stored_rows(db, nxt)
        # a campaign withdrawn after 1 wave: its waves 2-3 never go out
        other = c.post("/campaigns/plan", json={**BODY, "seed": 4}).json()["plan_id"]
        assert c.post(f"/campaigns/{other}/withdraw", json={"sent_waves": 1}).status_code == 200
        gone = c.get(f"/campaigns/{other}/plan.csv")
        assert listed(gone.text) == [r for r in stored_rows(db, other) if r[2] == 1]
        assert gone.headers["X-Plan-Waves"] == "1-1 of 3"
    # the CLI's export of the same plan: the same bytes, and a warning naming the next wave
    code, out, err = run_cli(capsys, "campaign", "show", first, "--csv", "--store", db)
    assert code == 0 and out == after.text
    assert "waves 2-3 of plan" in err and nxt in err and "re-plans them" in err
    code, out, err = run_cli(capsys, "campaign", "show", nxt, "--csv", "--store", db)
    assert code == 0 and "warning" not in err


def test_the_export_log_counts_the_rows_sent(tmp_path: Path) -> None:
    """The export log counted every row of the plan (its summary's contacts and controls)
    where the download left waves out: it counts the rows the file holds."""
    import json

    model = save_model(tmp_path / "model")
    db, log = tmp_path / "campaigns.db", tmp_path / "exports.jsonl"
    with TestClient(create_app(Settings(model_path=str(model), store=str(db),
                                        access_log=str(log)))) as c:
        first = c.post("/campaigns/plan", json=BODY).json()["plan_id"]
        whole = c.get(f"/campaigns/{first}/plan.csv")
        c.post(f"/campaigns/{first}/next", json={"sent_waves": 1})
        after = c.get(f"/campaigns/{first}/plan.csv")
    logged = [json.loads(line)["rows"] for line in log.read_text().splitlines()
              if first in line and "plan.csv" in line]
    assert logged == [len(listed(whole.text)), len(listed(after.text))]
    assert logged[1] < logged[0]


def test_a_next_wave_withdrawn_unsent_replaces_nothing(tmp_path: Path, capsys: Any) -> None:
    """A next wave withdrawn before any of its waves went out re-plans nothing (the plan is
    its own campaign again, as ``withdraw.re_plans`` reads it): its parent's download held
    only wave 1 and named the dead plan to send instead, a send of wave 2 was refused, and
    the report's default stopped at wave 1. Oracle: the store's rows and the plan's waves."""
    model = save_model(tmp_path / "model")
    db = tmp_path / "campaigns.db"
    with TestClient(create_app(Settings(model_path=str(model), store=str(db)))) as c:
        first = c.post("/campaigns/plan", json=BODY).json()["plan_id"]
        nxt = c.post(f"/campaigns/{first}/next", json={"sent_waves": 1}).json()["plan_id"]
        assert c.post(f"/campaigns/{nxt}/withdraw", json={"sent_waves": 0}).status_code == 200
        again = c.get(f"/campaigns/{first}/plan.csv")
        assert again.headers["X-Plan-Waves"] == "1-3 of 3"
        assert listed(again.text) == stored_rows(db, first)
        assert c.post(f"/campaigns/{first}/waves/1/sent", json={}).status_code == 200
        sent = c.post(f"/campaigns/{first}/waves/2/sent", json={})
        assert sent.status_code == 200, sent.text
        report = c.get(f"/campaigns/{first}/report").json()
        assert report["waves_included"] == [1, 2]  # the recorded sends, not cut at wave 1
    code, out, err = run_cli(capsys, "campaign", "show", first, "--csv", "--store", db)
    assert code == 0 and out == again.text and "warning" not in err, err
