"""A partner's pseudonymised answers naming a person ``forget`` erased since the list left:
counted in erased_events and stored nowhere, the rest stored, as the same answers with raw ids
are (the batch was refused whole: a 404 and exit 2). Oracles: the answers sent with raw ids
(their counts), the plan's raw rows, pseudonyms computed here with ``hmac``, and the store
read back with ``sqlite3`` (no cell holds the erased id)."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from helpers import run_cli as run
from pseudonymised_events import (
    TS,
    oracle,
    planned,
    pseudonymised_fixtures,
    responses,
    stored,
    write_csv,
)

ADMIN = "admin-key-" + "a" * 30

model_dir, key_file, client = pseudonymised_fixtures("erased-pseudonyms", admin_key=ADMIN,
                                                     events_poll=0)


def cells_holding(path: str, text: str) -> list[str]:
    """Every table.column of the SQLite store at ``path`` with a cell that is ``text``."""
    assert Path(path).is_file()
    con = sqlite3.connect(path)
    try:
        assert con.execute("SELECT COUNT(*) FROM campaign_erasures").fetchone()[0] > 0
        found = []
        for (table,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'"):
            for col in [c[1] for c in con.execute(f'PRAGMA table_info("{table}")')]:
                if con.execute(f'SELECT 1 FROM "{table}" WHERE "{col}" = ?', (text,)).fetchone():
                    found.append(f"{table}.{col}")
        return found
    finally:
        con.close()


def test_events_import_counts_an_erased_persons_pseudonym_as_erased(
        capsys: pytest.CaptureFixture[str], model_dir: Path, tmp_path: Path, key_file: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RECOMMENDER_PSEUDONYM_KEY", raising=False)
    store, raw, hidden = planned(capsys, model_dir, tmp_path, key_file)
    sent = responses(hidden)  # rows 0, 2, 4, ...
    gone = raw[0]["user_id"]
    assert sent[0]["user_id"] == oracle(gone)
    # erased without the key: the pseudonym cannot be told, and the refusal says it may be
    code, _, err = run(capsys, "forget", "--store", store, "--user", gone)
    assert code == 0, err
    path = write_csv(tmp_path / "responses.csv", sent)
    code, _, err = run(capsys, "events", "import", "--store", store, path, "--pseudonymized",
                       "--pseudonym-key-file", key_file)
    assert code == 2 and "line 2" in err and "nothing of the file was stored" in err, err
    assert "erased (`recommender forget`) without this pseudonym key" in err
    assert stored(store) == []
    # forget again with the key: its pseudonym recorded, the rest of the file stored
    code, out, err = run(capsys, "forget", "--store", store, "--user", gone,
                         "--pseudonym-key-file", key_file)
    # forget's notes go to stderr
    assert code == 0 and "pseudonyms under the pseudonym key recorded" in err, out
    mine = sum(raw[int(e["event_id"][2:])]["user_id"] == gone for e in sent)
    live = len(sent) - mine
    code, out, err = run(capsys, "events", "import", "--store", store, path, "--pseudonymized",
                         "--pseudonym-key-file", key_file)
    assert code == 0, err
    assert f"read {len(sent)} events" in out and f"stored {live}, already stored 0" in out
    assert f"{mine} event{'s' * (mine > 1)} for erased users not stored" in out, out
    expected = sorted((raw[i]["user_id"], raw[i]["film_id"], TS + i)
                      for i in range(len(raw)) if i % 2 == 0 and raw[i]["user_id"] != gone)
    assert stored(store) == expected
    assert cells_holding(store, gone) == []
    # the same answers with raw ids: the same counts (the raw path, the oracle)
    plain = [{**e, "user_id": raw[int(e["event_id"][2:])]["user_id"],
              "event_id": "raw-" + e["event_id"]} for e in sent]
    code, out_raw, err = run(capsys, "events", "import", "--store", store,
                             write_csv(tmp_path / "plain.csv", plain))
    assert code == 0, err
    assert f"{mine} event{'s' * (mine > 1)} for erased users not stored" in out_raw


def test_post_events_counts_an_erased_persons_pseudonym_as_erased(
        client: TestClient, tmp_path: Path) -> None:
    admin = {"Authorization": f"Bearer {ADMIN}"}
    film = client.get("/films?limit=1").json()["films"][0]["film_id"]
    gone, live = [u["user_id"] for u in client.get(f"/films/{film}/audience?k=2").json()[
        "users"]]
    got = client.post("/admin/forget", json={"user_ids": [gone]}, headers=admin)
    assert got.status_code == 200, got.text
    # what is recorded: the id's salted digest and its pseudonym's, under a 0xff domain byte
    # (in no UTF-8 id), the id itself nowhere
    con = sqlite3.connect(tmp_path / "served.db")
    try:
        salt = bytes.fromhex(con.execute("SELECT value FROM campaign_store_info WHERE key = "
                                         "'erasure_salt'").fetchone()[0])
        digests = {d for (d,) in con.execute("SELECT digest FROM campaign_erasures")}
    finally:
        con.close()
    assert digests == {hashlib.sha256(salt + gone.encode()).hexdigest(), hashlib.sha256(
        salt + b"\xffpseudonym\x00" + oracle(gone).encode()).hexdigest()}

    def batch(prefix: str, users: list[str]) -> dict[str, Any]:
        return {"events": [{"event_id": f"{prefix}{n}", "user_id": u, "film_id": film,
                            "timestamp": TS + n} for n, u in enumerate(users)]}

    masked = client.post("/events?pseudonymized=true",
                         json=batch("m", [oracle(gone), oracle(live)]))
    assert masked.status_code == 200, masked.text
    plain = client.post("/events", json=batch("r", [gone, live]))
    assert plain.status_code == 200, plain.text
    for body in (masked.json(), plain.json()):
        assert (body["stored"], body["duplicates"], body["erased_events"]) == (1, 0, 1)
    assert oracle(gone) not in masked.text and gone not in masked.text
    served = client.app.state.campaign_store  # type: ignore[attr-defined]
    assert [u for u, _, _ in stored(served.url)] == [live, live]
    assert cells_holding(str(tmp_path / "served.db"), gone) == []
    # the same batch again: the same answer, nothing twice
    again = client.post("/events?pseudonymized=true",
                        json=batch("m", [oracle(gone), oracle(live)])).json()
    assert (again["stored"], again["duplicates"], again["erased_events"]) == (0, 1, 1)
