"""``campaign backup`` backs a SQLite store up while writers write, never marking it moved:
``campaign copy`` was the only way to copy a store, and as a nightly backup it marked the live
store as moved (servers went to ``campaign_store: moved``, POST /events got 409)."""

from __future__ import annotations

import os
import sqlite3
import stat
import threading
from pathlib import Path

import pytest
import sqlalchemy as sa

from recommender.campaigns.events import EventBatch, count_events, record_events
from recommender.campaigns.moved import moved_to
from recommender.campaigns.store import open_store
from recommender.cli import main
from recommender.errors import InvalidParameterError

BATCH = 10


def batch(start: int) -> EventBatch:
    ids = range(start, start + BATCH)
    return EventBatch([f"e{i}" for i in ids], [f"u{i % 7}" for i in ids],
                      [f"0000{i % 5}" for i in ids], [1_700_000_000 + i for i in ids],
                      [1.0] * BATCH)


def event_ids(path: Path) -> list[str]:
    with sqlite3.connect(path) as conn:
        got = [str(e) for (e,) in conn.execute(
            "SELECT event_id FROM campaign_events ORDER BY seq")]
    conn.close()
    return got


def test_a_backup_while_writers_write_is_whole_and_cuts_off_no_writer(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("RECOMMENDER_STORE", raising=False)
    db, bk = tmp_path / "live.db", tmp_path / "nightly" / "bk.db"
    store = open_store(str(db))
    record_events(store, batch(0))
    errors: list[BaseException] = []
    stop, written = threading.Event(), [BATCH]

    def writer() -> None:  # a service's writes, batch after batch, while the backup runs
        while not stop.is_set() and written[0] < 3000:
            try:
                record_events(store, batch(written[0]))
            except BaseException as e:  # noqa: BLE001 - asserted below
                errors.append(e)
                return
            written[0] += BATCH

    # a writer holding the write lock, uncommitted, does not hold the backup up
    held = sqlite3.connect(db, isolation_level=None)
    held.execute("BEGIN IMMEDIATE")
    held.execute("UPDATE campaign_store_info SET value = value")
    assert main(["campaign", "backup", "--store", str(db), "--to", str(tmp_path / "a.db")]) == 0
    held.execute("COMMIT")
    held.close()
    thread = threading.Thread(target=writer)
    thread.start()
    try:
        assert main(["campaign", "backup", "--store", f"sqlite:///{db}", "--to", str(bk)]) == 0
    finally:
        stop.set()
        thread.join()
    out = capsys.readouterr().out
    assert errors == [], errors
    assert f"to {bk}" in out and "writers went on" in out, out
    record_events(store, batch(written[0]))  # the store still takes writes: not marked
    with store.engine.connect() as conn:
        assert moved_to(conn) is None
    live = event_ids(db)
    assert len(live) == count_events(store) == written[0] + BATCH
    store.close()
    for backup in (tmp_path / "a.db", bk):
        copied = event_ids(backup)
        # a committed prefix of the store, every batch whole
        assert len(copied) % BATCH == 0 and 0 < len(copied) <= len(live)
        assert copied == live[:len(copied)]
        assert stat.S_IMODE(os.stat(backup).st_mode) == 0o600
        reopened = open_store(str(backup), read_only=True)  # a store this engine reads
        try:
            assert count_events(reopened) == len(copied)
        finally:
            reopened.close()
    assert [p.name for p in bk.parent.iterdir()] == ["bk.db"], "no temporary file left"


def test_a_backup_never_overwrites_and_postgresql_is_told_pg_dump(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "live.db"
    open_store(str(db)).close()
    before = db.read_bytes()
    for to in (db, tmp_path / "taken.db"):
        to.touch()
        assert main(["campaign", "backup", "--store", str(db), "--to", str(to)]) == 2
        assert "never overwrites" in capsys.readouterr().err
    assert db.read_bytes() == before and (tmp_path / "taken.db").read_bytes() == b""
    assert main(["campaign", "backup", "--store", "postgresql://u@h/db", "--to",
                 str(tmp_path / "x.db")]) == 2
    assert "pg_dump" in capsys.readouterr().err
    assert not (tmp_path / "x.db").exists()


def test_copy_says_it_moves_the_store_and_points_to_backup(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["campaign", "copy", "--help"]) == 0
    said = " ".join(capsys.readouterr().out.split())
    assert "move a campaign store" in said and "campaign backup" in said, said
    assert main(["campaign", "--help"]) == 0
    assert "writers are cut off" in " ".join(capsys.readouterr().out.split())
    db = tmp_path / "live.db"
    open_store(str(db)).close()
    assert main(["campaign", "copy", "--store", str(db), "--to", str(tmp_path / "c.db")]) == 0
    err = " ".join(capsys.readouterr().err.split())
    assert "the store was moved, not backed up" in err and "campaign backup" in err, err
    engine = sa.create_engine(f"sqlite:///{db}")
    with engine.connect() as conn:
        assert moved_to(conn) is not None  # copy still moves it
    engine.dispose()


def test_a_junk_source_is_said_damaged_and_restored_from_a_backup(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A file that is no database was a plain "cannot back up ...: file is not a database"
    (an unavailable store, as if a retry could help): it is a damaged store now, with the
    restore-from-a-backup words every other reader of such a file says."""
    from recommender.campaigns.backup import backup_store
    from recommender.errors import StoreDamagedError

    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a SQLite file at all, " * 200)
    with pytest.raises(StoreDamagedError, match="restore it from a backup"):
        backup_store(str(junk), tmp_path / "b.db")
    assert main(["campaign", "backup", "--store", str(junk), "--to",
                 str(tmp_path / "b.db")]) != 0
    assert "restore it from a backup" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["junk.db"]  # nothing left behind


def test_a_filesystem_without_hard_links_still_gets_its_backup(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``os.link`` refused by the filesystem (FAT, some network mounts) failed the backup with
    a raw OSError after the whole copy: the name is taken with an exclusive create and the
    backup renamed over it, still never over another's file."""
    import errno

    from recommender.campaigns.backup import backup_store

    db = tmp_path / "live.db"
    store = open_store(str(db))
    record_events(store, batch(0))
    store.close()

    def no_links(src: object, dst: object, *a: object, **k: object) -> None:
        raise OSError(errno.EPERM, "Operation not permitted")
    monkeypatch.setattr(os, "link", no_links)
    made = backup_store(str(db), tmp_path / "out" / "b.db")
    assert event_ids(made.path) == event_ids(db) == [f"e{i}" for i in range(BATCH)]
    assert stat.S_IMODE(made.path.stat().st_mode) == 0o600
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["b.db"]
    with pytest.raises(InvalidParameterError, match="never overwrites"):
        backup_store(str(db), made.path)


def test_a_backup_inside_a_model_folder_is_refused(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``--to MODEL/x.db`` wrote into the model's folder, which every other writer refuses."""
    import json

    import numpy as np

    model = tmp_path / "model"
    model.mkdir()
    np.save(model / "user_factors.npy", np.zeros((2, 2), np.float32))
    (model / "meta.json").write_text(json.dumps({"format_version": 1, "model_version": "v"}))
    db = tmp_path / "live.db"
    open_store(str(db)).close()
    assert main(["campaign", "backup", "--store", str(db), "--to",
                 str(model / "b.db")]) == 2
    assert "inside the model folder" in capsys.readouterr().err
    assert sorted(p.name for p in model.iterdir()) == ["meta.json", "user_factors.npy"]


def test_a_backup_failing_its_check_is_a_damaged_store(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A store SQLite reads but whose copy fails ``PRAGMA quick_check`` (here a NULL in a
    column its schema says NOT NULL, written before the schema said so) was refused as a
    caller's mistake (``InvalidParameterError``); it is a store fault, said damaged."""
    from recommender.campaigns.backup import backup_store
    from recommender.errors import StoreDamagedError

    db = tmp_path / "live.db"
    store = open_store(str(db))
    record_events(store, batch(0))
    store.close()
    conn = sqlite3.connect(db)
    try:
        conn.execute("CREATE TABLE extra (x TEXT)")
        conn.execute("INSERT INTO extra VALUES (NULL)")
        conn.commit()
        conn.execute("PRAGMA writable_schema = ON")
        conn.execute("UPDATE sqlite_master SET sql = 'CREATE TABLE extra (x TEXT NOT NULL)' "
                     "WHERE name = 'extra'")
        conn.commit()
    finally:
        conn.close()
    with sqlite3.connect(db) as check:  # the oracle: SQLite's own check of the store
        said = str(check.execute("PRAGMA quick_check").fetchone()[0])
    check.close()
    assert said != "ok"
    with pytest.raises(StoreDamagedError) as caught:
        backup_store(str(db), tmp_path / "b.db")
    assert str(caught.value) == f"the backup of sqlite:///{db} failed its check ({said}): the " \
        "store may be damaged"
    assert main(["campaign", "backup", "--store", str(db), "--to",
                 str(tmp_path / "b.db")]) == 2
    assert f"error: {caught.value}" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["live.db"]  # nothing left behind
