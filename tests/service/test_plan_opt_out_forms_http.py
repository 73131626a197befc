"""``POST /campaigns/plan`` left out a user an ``exclude_user_ids`` item named in another
Unicode form or behind a U+FEFF, unsaid, where ``plan --exclude`` prints a ``note:`` naming
both forms: the plan's ``plan_notes`` now say it (``film_id`` null, ``kind``
``opt_out_form``) in the CLI's words (``ids.opt_out_read_note``). Oracle: the CLI's output."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from helpers import run_cli
from unicode_fixtures import nfd, save_unicode_model

from recommender.cli.plan_text import print_notes
from service.app import create_app
from service.settings import Settings

JOAO, MULLER = "joão.silva000", "müller001"


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_unicode_model(tmp_path_factory.mktemp("unicode-http") / "model")


def test_plan_notes_name_the_opt_outs_read_in_another_form(
        model_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    films = [{"film_id": "f003", "budget": 500}, {"film_id": "f004", "budget": 500}]
    typed = [nfd(JOAO), nfd(MULLER)]
    settings = Settings(model_path=str(model_dir), store=str(tmp_path / "store.db"),
                        warm_cache=False)
    with TestClient(create_app(settings)) as client:
        def plan(given: list[str]) -> dict[str, Any]:
            r = client.post("/campaigns/plan", json={"films": films, "holdout": 0,
                                                     "waves": 1, "exclude_user_ids": given})
            assert r.status_code == 200, r.text
            summary: dict[str, Any] = r.json()["summary"]
            return summary

        held = plan([JOAO, MULLER, "nobody"])  # as the model holds them: no such note
        assert not [n for n in held.get("plan_notes") or [] if n["kind"] == "opt_out_form"]
        summary = plan([*typed, "\ufeffjoão.silva002", "nobody"])
    [note] = [n for n in summary["plan_notes"] if n["kind"] == "opt_out_form"]
    assert note["film_id"] is None
    said = note["note"]
    assert said.startswith("3 opt-out ids read in another Unicode form or without a "
                           "leading U+FEFF"), said
    for given, user in [(nfd(JOAO), JOAO), (nfd(MULLER), MULLER),
                        ("\ufeffjoão.silva002", "joão.silva002")]:
        assert f"{given!r}" in said and f"{user!r} (Unicode form NFC" in said
    assert "(Unicode form NFD" in said and "nobody" not in said
    # the CLI's words for the same ids read from a file (no mark: a line's is a BOM)
    opt = tmp_path / "opt.txt"
    opt.write_text("".join(u + "\n" for u in typed), encoding="utf-8")
    slate = tmp_path / "slate.csv"
    slate.write_text("film_id,budget\nf003,500\nf004,500\n")
    code, _, err = run_cli(capsys, "plan", model_dir, "--slate", slate, "--exclude", opt,
                           "--out", tmp_path / "plan.csv", "--holdout", "0", "--waves", "1")
    assert code == 0, err
    with TestClient(create_app(settings)) as client:
        r = client.post("/campaigns/plan", json={"films": films, "holdout": 0, "waves": 1,
                                                 "exclude_user_ids": typed})
        assert r.status_code == 200, r.text
    [http] = [n["note"] for n in r.json()["summary"]["plan_notes"]
              if n["kind"] == "opt_out_form"]
    assert f"note: {opt}: {http}\n" in err, (http, err)
    # a stored plan's note shown by the CLI (campaign show): a note, of no film
    print_notes(r.json()["summary"])
    assert f"note: {http}\n" in capsys.readouterr().err
