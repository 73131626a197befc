"""An opt-out of ``joão.silva000`` (composed, NFC) where the model holds it AND a different
user ``joão.silva000`` decomposed (NFD) left out both: a twin was read even for an id held as
written (``IdMap.opt_out_twins``), the CLI stored both among the plan's opt-outs and
``POST /campaigns/plan`` said ``excluded_users`` 1 while dropping 2. A twin is read only for an
id that names no user as written. Oracles: the plan's rows, the store's opt-outs (sqlite3)."""

from __future__ import annotations

import csv
import sqlite3
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from helpers import run_cli
from unicode_fixtures import TWIN, save_unicode_model

from recommender.io.id_lists import read_opt_outs
from recommender.io.ids import IdMap, opt_out_index, opt_out_readings
from recommender.model import artifact
from service.app import create_app
from service.settings import Settings

JOAO = "joão.silva000"
FILMS = [{"film_id": "f003", "budget": 500}, {"film_id": "f004", "budget": 500},
         {"film_id": "f005", "budget": 500}]


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_unicode_model(tmp_path_factory.mktemp("twin-users") / "model", twin=True)


def _stored(db: Path) -> list[str]:
    con = sqlite3.connect(db)
    try:
        return [r[0] for r in con.execute("SELECT user_id FROM campaign_plan_exclusions")]
    finally:
        con.close()


def test_the_id_map_reads_no_twin_of_an_id_held_as_written(model_dir: Path) -> None:
    users = artifact.load(model_dir).users
    assert TWIN != JOAO and JOAO in users and TWIN in users
    named, out = opt_out_index(users, [JOAO])
    assert users.to_ids(out).tolist() == [JOAO]
    assert users.to_ids(named).tolist() == [JOAO]
    assert opt_out_readings(users, [JOAO]) == [] and opt_out_readings(users, [TWIN]) == []
    # an id held in neither form as written still names its twin (fails safe)
    small = IdMap([JOAO, "x"])
    assert small.to_ids(opt_out_index(small, [TWIN])[1]).tolist() == [JOAO]


def test_cli_and_http_opt_out_the_nfc_user_only(model_dir: Path, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    slate = tmp_path / "slate.csv"
    slate.write_text("film_id,budget\n" + "".join(f"{f['film_id']},500\n" for f in FILMS))
    db = tmp_path / "store.db"
    none, opt = tmp_path / "none.txt", tmp_path / "opt.txt"
    none.write_text("nobody\n")
    opt.write_text(JOAO + "\n", encoding="utf-8")
    assert read_opt_outs(opt, artifact.load(model_dir).users) == [JOAO]

    def plan(exclude: Path, out: Path, store: Path) -> set[str]:
        code, _, err = run_cli(capsys, "plan", model_dir, "--slate", slate, "--exclude",
                               exclude, "--out", out, "--holdout", "0", "--waves", "1",
                               "--store", store)
        assert code == 0, err
        with out.open(encoding="utf-8", newline="") as f:
            return {row["user_id"] for row in csv.DictReader(f)}

    every = plan(none, tmp_path / "every.csv", tmp_path / "oracle.db")
    assert {JOAO, TWIN} <= every  # the oracle: both are planned without the opt-out
    planned = plan(opt, tmp_path / "plan.csv", db)
    assert JOAO not in planned and TWIN in planned
    assert planned == every - {JOAO}
    assert _stored(db) == [JOAO]
    settings = Settings(model_path=str(model_dir), store=str(tmp_path / "http.db"),
                        warm_cache=False)
    with TestClient(create_app(settings)) as client:
        r = client.post("/campaigns/plan", json={"films": FILMS, "holdout": 0, "waves": 1,
                                                 "exclude_user_ids": [JOAO]})
        assert r.status_code == 200, r.text
        rows = client.get(f"/campaigns/{r.json()['plan_id']}/plan.csv")
        assert rows.status_code == 200, rows.text
    params = r.json()["summary"]["parameters"]
    assert params["excluded_users"] == 1 and params["excluded_unknown_users"] == 0
    http = {row["user_id"] for row in csv.DictReader(rows.text.splitlines())}
    assert http == planned
    assert _stored(tmp_path / "http.db") == [JOAO]
    assert not [n for n in r.json()["summary"].get("plan_notes") or []
                if n["kind"] == "opt_out_form"]
