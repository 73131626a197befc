"""After ``forget``: an events file imported again stores nothing of the erased user (said by
count, never by name, the same on a re-run), ``--json`` counts the plan summaries and
idempotency keys rewritten, and a key that cannot hold an id as text (a keyed caller's
hash, an earlier erasure's tombstone) is not retired by a one-character id. Oracles: the
SQLite file read with ``sqlite3``, the erasure's digest computed here from the store's salt
(SHA-256 of the salt's bytes and the id's UTF-8), a keyed caller's stored key computed here
as ``service.idempotency`` documents it."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path

import pytest
from helpers import run_cli
from test_wave_sends import plan_rows

from recommender.campaigns.erasure import forget
from recommender.campaigns.store import open_store

T0 = 1_700_000_000
ERASED = "u1"
#: u10 and u1x hold u1: a substring is not the person
KEPT = ["u10", "u1x", "u2"]


def _rows(path: Path, sql: str, *params: object) -> list[tuple[object, ...]]:
    con = sqlite3.connect(path)
    try:
        return list(con.execute(sql, params))
    finally:
        con.close()


def _erased_digest(path: Path, user: str) -> str:
    """The digest the store should keep for ``user``, computed here from its salt."""
    salt = _rows(path, "SELECT value FROM campaign_store_info WHERE key = 'erasure_salt'")[0][0]
    return hashlib.sha256(bytes.fromhex(str(salt)) + user.encode("utf-8")).hexdigest()


def _events_file(path: Path) -> Path:
    lines = ["user_id,film_id,timestamp"]
    for n, u in enumerate([ERASED, *KEPT, ERASED]):  # the erased user twice
        lines.append(f"{u},f{n},{T0 + 60 * n}")
    path.write_text("\n".join(lines) + "\n")
    return path


def test_an_import_after_forget_stores_nothing_of_the_erased_user(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db, log = tmp_path / "s.db", _events_file(tmp_path / "events.csv")
    code, out, err = run_cli(capsys, "events", "import", "--store", db, log)
    assert code == 0, err
    code, out, err = run_cli(capsys, "forget", "--store", db, "--user", ERASED)
    assert code == 0, err
    assert _rows(db, "SELECT digest FROM campaign_erasures") == [(_erased_digest(db, ERASED),)]
    seq = _rows(db, "SELECT MAX(seq) FROM campaign_events")[0][0]
    said = []
    for _ in range(2):  # a re-run says the same
        code, out, err = run_cli(capsys, "events", "import", "--store", db, log)
        assert code == 0, err
        assert ERASED + "," not in out + err and repr(ERASED) not in out + err
        said.append(out)
    assert said[0] == said[1]
    assert "stored 0, already stored 3 (by event_id), 2 events for erased users not stored" \
        in said[0]
    # not one cell of the store is the erased id; the others' events are there, once each
    users = [u for (u,) in _rows(db, "SELECT user_id FROM campaign_events")]
    assert ERASED not in users and sorted(u for u in users if not u.startswith("erased-")) \
        == sorted(KEPT)
    # no sequence number used up, and events status says the store's own sequence
    assert _rows(db, "SELECT MAX(seq) FROM campaign_events")[0][0] == seq
    code, out, err = run_cli(capsys, "events", "status", "--store", db, "--json")
    assert code == 0 and json.loads(out)["sequence"] == seq


def test_a_new_events_file_of_an_erased_user_is_counted_not_stored(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "s.db"
    open_store(str(db)).close()
    # no row yet; more erased than a batch of 2 has users: each id is looked up by its digest
    others = [a for n in range(5) for a in ("--user", f"z{n}")]
    code, _, err = run_cli(capsys, "forget", "--store", db, "--user", ERASED, *others)
    assert code == 0, err
    assert (_erased_digest(db, ERASED),) in _rows(db, "SELECT digest FROM campaign_erasures")
    log = _events_file(tmp_path / "events.csv")
    code, out, err = run_cli(capsys, "events", "import", "--store", db, log, "--batch", "2")
    assert code == 0, err
    assert "stored 3, already stored 0 (by event_id), 2 events for erased users not stored" \
        in out
    assert sorted(u for (u,) in _rows(db, "SELECT user_id FROM campaign_events")) == \
        sorted(KEPT)
    assert _rows(db, "SELECT COUNT(*) FROM campaign_events WHERE user_id = ?", ERASED) == [(0,)]


def _plans_with_keys(db: Path) -> tuple[str, str]:
    """A store whose plans are kept under four keys: ``key-u5`` (then erased: a tombstone and
    a number), a keyed caller's hash, ``retry-e`` and ``plan-x1``; plan-a's summary names
    "e" (an opt-out the model did not know). Returns the keyed caller's key and the
    tombstone key."""
    store = open_store(str(db))
    summary = {"created": "2024-01-01T00:00:00Z", "model_version": "m", "films": [],
               "parameters": {"excluded_unknown_user_ids": ["u5", "e"]}}
    keyed = "by " + hashlib.sha256(json.dumps(["etl", "nightly-e"]).encode()).hexdigest()
    assert "e" in keyed[3:]  # a one-character id is in the keyed caller's hex digits
    for plan_id, key, excluded in (("plan-a", "key-u5", ["u5", "e"]), ("plan-b", keyed, []),
                                   ("plan-c", "retry-e", []), ("plan-d", "plan-x1", [])):
        store.save_plan(plan_id, {**summary, "parameters": {} if not excluded else
                                  summary["parameters"]},
                        plan_rows(plan_id).slice(0, 0), excluded=excluded, key=(key, "0" * 64))
    forget(store, ["u5"])  # key-u5 becomes a tombstone and a number: it holds "e" too
    store.close()
    [tomb] = [str(k) for (k,) in _rows(db, "SELECT key FROM campaign_idempotency")
              if str(k).startswith("erased-")]
    return keyed, tomb


def test_a_one_character_id_spares_the_keys_that_hold_no_id_as_text(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    keyed, tomb = _plans_with_keys(db)
    store = open_store(str(db))
    try:
        forget(store, ["e"])
        # the keyed caller's key still gives its plan back: its retry gets the stored plan
        assert store.plan_for_key(keyed) is not None
    finally:
        store.close()
    keys = {str(k) for (k,) in _rows(db, "SELECT key FROM campaign_idempotency")}
    assert {keyed, "plan-x1", tomb} <= keys and "retry-e" not in keys
    assert _rows(db, "SELECT plan_id FROM campaign_idempotency WHERE key = ?", keyed) == \
        [("plan-b",)]


def test_forget_json_counts_the_summaries_and_keys_rewritten(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "s.db"
    _plans_with_keys(db)
    before = _rows(db, "SELECT COUNT(*) FROM campaign_idempotency WHERE key = 'retry-e'")
    code, out, err = run_cli(capsys, "forget", "--store", db, "--user", "e", "--json")
    assert code == 0, err
    [user] = json.loads(out)["users"]
    # plan-a's summary names "e" (read back: a tombstone in its place); one key held it
    [(text,)] = _rows(db, "SELECT summary FROM campaign_plans WHERE plan_id = 'plan-a'")
    named = json.loads(str(text))["parameters"]["excluded_unknown_user_ids"]
    assert "e" not in named and all(str(v).startswith("erased-") for v in named)
    gone = before[0][0] - _rows(db, "SELECT COUNT(*) FROM campaign_idempotency WHERE key = "
                                    "'retry-e'")[0][0]
    assert (user["plan_summaries"], user["idempotency_keys"]) == (1, gone) == (1, 1)
    assert (user["events"], user["plan_rows"], user["opt_outs"]) == (0, 0, 1)
    code, out, err = run_cli(capsys, "forget", "--store", db, "--user", "e")
    assert code == 0 and "0 plan summary(ies) and 0 idempotency key(s)" in out


def test_a_stopped_import_counts_the_erased_events_of_its_last_batch(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Stopped (Ctrl-C) just after its second batch committed: the note counts that batch's
    erased event as such, not as one already stored."""
    import recommender.campaigns.events as ev

    db = tmp_path / "s.db"
    open_store(str(db)).close()
    assert run_cli(capsys, "forget", "--store", db, "--user", ERASED)[0] == 0
    log = tmp_path / "events.csv"
    log.write_text("user_id,film_id,timestamp\n" + "".join(
        f"{u},f{n},{T0 + n}\n" for n, u in enumerate(["u10", "u1x", ERASED, "u2", ERASED])))
    real, calls = ev.record_events, []

    def stopped_after_the_second(store: object, batch: object) -> object:
        calls.append(1)
        done = real(store, batch)  # type: ignore[arg-type]
        if len(calls) == 2:  # committed, not yet returned
            raise KeyboardInterrupt
        return done

    monkeypatch.setattr(ev, "record_events", stopped_after_the_second)
    code, out, err = run_cli(capsys, "events", "import", "--store", db, log, "--batch", 2)
    assert code != 0
    assert "the first 4 of the 5 events in" in err and "(3 stored now, 0 were already " \
        "there, 1 event for erased users not stored" in err, err
    assert ERASED + "," not in err and repr(ERASED) not in err
    assert sorted(u for (u,) in _rows(db, "SELECT user_id FROM campaign_events")) == \
        ["u10", "u1x", "u2"]
