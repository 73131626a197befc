"""``forget`` in the campaign store: a report's figures stay, no row keeps the id, twice is
harmless, an id with no row is said and recorded, a blank id writes nothing, an old store gets
the tables. Oracles: the report read before the erasure, and every text cell of the SQLite
file read back with ``sqlite3``."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
import sqlalchemy as sa
from helpers import run_cli, synthetic_model
from test_dispersion import _store_plan
from test_wave_sends import START, plan_rows, respond, stored

import recommender.campaigns.store as store_mod
from recommender.campaigns.erasure import forget, read_erasures
from recommender.campaigns.report import campaign_report
from recommender.campaigns.store import open_store

AS_OF = START + 90 * 86_400
GONE = ["A2-0", "A1-0", "B2-10"]  # a wave-2 buyer, a wave-1 buyer, a control who bought


def _strings(value: object) -> list[str]:
    """Every string of parsed JSON ``value``: its string values and its objects' keys."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in [k, *_strings(v)]]
    return []


def _holds(cell: str, user: str) -> bool:
    """The cell is the id, ends with it, or is JSON with the id as a string in it."""
    if cell.endswith(user):
        return True
    try:
        parsed = json.loads(cell)
    except ValueError:
        return False
    return user in _strings(parsed)


def _cells(path: Path) -> list[str]:
    """Every text value of every table of the SQLite file ``path``."""
    con = sqlite3.connect(path)
    try:
        out: list[str] = []
        for (name,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'"):
            for row in con.execute(f'SELECT * FROM "{name}"'):
                out += [v for v in row if isinstance(v, str)]
        return out
    finally:
        con.close()


def _count(path: Path, sql: str) -> int:
    con = sqlite3.connect(path)
    try:
        return int(con.execute(sql).fetchone()[0])
    finally:
        con.close()


def test_forget_keeps_the_report_and_leaves_no_id(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    store = open_store(str(path))
    respond(store, stored(store))
    before = campaign_report(store, "plan-w", as_of=AS_OF)
    assert before["overall"]["target_conversions"] > 0
    assert all(any(_holds(c, u) for c in _cells(path)) for u in GONE)  # there before
    done = forget(store, GONE)
    assert [(f.user_id, f.already) for f in done] == [(u, False) for u in GONE]
    # each: 1 event and 1 plan row (respond: B2-10, a wave-2 control, bought on day 5)
    assert [(f.events, f.plan_rows) for f in done] == [(1, 1), (1, 1), (1, 1)]
    after = campaign_report(store, "plan-w", as_of=AS_OF)
    assert after == before
    cells = _cells(path)
    # no cell is the id, ends with it (the event ids were e-FILM-USER) or holds it in JSON
    assert not any(_holds(c, u) for c in cells for u in GONE)
    tomb = [c for c in cells if c.startswith("erased-")]
    assert tomb  # their rows are there, under a tombstone
    erased = read_erasures(store)
    assert erased(GONE).all() and not erased(["A2-1", "B1-0"]).any()
    store.close()
    assert _count(path, "SELECT COUNT(*) FROM campaign_erasures") == len(GONE)


def test_forget_rewrites_summaries_and_idempotency_keys(tmp_path: Path) -> None:
    """An opt-out the model did not know stays named in the plan's summary
    (``excluded_unknown_user_ids``, served by ``GET /campaigns/{id}``), and an idempotency key
    may spell the user: both lose the id, the other values stay as they were."""
    path = tmp_path / "s.db"
    store = open_store(str(path))
    respond(store, stored(store))
    unknown = ["u77777", "A2-0", "keep-é", "Ω-u77777"]
    summary = {"created": "2024-01-01T00:00:00Z", "model_version": "m", "films": [],
               "parameters": {"excluded_unknown_user_ids": unknown, "note": "u77777"},
               "u77777": 1}
    store.save_plan("plan-x", summary, plan_rows("plan-x").slice(0, 0), excluded=unknown,
                    key=("key-u77777", "0" * 64))
    store.save_plan("plan-y", {**summary, "parameters": {}}, plan_rows("plan-y").slice(0, 0),
                    key=("retry-A2-0-again", "1" * 64))
    gone = ["u77777", "A2-0", "Ω-u77777"]
    assert all(any(_holds(c, u) for c in _cells(path)) for u in gone)  # there before
    done = forget(store, gone)
    cells = _cells(path)
    assert not any(_holds(c, u) or u in c for c in cells for u in gone)
    assert [(f.user_id, f.other) for f in done] == [("u77777", 3), ("A2-0", 2), ("Ω-u77777", 1)]
    with store.engine.connect() as conn:
        kept = json.loads(conn.execute(sa.text(
            "SELECT summary FROM campaign_plans WHERE plan_id = 'plan-x'")).scalar_one())
    left = kept["parameters"]["excluded_unknown_user_ids"]
    assert left[2] == "keep-é" and all(v.startswith("erased-") for v in left[:2] + left[3:])
    assert left[0] == kept["parameters"]["note"] != left[1]  # one tombstone per person
    assert kept["films"] == [] and list(kept)[-1].startswith("erased-")
    # the keys are tombstones now: a retry with the old key plans anew
    assert store.plan_for_key("key-u77777") is None
    assert store.plan_for_key("retry-A2-0-again") is None
    store.close()
    assert _count(path, "SELECT COUNT(*) FROM campaign_idempotency WHERE key LIKE 'erased-%'"
                  ) == 2


def test_a_report_after_forget_counts_the_erased_as_unplaced(tmp_path: Path) -> None:
    """The dispersion check places rows by the model's user attributes, which a tombstone has
    not: its rows become unplaced, and its note says how many were erased (README)."""
    model = synthetic_model(n_users=600, n_films=4, seed=5)
    store, truth = _store_plan(tmp_path, model, {}, seed=3)
    before = campaign_report(store, "plan-d", 14, model=model)
    assert before["dispersion"]["unplaced_rows"] == 0 and "erased" not in \
        before["dispersion"]["note"]
    gone = [str(u) for u in model.users.ids[[0, 5, 9]]]
    forget(store, gone)
    after = campaign_report(store, "plan-d", 14, model=model)
    assert after["overall"] == before["overall"]  # the counts and uplift stay
    d = after["dispersion"]
    assert d["unplaced_rows"] == 3
    assert d["controls"]["rows"] + d["targets"]["rows"] == len(truth["conv"]) - 3
    assert "; 3 of the 3 unplaced rows are of users erased since (recommender forget" in \
        d["note"]
    store.close()


def test_forgetting_twice_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    store = open_store(str(path))
    respond(store, stored(store))
    forget(store, ["A2-0"])
    cells = sorted(_cells(path))
    report = campaign_report(store, "plan-w", as_of=AS_OF)
    again = forget(store, ["A2-0"])
    assert [(f.already, f.rows) for f in again] == [(True, 0)]
    assert sorted(_cells(path)) == cells
    assert campaign_report(store, "plan-w", as_of=AS_OF) == report
    store.close()


def test_cli_says_an_unknown_id_and_refuses_a_blank_one(tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]
                                                        ) -> None:
    path = tmp_path / "s.db"
    store = open_store(str(path))
    respond(store, stored(store))
    store.close()
    cells = sorted(_cells(path))
    ids = tmp_path / "ids.txt"
    ids.write_text("A2-0\n   \n")
    code, out, err = run_cli(capsys, "forget", "--store", path, "--users", ids)
    assert code == 2 and "user id 2 is empty or blank; nothing was erased" in err
    assert sorted(_cells(path)) == cells  # nothing written
    code, out, err = run_cli(capsys, "forget", "--store", path, "--user", "nobody")
    assert code == 0, err
    assert "1 had no row in this store ('nobody'): recorded as erased" in out
    assert _count(path, "SELECT COUNT(*) FROM campaign_erasures") == 1
    assert _count(path, "SELECT COUNT(*) FROM campaign_tombstones") == 0
    code, out, _ = run_cli(capsys, "forget", "--store", path, "--user", "A1-0", "--json")
    assert code == 0 and json.loads(out)["users"] == [
        {"user_id": "A1-0", "events": 1, "plan_rows": 1, "opt_outs": 0, "plan_summaries": 0,
         "idempotency_keys": 0, "already": False}]


def test_a_store_of_schema_11_gets_the_tables(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    target = str(tmp_path / "old.db")
    every = store_mod.MIGRATIONS
    assert every[11][0] == 12 and "erased" in every[11][1]  # the step this test is about
    monkeypatch.setattr(store_mod, "MIGRATIONS", every[:11])
    st = open_store(target)
    respond(st, stored(st))
    st.close()
    monkeypatch.setattr(store_mod, "MIGRATIONS", every)
    st = open_store(target)
    try:
        assert st.version() == every[-1][0] >= 12
        assert not read_erasures(st)  # none yet, and readable
        forget(st, ["A2-0"])
        assert read_erasures(st)(["A2-0"]).all()
    finally:
        st.close()


def test_forget_on_each_kind_of_store(store_target: str) -> None:
    """SQLite and PostgreSQL alike: the report as it was, no row with the ids left."""
    store = open_store(store_target)
    try:
        respond(store, stored(store))
        before = campaign_report(store, "plan-w", as_of=AS_OF)
        forget(store, GONE)
        assert campaign_report(store, "plan-w", as_of=AS_OF) == before
        with store.engine.connect() as conn:
            for table in ("campaign_events", "campaign_plan_rows", "campaign_plan_exclusions"):
                left = conn.exec_driver_sql(f"SELECT COUNT(*) FROM {table} WHERE user_id IN "
                                            "('A2-0', 'A1-0', 'B2-10')").scalar_one()
                assert left == 0, table
            assert conn.execute(sa.text("SELECT COUNT(*) FROM campaign_events WHERE event_id "
                                        "LIKE :p"), {"p": "erased-%"}).scalar_one() == 3
    finally:
        store.close()
