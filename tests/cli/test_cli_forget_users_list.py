"""``forget --users`` reads its list as the other commands read theirs (``id_lists``): ``-``
failed ("cannot read the file of user ids") where README says it reads standard input, and a
list headed ``user_id`` erased the id "user_id" (erasure cannot be undone) where the others
skip such a header and say so; a byte-order mark began the first id. A line is the id as
written where the store holds it so, else stripped of its spaces. ``--json``'s help said "one
object per user" of the one object it prints. Oracles: the store's rows and erasures counted
with ``sqlite3``, ids written by hand, the answer's own keys."""

from __future__ import annotations

import io
import json
import re
import sqlite3
import sys
from pathlib import Path

import pytest
from helpers import run_cli

from recommender.campaigns.events import check_events, record_events
from recommender.campaigns.store import open_store

HELD = ["u1", "u2", " u3", "user"]  # " u3": a padded id the store keeps as written


def _store(path: Path) -> Path:
    store = open_store(str(path))
    try:
        record_events(store, check_events([
            {"event_id": str(n), "user_id": u, "film_id": "A", "timestamp": 1_700_000_000 + n}
            for n, u in enumerate(HELD)]))
    finally:
        store.close()
    return path


def _left(path: Path) -> tuple[list[str], int]:
    """(the user ids still in the store's events, the erasures recorded)."""
    con = sqlite3.connect(path)
    try:
        left = [r[0] for r in con.execute("SELECT user_id FROM campaign_events "
                                          "WHERE user_id NOT LIKE 'erased-%' ORDER BY user_id")]
        return left, con.execute("SELECT COUNT(*) FROM campaign_erasures").fetchone()[0]
    finally:
        con.close()


@pytest.mark.parametrize("from_stdin", [False, True])
def test_forget_users_reads_a_list_as_the_other_commands(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
        from_stdin: bool) -> None:
    path = _store(tmp_path / "s.db")
    # a mark, a header, CRLF, a padded id held so and one held stripped, a repeat, a blank line
    data = "\ufeffuser_id\r\nu1\r\n u3\r\n\r\n u2 \r\nu1\r\n".encode()
    if from_stdin:
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
        given = "-"
    else:
        given = str(tmp_path / "ids.txt")
        Path(given).write_bytes(data)
    code, out, err = run_cli(capsys, "forget", "--store", path, "--users", given, "--json")
    assert code == 0, err
    users = json.loads(out)["users"]
    assert [(u["user_id"], u["events"]) for u in users] == [("u1", 1), (" u3", 1), ("u2", 1)]
    assert _left(path) == (["user"], 3)  # "user_id" not erased (no such erasure recorded)
    where = "<stdin>" if from_stdin else given
    assert f"{where}: line 1 'user_id' read as a header" in err, err
    assert "1 duplicate id dropped" in err and "1 blank line between ids skipped" in err


def test_forget_help_says_what_users_and_json_give(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    path = _store(tmp_path / "s.db")
    code, out, _ = run_cli(capsys, "forget", "--store", path, "--user", "u1", "--json")
    body = json.loads(out)
    code, help_text, _ = run_cli(capsys, "forget", "--help")
    assert code == 0
    words = " ".join(help_text.split())
    # --json: the one object it prints, its keys, then each user's keys
    assert "{" + ", ".join(body) + "}" in words, words
    for key in body["users"][0]:
        assert re.search(rf"\b{key}\b", words), key
    assert "- reads standard input" in words and "user_id is a header, skipped" in words
