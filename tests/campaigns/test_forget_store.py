"""``forget`` in the campaign store: a report's figures stay, no row keeps the id, twice is
harmless, an id with no row is said and recorded, a blank id writes nothing, an old store gets
the tables. Oracles: the report read before the erasure, and every text cell of the SQLite
file read back with ``sqlite3``."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

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
    code, out, err = run_cli(capsys, "forget", "--store", path, "--user", "A2-0", "--user", "   ")
    assert code == 2 and "user id 2 is empty or blank; nothing was erased" in err
    assert sorted(_cells(path)) == cells  # nothing written
    code, out, err = run_cli(capsys, "forget", "--store", path, "--user", "nobody")
    assert code == 0, err
    assert "1 had no row in this store ('nobody'): recorded as erased" in err
    assert _count(path, "SELECT COUNT(*) FROM campaign_erasures") == 1
    assert _count(path, "SELECT COUNT(*) FROM campaign_tombstones") == 0
    code, out, _ = run_cli(capsys, "forget", "--store", path, "--user", "A1-0", "--json")
    assert code == 0 and json.loads(out)["users"] == [
        {"user_id": "A1-0", "events": 1, "plan_rows": 1, "opt_outs": 0, "plan_summaries": 0,
         "idempotency_keys": 0, "already": False, "did_you_mean": []}]


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
        forms = [" A2-0", "\ufeffA1-0", '"B2-10"']  # read as the users: erased with them
        summary = {"created": "2024-01-01T00:00:00Z", "model_version": "m", "films": [],
                   "parameters": {"excluded_unknown_user_ids": forms}}
        store.save_plan("plan-f", summary, plan_rows("plan-f").slice(0, 0), excluded=forms)
        before = campaign_report(store, "plan-w", as_of=AS_OF)
        done = forget(store, GONE)
        assert [(f.opt_outs, f.summaries) for f in done] == [(1, 1)] * 3
        assert campaign_report(store, "plan-w", as_of=AS_OF) == before
        # an opt-out naming an erased id, in a form or not, is counted, not stored
        again = store.save_plan("plan-g", summary, plan_rows("plan-g").slice(0, 0),
                                excluded=[*forms, "A2-0", "A2-1"])
        assert again["parameters"] == {"excluded_unknown_user_ids": [], "excluded_erased": 4}
        with store.engine.connect() as conn:
            for table in ("campaign_events", "campaign_plan_rows", "campaign_plan_exclusions"):
                left = conn.execute(sa.text(f"SELECT COUNT(*) FROM {table} WHERE user_id IN "
                                            "('A2-0', 'A1-0', 'B2-10', :a, :b, :c)"),
                                    dict(zip("abc", forms, strict=True))).scalar_one()
                assert left == 0, table
            assert conn.execute(sa.text("SELECT user_id FROM campaign_plan_exclusions WHERE "
                                        "plan_id = 'plan-g'")).scalars().all() == ["A2-1"]
            assert "A2-0" not in str(conn.execute(sa.text(
                "SELECT summary FROM campaign_plans WHERE plan_id = 'plan-f'")).scalar_one())
            assert conn.execute(sa.text("SELECT COUNT(*) FROM campaign_events WHERE event_id "
                                        "LIKE :p"), {"p": "erased-%"}).scalar_one() == 3
    finally:
        store.close()


# --- forms of an id, an erased id given again, the file's bytes (over HTTP, as a client) ---

KEY = "k" * 32
AUTH = {"Authorization": f"Bearer {KEY}"}
#: opt-outs the opt-out reader reads as u00005..u00008: a byte-order mark, spaces, a leading
#: quote as our spreadsheet-safe cells hold one, our CSV writers' double quotes
FORMS = {"\ufeffu00005": "u00005", " u00006": "u00006", "'u00007": "u00007",
         '"u00008"': "u00008"}


@pytest.fixture(scope="module")
def demo_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from recommender.cli import main
    from recommender.io import demo

    tmp = tmp_path_factory.mktemp("forget-forms")
    folder = demo.generate(tmp / "data", seed=5, n_users=200, n_films=40, n_interactions=1600)
    assert main(["train", "--data", str(folder), "--out", str(tmp / "m"), "--no-tune",
                 "--factors", "8", "--iterations", "3"]) == 0
    return tmp / "m"


def _client(model: Path, store: Path) -> Any:
    from fastapi.testclient import TestClient

    from service.app import create_app
    from service.settings import Settings

    return TestClient(create_app(Settings(model_path=str(model), store=str(store),
                                          events_poll=0, warm_cache=False, watch_interval=0,
                                          admin_key=KEY)))


def _plan(client: Any, exclude: list[str]) -> dict[str, Any]:
    film = client.get("/films?limit=1").json()["films"][0]["film_id"]
    got = client.post("/campaigns/plan", json={"films": [{"film_id": film, "budget": 20}],
                                               "exclude_user_ids": exclude})
    assert got.status_code == 200, got.text
    return dict(got.json())


def test_forget_erases_the_forms_an_opt_out_is_read_as(demo_model: Path,
                                                       tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    gone = sorted(set(FORMS.values()))
    with _client(demo_model, path) as client:
        first = _plan(client, [f for f in FORMS if f != "\ufeffu00005"])["plan_id"]
        marked = _plan(client, ["\ufeffu00005"])
        assert any("'\\ufeffu00005' as 'u00005'" in n["note"]
                   for n in marked["summary"]["plan_notes"])  # the note this test is about
        cells = _cells(path)
        assert all(any(_holds(c, f) for c in cells) for f in FORMS)  # there before
        got = client.post("/admin/forget", json={"user_ids": gone}, headers=AUTH)
        assert got.status_code == 200, got.text
        users = {u["user_id"]: u for u in got.json()["users"]}
        # each form's opt-out row and the summary naming it (a list, or a note) counted
        assert all(users[u]["opt_outs"] == 1 and users[u]["plan_summaries"] == 1
                   for u in gone), users
        shown = [client.get(f"/campaigns/{p}", headers=AUTH).text
                 for p in (first, marked["plan_id"])]
    cells = _cells(path)
    for form, user in FORMS.items():
        assert not any(_holds(c, user) or _holds(c, form) for c in cells), form
        assert not any(user in text for text in shown), user


def test_exact_erases_the_wrapped_forms_not_the_other_unicode_form(tmp_path: Path) -> None:
    """``exact``: the forms that are the id once unwrapped (a mark, spaces) are its, the id
    in its other Unicode form is not (a separate person so spelt: that flag's premise)."""
    nfc, nfd = "jo\u00e3o", "joa\u0303o"
    path = tmp_path / "s.db"
    store = open_store(str(path))
    summary = {"created": "2024-01-01T00:00:00Z", "model_version": "m", "films": [],
               "parameters": {"excluded_unknown_user_ids": [" " + nfc, nfd]}}
    store.save_plan("plan-j", summary, plan_rows("plan-j").slice(0, 0),
                    excluded=["\ufeff" + nfc, " " + nfc, nfd])
    done = forget(store, [nfc], exact=True)
    assert [(f.opt_outs, f.summaries) for f in done] == [(2, 1)]
    with store.engine.connect() as conn:
        left = {str(u) for u in conn.execute(sa.text(
            "SELECT user_id FROM campaign_plan_exclusions")).scalars()}
        kept = json.loads(conn.execute(sa.text("SELECT summary FROM campaign_plans")
                                       ).scalar_one())["parameters"]["excluded_unknown_user_ids"]
    # one tombstone for the two forms of the plan (one row per plan and id), the twin kept
    assert nfd in left and len(left) == 2 and kept[1] == nfd and kept[0].startswith("erased-")
    done = forget(store, [nfc])  # without exact: the other Unicode form is read as it too
    assert [(f.opt_outs, f.summaries, f.already) for f in done] == [(1, 1, True)]
    store.close()
    assert not any(nfd in c or nfc in c for c in _cells(path))


def test_an_erased_id_given_as_an_opt_out_is_stored_without_it(demo_model: Path,
                                                                tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]
                                                                ) -> None:
    path = tmp_path / "store.db"
    with _client(demo_model, path) as client:
        got = client.post("/admin/forget", json={"user_ids": ["u00199"]}, headers=AUTH)
        assert got.status_code == 200, got.text
        plan = _plan(client, ["u00199", " u00199", "u00198"])
        params = plan["summary"]["parameters"]
        assert params["excluded_erased"] == 2 and "u00199" not in json.dumps(plan)
    lists = tmp_path / "opt-outs.txt"
    lists.write_text("u00199\n")
    film = json.loads(json.dumps(plan))["summary"]["films"][0]["film_id"]
    slate = tmp_path / "slate.csv"
    slate.write_text(f"film_id,budget\n{film},10\n")
    code, _, err = run_cli(capsys, "plan", demo_model, "--store", path, "--slate",
                           slate, "--exclude", lists, "--out", tmp_path / "p.csv")
    assert code == 0, err
    assert not any(_holds(c, "u00199") for c in _cells(path))
    assert _count(path, "SELECT COUNT(*) FROM campaign_plan_exclusions WHERE user_id = "
                  "'u00198'") == 1  # a user not erased stays an opt-out


