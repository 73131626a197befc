"""``forget`` (CLI and ``POST /admin/forget``) refused a request naming both spellings of an
id (``joão.silva000`` composed, NFC, with rows; decomposed, NFD, with none), though the held
one was in it, and could never erase an NFD id that is a separate person beside the NFC one.
Now an id whose twin is among the ids is erased as given, and ``--exact`` (``"exact": true``)
erases the ids byte for byte without the twin check; its 422 points at each id refused.
Oracle: rows counted with ``sqlite3``."""

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
    return save_unicode_model(tmp_path_factory.mktemp("forget-exact") / "model")


def _counts(path: Path) -> tuple[int, int, int]:
    """(JOAO's events, MULLER's events, erasures recorded)."""
    con = sqlite3.connect(path)
    try:
        q = "SELECT COUNT(*) FROM campaign_events WHERE user_id = ?"
        return (con.execute(q, (JOAO,)).fetchone()[0], con.execute(q, (MULLER,)).fetchone()[0],
                con.execute("SELECT COUNT(*) FROM campaign_erasures").fetchone()[0])
    finally:
        con.close()


def _cli(capsys: pytest.CaptureFixture[str], path: Path, ids: list[str], *more: str
         ) -> tuple[int, str, str]:
    return run_cli(capsys, "forget", "--store", path, *more,
                   *(a for i in ids for a in ("--user", i)))


def test_cli_both_spellings_and_exact(tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    both = store_with_events(tmp_path / "both.db")
    assert _counts(both) == (2, 1, 0)
    code, out, err = _cli(capsys, both, [JOAO, nfd(JOAO)])
    assert code == 0 and "erased 2 user(s)" in out and "2 event(s)" in out, out + err
    assert _counts(both) == (0, 1, 2)
    lone = store_with_events(tmp_path / "lone.db")
    code, out, err = _cli(capsys, lone, [nfd(JOAO)])
    assert code != 0 and not out and "nothing was erased" in err
    assert '--exact ("exact": true) to erase it as given' in err, err
    assert _counts(lone) == (2, 1, 0)
    code, out, err = _cli(capsys, lone, [nfd(JOAO)], "--exact")
    assert code == 0 and "erased 1 user(s)" in out and "0 event(s)" in out, out + err
    assert _counts(lone) == (2, 1, 1)  # the NFC user's rows kept: another person


def test_http_both_spellings_and_exact(model_dir: Path, tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    path = store_with_events(tmp_path / "s.db")
    copy = tmp_path / "copy.db"
    shutil.copy(path, copy)
    _, _, cli_err = _cli(capsys, copy, [nfd(JOAO)])
    settings = Settings(model_path=str(model_dir), store=str(path), events_poll=0,
                        warm_cache=False, watch_interval=0, admin_key=KEY)
    with TestClient(create_app(settings)) as client:
        def post(body: dict[str, object]) -> tuple[int, dict[str, object]]:
            r = client.post("/admin/forget", json=body, headers=AUTH)
            return r.status_code, r.json()

        code, got = post({"user_ids": [nfd(JOAO)]})
        assert code == 422 and got["detail"] in cli_err, got
        assert '"exact": true' in str(got["detail"])
        assert _counts(path) == (2, 1, 0)
        # each id refused is pointed at, not user_ids as a whole ("nobody": no twin, no row)
        r = client.post("/admin/forget", json={"user_ids": [nfd(MULLER), "nobody", nfd(JOAO)]},
                        headers=AUTH)
        assert r.status_code == 422, r.text
        assert [e["loc"] for e in r.json()["errors"]] == [
            ["body", "user_ids", 0], ["body", "user_ids", 2]], r.json()
        assert _counts(path) == (2, 1, 0)
        code, got = post({"user_ids": [nfd(JOAO)], "exact": True})
        assert code == 200, got
        assert [(u["user_id"], u["events"]) for u in got["users"]] == [(nfd(JOAO), 0)]
        assert _counts(path) == (2, 1, 1)
        code, got = post({"user_ids": [JOAO, nfd(JOAO), MULLER]})
        assert code == 200, got
        assert [(u["user_id"], u["events"]) for u in got["users"]] == [
            (JOAO, 2), (nfd(JOAO), 0), (MULLER, 1)]
        assert _counts(path) == (0, 0, 3)
        code, got = post({"user_ids": [JOAO], "exact": "yes"})
        assert code == 422, got
