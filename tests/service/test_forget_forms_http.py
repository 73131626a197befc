"""``POST /admin/forget`` with ``joão.silva000`` decomposed (NFD), where the store holds it
composed (NFC), erased nothing of it and answered 200 as if done (and erased the request's
other ids), where ``recommender forget`` refuses it, naming the twin: it now refuses it in the
CLI's words (one function, ``near_users.refuse_form_twins``), erasing nothing. Oracles: the
store's rows counted with ``sqlite3``, the CLI's own message."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from helpers import run_cli
from unicode_fixtures import JOAO, MULLER, nfd, save_unicode_model, store_with_events

from service.app import create_app
from service.settings import Settings

KEY = "k" * 32
AUTH = {"Authorization": f"Bearer {KEY}"}


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_unicode_model(tmp_path_factory.mktemp("unicode-http") / "model")


def _counts(path: Path) -> dict[str, int]:
    con = sqlite3.connect(path)
    try:
        return {
            "joao": con.execute("SELECT COUNT(*) FROM campaign_events WHERE user_id = ?",
                                (JOAO,)).fetchone()[0],
            "muller": con.execute("SELECT COUNT(*) FROM campaign_events WHERE user_id = ?",
                                  (MULLER,)).fetchone()[0],
            "erasures": con.execute("SELECT COUNT(*) FROM campaign_erasures").fetchone()[0],
            "tombstones": con.execute("SELECT COUNT(*) FROM campaign_tombstones"
                                      ).fetchone()[0]}
    finally:
        con.close()


def test_admin_forget_refuses_a_twin_as_the_cli_does(model_dir: Path, tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]
                                                     ) -> None:
    path = store_with_events(tmp_path / "s.db")
    before = _counts(path)
    assert before == {"joao": 2, "muller": 1, "erasures": 0, "tombstones": 0}
    # the CLI's words, on a copy of the store (the oracle of the message)
    copy = tmp_path / "copy.db"
    shutil.copy(path, copy)
    ids = [MULLER, nfd(JOAO)]
    code, out, cli_err = run_cli(capsys, "forget", "--store", copy, *(
        a for i in ids for a in ("--user", i)))
    assert code != 0 and not out
    settings = Settings(model_path=str(model_dir), store=str(path), events_poll=0,
                        warm_cache=False, watch_interval=0, admin_key=KEY)
    with TestClient(create_app(settings)) as client:
        got = client.post("/admin/forget", json={"user_ids": ids}, headers=AUTH)
        assert got.status_code == 422, got.text
        detail = got.json()["detail"]
        assert f"did you mean {JOAO!r} (Unicode form NFC" in detail, detail
        assert f"{nfd(JOAO)!r} (Unicode form NFD" in detail and "nothing was erased" in detail
        assert detail in cli_err  # the same words, from one function
        # at the element refused, as the service's other per-element refusals (it pointed at
        # user_ids as a whole)
        assert [e["loc"] for e in got.json()["errors"]] == [["body", "user_ids", 1]]
        assert _counts(path) == before  # nothing erased: not even the id held as given
        # given as the store holds it: erased
        done = client.post("/admin/forget", json={"user_ids": [JOAO]}, headers=AUTH)
        assert done.status_code == 200, done.text
        assert done.json()["users"][0]["events"] == 2
    assert _counts(path) == {"joao": 0, "muller": 1, "erasures": 1, "tombstones": 1}
