"""A first plan's answer is the body that reads it: ``POST /campaigns/plan``, ``plan --json``
and its ``--summary`` (and their idempotent replays) lacked the ``chain``, ``chain_cut``,
``next_waves`` and ``wave_sends`` that ``GET /campaigns/{plan_id}`` and ``campaign show
--json`` give right after (empty for a new plan, but absent), where a next wave's answer had
them. Oracle: ``GET /campaigns/{plan_id}`` of the same plan, read after the answer."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from helpers import run_cli
from service_fixtures import save_model

from service.app import create_app
from service.settings import Settings

pytestmark = pytest.mark.usefixtures("no_recommender_env")  # its defaults, not the shell's

READ = {"chain", "chain_cut", "next_waves", "wave_sends"}


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_model(tmp_path_factory.mktemp("first-body") / "model")


def _client(model_dir: Path, db: Path) -> TestClient:
    return TestClient(create_app(Settings(model_path=str(model_dir), store=str(db),
                                          events_poll=0, warm_cache=False)))


def test_http_first_plan_answer_is_its_read_body(model_dir: Path, tmp_path: Path) -> None:
    body = {"films": [{"film_id": "00003", "budget": 20}, {"film_id": "00004", "budget": 9}],
            "waves": 2, "seed": 4}
    with _client(model_dir, tmp_path / "s.db") as client:
        made = client.post("/campaigns/plan", json=body, headers={"Idempotency-Key": "f-1"})
        assert made.status_code == 200, made.text
        read = client.get(f"/campaigns/{made.json()['plan_id']}")
        assert read.status_code == 200, read.text
        assert made.json() == read.json()  # nothing missing, nothing more
        summary = made.json()["summary"]
        assert READ <= set(summary)
        assert (summary["chain"], summary["chain_cut"], summary["next_waves"],
                summary["wave_sends"]) == ([], False, [], [])
        again = client.post("/campaigns/plan", json=body, headers={"Idempotency-Key": "f-1"})
        assert again.headers.get("Idempotent-Replayed") == "true"
        assert again.json() == read.json()  # the replay too


def test_cli_first_plan_answer_is_its_read_body(model_dir: Path, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    slate = tmp_path / "slate.csv"
    slate.write_text("film_id,budget,value\n00003,20,2\n00004,15,1\n", encoding="utf-8")
    db = tmp_path / "s.db"
    printed = []
    for n in (1, 2):  # the second: a retry under the same key, answered from the store
        code, out, err = run_cli(capsys, "plan", model_dir, "--slate", slate, "--out",
                                 tmp_path / f"p{n}.csv", "--summary", tmp_path / f"p{n}.json",
                                 "--store", db, "--json", "--idempotency-key", "c-1")
        assert code == 0, err
        printed.append(json.loads(out))
    with _client(model_dir, db) as client:
        read = client.get(f"/campaigns/{printed[0]['plan_id']}").json()
    code, out, err = run_cli(capsys, "campaign", "show", printed[0]["plan_id"], "--store", db,
                             "--json")
    assert code == 0, err
    assert json.loads(out) == read
    for n, answer in enumerate(printed, 1):
        assert answer == read
        assert json.loads((tmp_path / f"p{n}.json").read_text()) == read["summary"]
    assert READ <= set(read["summary"]) and read["summary"]["chain"] == []
