"""A process that opens a brand-new SQLite store while the ``plan`` that created it removes it
(after the exclusive check found it unwritten and unopened, before the unlink) is refused: it
wrote its events into the unlinked file, acknowledged and then gone.

The interleaving is forced: the unlink of the failed ``plan`` waits until another process has
opened the store's file (its SQLite connection made, its migration waiting for the plan's
exclusive lock). Oracle: the events the other process says it stored against an independent
count of the store at the path afterwards, and which files are left at the path."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import run_cli as run

import recommender.campaigns.events as events
from recommender.campaigns.store import open_store

ROOT = Path(__file__).resolve().parents[2]

OPENER = """
import sqlite3.dbapi2, sys
import recommender.campaigns.events as events
from recommender.campaigns.event_file import read_event_file
from recommender.campaigns.store import open_store

real = sqlite3.dbapi2.connect
said = []

def connect(*args, **kw):
    conn = real(*args, **kw)
    if not said:  # SQLite has the file open: the plan may unlink it now
        said.append(1)
        print("connected", flush=True)
    return conn

sqlite3.dbapi2.connect = connect  # what SQLAlchemy's pysqlite calls
sys.stdin.readline()  # the plan holds its exclusive lock, about to unlink
try:
    store = open_store(sys.argv[1])
    try:
        stored = events.record_events(store, read_event_file(sys.argv[2]))[0]
    finally:
        store.close()
except Exception as e:
    print("refused", type(e).__name__, " ".join(str(e).split()), flush=True)
else:
    print("stored", stored, flush=True)
"""


def _files(db: Path) -> list[Path]:
    return [p for p in (db, Path(f"{db}-wal"), Path(f"{db}-shm"), Path(f"{db}-journal"))
            if p.exists()]


def _count(db: Path) -> int:
    st = open_store(str(db))
    try:
        return events.count_events(st)
    finally:
        st.close()


@pytest.mark.parametrize("then", ["deleted", "replaced"])
def test_a_store_opened_between_the_check_and_the_unlink_is_refused(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
        then: str) -> None:
    """``deleted``: nothing at the path after the unlink. ``replaced``: a third process (a
    command, a service) created a new store at the path after the unlink, before the other
    process's open went on: it checked the new file against the path, and its events went to
    the old, unlinked one (acknowledged, then gone)."""
    monkeypatch.delenv("RECOMMENDER_STORE", raising=False)
    slate = tmp_path / "slate.csv"
    slate.write_text("film_id,budget\nf1,10\n", encoding="utf-8")
    db, csv = tmp_path / "s.db", tmp_path / "events.csv"
    csv.write_text("user_id,film_id,timestamp\n" + "".join(
        f"u{i},f{i % 2},{1_600_000_000 + i}\n" for i in range(3)), encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    opener = subprocess.Popen([sys.executable, "-c", OPENER, str(db), str(csv)], env=env,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
    stdin, stdout = opener.stdin, opener.stdout
    assert stdin is not None and stdout is not None
    real_unlink, hooked, ids = Path.unlink, [], []

    def unlink(self: Path, missing_ok: bool = False) -> None:
        if self == db and not hooked:  # checked, under the exclusive lock: let it open
            hooked.append(1)
            stdin.write("go\n")
            stdin.flush()
            line = stdout.readline()
            assert line.strip() == "connected", line + (
                opener.stderr.read() if opener.stderr else "")
        real_unlink(self, missing_ok=missing_ok)
        if self == db and then == "replaced":
            other = open_store(str(db))  # another command's new store at the path
            ids.append(other.store_id())
            events.record_events(other, events.EventBatch(
                ["c-1", "c-2"], ["v1", "v2"], ["f1", "f1"], [1_600_000_000] * 2, [1.0, 1.0]))
            other.close()

    monkeypatch.setattr(Path, "unlink", unlink)
    try:
        code, _, err = run(capsys, "plan", tmp_path / "no-model", "--slate", slate, "--out",
                           tmp_path / "plan.csv", "--store", db)
        monkeypatch.undo()
        assert code == 2 and "no such model folder" in err, err
        assert hooked, "the plan did not remove the store it created"
        out, why = opener.communicate(timeout=120)
    finally:
        if opener.poll() is None:
            opener.kill()
    assert opener.returncode == 0, why
    said = out.split()
    # every event acknowledged is in the store at the path (none were)
    stored = int(said[1]) if said[0] == "stored" else 0
    assert stored + 2 * len(ids) == (_count(db) if db.exists() else 0), out
    if ids:  # the new store at the path is the one the third process made, whole
        st = open_store(str(db))
        try:
            assert st.store_id() == ids[0], out
            with st.engine.connect() as conn:
                assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
        finally:
            st.close()
    # refused saying why: the file it opened was deleted or replaced
    assert said[0] == "refused" and said[1] == "StoreUnavailableError", out
    assert f"was {'deleted' if then == 'deleted' else 'replaced'}" in out, out
    if then == "deleted":  # nothing left behind at the path by the refused open
        assert _files(db) == [], out


@pytest.mark.parametrize("how", ["folder", "link to a folder"])
def test_a_folder_at_the_store_path_is_refused_as_a_store(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
        how: str) -> None:
    """The file held open before the first connection: a folder at the path raised a bare
    IsADirectoryError (the CLI: "Is a directory ... no output was left half-written", the
    library: not a ``StoreUnavailableError``). Oracle: SQLite's own words for the path."""
    from recommender.errors import StoreUnavailableError

    monkeypatch.delenv("RECOMMENDER_STORE", raising=False)
    folder = tmp_path / "a-folder"
    folder.mkdir()
    db = folder if how == "folder" else tmp_path / "s.db"
    if how != "folder":
        db.symlink_to(folder)
    csv = tmp_path / "events.csv"
    csv.write_text("user_id,film_id,timestamp\nu1,f1,1600000000\n", encoding="utf-8")
    with pytest.raises(StoreUnavailableError, match="unable to open database file"):
        open_store(str(db))
    code, _, err = run(capsys, "events", "import", csv, "--store", db)
    assert code == 2 and "cannot open the campaign store" in err, err
    assert "unable to open database file" in err, err
    assert list(folder.iterdir()) == []  # nothing made in the folder
