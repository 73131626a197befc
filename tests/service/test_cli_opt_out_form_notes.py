"""A plan the CLI made with ``--exclude`` naming users in another Unicode form (``joão`` decomposed,
NFD, for the model's composed NFC) said so on stderr only: its stored summary (``campaign
show``, ``GET /campaigns/{id}``) held no ``opt_out_form`` plan note where a plan made over HTTP
with the same ``exclude_user_ids`` did, and a next wave (``plan --after``) alike. And the
CLI's note named an id read in another form though the list named its user as written too
(HTTP's, one grouping now: ``ids.opt_out_twin_groups``, does not). Oracle: the HTTP plans'
``plan_notes``, made by the service from the ids as sent."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from helpers import run_cli
from unicode_fixtures import JOAO, MULLER, nfd, save_unicode_model, user_ids

from service.app import create_app
from service.settings import Settings

FILMS = [{"film_id": "f003", "budget": 500}, {"film_id": "f004", "budget": 500}]


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_unicode_model(tmp_path_factory.mktemp("cli-form-notes") / "model")


def _client(model_dir: Path, store: Path) -> TestClient:
    return TestClient(create_app(Settings(model_path=str(model_dir), store=str(store),
                                          warm_cache=False)))


def _form_notes(summary: dict[str, Any]) -> list[dict[str, Any]]:
    return [n for n in summary.get("plan_notes") or [] if n["kind"] == "opt_out_form"]


def _cli_plan(capsys: pytest.CaptureFixture[str], model_dir: Path, tmp_path: Path,
              store: Path, *more: object) -> tuple[str, str]:
    """(plan id, stderr) of ``recommender plan ... --store store --json`` with ``more``."""
    code, out, err = run_cli(capsys, "plan", model_dir, "--out", tmp_path / "p.csv",
                             "--store", store, "--json", *more)
    assert code == 0, err
    return str(json.loads(out)["plan_id"]), err


def test_the_cli_stored_plan_holds_the_http_note(model_dir: Path, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    given = [JOAO, nfd(JOAO), nfd(MULLER)]  # JOAO named as held too: only MULLER read so
    opt = tmp_path / "opt.txt"
    opt.write_text("".join(u + "\n" for u in given), encoding="utf-8")
    slate = tmp_path / "slate.csv"
    slate.write_text("film_id,budget\nf003,500\nf004,500\n")
    cli_db, http_db = tmp_path / "cli.db", tmp_path / "http.db"
    plan_id, err = _cli_plan(capsys, model_dir, tmp_path, cli_db, "--slate", slate,
                             "--exclude", opt, "--holdout", "0", "--waves", "1")
    with _client(model_dir, http_db) as client:
        r = client.post("/campaigns/plan", json={"films": FILMS, "holdout": 0, "waves": 1,
                                                 "exclude_user_ids": given})
        assert r.status_code == 200, r.text
    http = r.json()["summary"]
    [note] = _form_notes(http)
    assert f"{nfd(MULLER)!r}" in note["note"] and f"{nfd(JOAO)!r}" not in note["note"]
    with _client(model_dir, cli_db) as client:
        stored = client.get(f"/campaigns/{plan_id}")
        assert stored.status_code == 200, stored.text
    assert _form_notes(stored.json()["summary"]) == [note]  # it held none
    assert stored.json()["summary"]["plan_notes"] == http["plan_notes"]
    # the CLI's stderr says HTTP's words (it named nfd(JOAO) as read too: another grouping)
    assert f"note: {opt}: {note['note']}\n" in err, (note, err)


def test_a_list_naming_each_user_as_held_says_no_other_form(
        model_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    given = [JOAO, nfd(JOAO)]  # the NFD line names no one but JOAO, named as held
    opt = tmp_path / "opt.txt"
    opt.write_text("".join(u + "\n" for u in given), encoding="utf-8")
    slate = tmp_path / "slate.csv"
    slate.write_text("film_id,budget\nf003,500\nf004,500\n")
    plan_id, err = _cli_plan(capsys, model_dir, tmp_path, tmp_path / "cli.db", "--slate",
                             slate, "--exclude", opt, "--holdout", "0", "--waves", "1")
    with _client(model_dir, tmp_path / "http.db") as client:
        r = client.post("/campaigns/plan", json={"films": FILMS, "holdout": 0, "waves": 1,
                                                 "exclude_user_ids": given})
        assert r.status_code == 200, r.text
    assert _form_notes(r.json()["summary"]) == []
    assert "another Unicode form" not in err and "not a user of the model" not in err, err
    with _client(model_dir, tmp_path / "cli.db") as client:
        assert _form_notes(client.get(f"/campaigns/{plan_id}").json()["summary"]) == []


def test_a_cli_next_wave_stores_the_note_as_http_does(
        model_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    slate = tmp_path / "slate.csv"
    slate.write_text("film_id,budget\nf003,500\nf004,500\n")
    db = tmp_path / "store.db"
    first, _ = _cli_plan(capsys, model_dir, tmp_path, db, "--slate", slate, "--holdout", "0",
                         "--waves", "2")
    with (tmp_path / "p.csv").open(encoding="utf-8", newline="") as f:
        sent = {r["user_id"] for r in csv.DictReader(f) if r["wave"] == "1"}
    assert sent
    # two users wave 1 (sent) left at their cap of 1 (at the cap, HTTP names no form read)
    given = [nfd(u) for u in sorted(set(user_ids()) - sent)[:2]]
    assert len(given) == 2
    opt = tmp_path / "opt.txt"
    opt.write_text("".join(u + "\n" for u in given), encoding="utf-8")
    nxt, err = _cli_plan(capsys, model_dir, tmp_path, db, "--after", first, "--exclude", opt)
    with _client(model_dir, db) as client:
        stored = client.get(f"/campaigns/{nxt}")
        assert stored.status_code == 200, stored.text
        r = client.post(f"/campaigns/{first}/next", json={"exclude_user_ids": given})
        assert r.status_code == 200, r.text
    [note] = _form_notes(r.json()["summary"])  # HTTP's next wave of the same plan
    assert f"note: {opt}: {note['note']}\n" in err, (note, err)
    assert _form_notes(stored.json()["summary"]) == [note]  # it held none