def test_the_erased_bytes_leave_the_sqlite_files(demo_model: Path, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """The service's pooled connections stay open: the erasure checkpoints the write-ahead
    log, and ``secure_delete`` zeroes the old values (their bytes were in a free slot). The
    SQLite of some builds (Debian's) has it on by default, others (SQLite's own) off: each
    connection here starts with it off, as there."""
    real = sqlite3.dbapi2.connect

    def connect(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        con = real(*args, **kwargs)
        con.execute("PRAGMA secure_delete=OFF").close()
        return con

    monkeypatch.setattr(sqlite3.dbapi2, "connect", connect)
    path = tmp_path / "store.db"
    with _client(demo_model, path) as client:
        film = client.get("/films?limit=1").json()["films"][0]["film_id"]
        users = [f"u{n:05d}" for n in range(199, 149, -1)]  # u00199 first, in a page of others
        sent = client.post("/events", json={"events": [
            {"event_id": f"evt-{u}-1", "user_id": u, "film_id": film,
             "timestamp": 1_700_000_000} for u in users]}, headers=AUTH)
        assert sent.status_code == 200, sent.text
        files = [path, Path(f"{path}-wal")]
        con = sqlite3.connect(path)  # the event into the store's file (as SQLite does, later)
        assert con.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0] == 0
        con.close()
        assert b"evt-u00199-1" in path.read_bytes()
        got = client.post("/admin/forget", json={"user_ids": ["u00199"]}, headers=AUTH)
        assert got.status_code == 200, got.text
        assert got.json()["users"][0]["events"] == 1
        assert "checkpoint" not in got.json()["note"]  # it completed
        assert b"evt-u00198-1" in path.read_bytes()  # the others' stay
        for f in files:
            raw = f.read_bytes() if f.exists() else b""
            assert b"evt-u00199-1" not in raw and b"u00199" not in raw, f


def test_a_reader_keeping_the_log_is_said_not_a_failure(tmp_path: Path) -> None:
    """A reader in an older snapshot keeps the write-ahead log: the erasure is committed,
    ``unscrubbed`` says the log could not be checkpointed; once the reader is done, the same
    erasure again checkpoints it."""
    path = tmp_path / "s.db"
    store = open_store(str(path))
    respond(store, stored(store))
    reader = sqlite3.connect(path, isolation_level=None)
    reader.execute("BEGIN")
    assert reader.execute("SELECT COUNT(*) FROM campaign_events").fetchone()[0] > 0
    done = forget(store, ["A2-0"])
    assert done[0].events == 1 and "could not be checkpointed now (SQLITE_BUSY" in \
        done.unscrubbed
    assert read_erasures(store)(["A2-0"]).all()  # committed all the same
    reader.execute("ROLLBACK")
    reader.close()
    again = forget(store, ["A2-0"])
    assert again[0].already and again.unscrubbed == ""
    assert Path(f"{path}-wal").stat().st_size == 0  # truncated, the store open
    assert b"A2-0" not in path.read_bytes()
    store.close()


def test_the_opt_outs_read_otherwise_are_all_found() -> None:
    """``_wrapped`` (vectorised) leaves out only texts ``wrapped_readings`` reads as
    themselves alone: the plan's check of its opt-outs reads no other."""
    from recommender.campaigns.erased_text import _wrapped, wrapped_readings

    texts = [" a", "a ", '"a"', "'a", "\ufeffa", "a;'=1", "a;\"'=1", "plain", "a\xa0",
             "\x1ca", "\u2003a", "é", 'a"b', "a'b", "a\tb", '"', "'", "'-1", "\"'-1\"",
             "a\n'+1", "x\ufeff", "\u3000u1"]
    found = set(_wrapped(texts))
    assert all(t in found for t in texts if wrapped_readings(t) != [t])
    assert {"plain", "é", 'a"b', "a'b", "x\ufeff"}.isdisjoint(found)
