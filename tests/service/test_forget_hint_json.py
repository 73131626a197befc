"""``forget --json`` and ``POST /admin/forget`` said nothing of a mistyped id: ``U00939``,
erased (recorded) beside the store's ``u00939``, answered exit 0 / 200 with no "did you mean"
anywhere, where the table said it in a note. Each user of both answers now carries
``did_you_mean`` (one function, ``near_users.forgotten``), the CLI's note goes to stderr in
both modes, and the table's ``note:`` and ``next:`` lines go to stderr too (stdout: the result
line alone, as every other command's notes). Oracles: the store's ids written by hand (the one
equal to the typo but for case), the CLI's answer beside the service's."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from helpers import run_cli
from unicode_fixtures import save_unicode_model

from recommender.campaigns.events import check_events, record_events
from recommender.campaigns.store import open_store
from service.app import create_app
from service.settings import Settings

KEY = "k" * 32
AUTH = {"Authorization": f"Bearer {KEY}"}
IDS = ["U00939", "nobody"]  # a typo of the store's u00939, and an id like none of it


def _store(path: Path) -> Path:
    store = open_store(str(path))
    try:
        record_events(store, check_events([
            {"event_id": str(n), "user_id": u, "film_id": "f003",
             "timestamp": 1_700_000_000 + n} for n, u in enumerate(["u00939", "u1"])]))
    finally:
        store.close()
    return path


def test_the_json_answers_say_what_a_mistyped_id_may_mean(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _store(tmp_path / "s.db")
    copy, table = tmp_path / "copy.db", tmp_path / "table.db"
    shutil.copy(path, copy)
    shutil.copy(path, table)
    argv = [a for i in IDS for a in ("--user", i)]
    code, out, err = run_cli(capsys, "forget", "--store", copy, *argv, "--json")
    assert code == 0, err
    users = json.loads(out)["users"]
    assert [(u["user_id"], u["did_you_mean"]) for u in users] == [("U00939", ["u00939"]),
                                                                  ("nobody", [])]
    assert "did you mean 'u00939' for 'U00939'?" in err  # the note, on stderr, in --json too
    # the table: the result line alone on stdout, the note and next on stderr
    code, out, err = run_cli(capsys, "forget", "--store", table, *argv)
    assert code == 0, err
    assert out.startswith("erased 2 user(s) in ") and len(out.splitlines()) == 1, out
    said = err.splitlines()
    assert said[0].startswith("note: 2 had no row in this store ('U00939', 'nobody')")
    assert said[0].endswith("did you mean 'u00939' for 'U00939'?")
    assert said[1].startswith("next: remove them from your own log files")
    # the service: the same users, did_you_mean included
    settings = Settings(model_path=str(save_unicode_model(tmp_path / "model")),
                        store=str(path), events_poll=0, warm_cache=False, watch_interval=0,
                        admin_key=KEY)
    with TestClient(create_app(settings)) as client:
        got = client.post("/admin/forget", json={"user_ids": IDS}, headers=AUTH)
    assert got.status_code == 200, got.text
    assert got.json()["users"] == users
