"""A store's life across upgrades, as commands say it: an older store made private when migrated,
one rule for who migrates it, a folder that cannot be written and a path that cannot be made
named as such.

Oracles: the file's mode as ``os.stat`` reads it, the ``schema_version`` rows read with
SQLAlchemy, and the words each command printed."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from recommender.campaigns import store as store_mod
from recommender.campaigns.store import open_store
from recommender.cli import main

LATEST = store_mod.MIGRATIONS[-1][0]


def old_store(target: Path, monkeypatch: pytest.MonkeyPatch, mode: int = 0o644) -> None:
    """A store left at schema 3 by an older engine, at ``mode`` (its umask's)."""
    with monkeypatch.context() as m:
        m.setattr(store_mod, "MIGRATIONS", store_mod.MIGRATIONS[:3])
        open_store(str(target)).close()
    os.chmod(target, mode)
    assert versions(target) == [1, 2, 3]


def versions(target: Path) -> list[int]:
    engine = sa.create_engine(store_mod.store_url(str(target)))
    with engine.connect() as conn:
        got = [int(v) for (v,) in conn.exec_driver_sql(
            "select version from schema_version order by version")]
    engine.dispose()
    return got


def mode_of(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_an_older_store_migrated_is_made_private(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "store.db"
    old_store(db, monkeypatch)
    assert main(["campaign", "list", "--store", str(db)]) == 0
    err = capsys.readouterr().err
    assert versions(db)[-1] == LATEST
    assert mode_of(db) == 0o600
    for side in (Path(f"{db}-wal"), Path(f"{db}-shm")):
        assert not side.exists() or mode_of(side) == 0o600
    assert "readable by its owner only (mode 0644, now 0600)" in err, err


def test_a_store_another_user_owns_is_left_and_the_chmod_named(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "store.db"
    old_store(db, monkeypatch)
    real = os.geteuid()
    monkeypatch.setattr(os, "geteuid", lambda: real + 4242)  # the file is not this process's
    assert main(["campaign", "list", "--store", str(db)]) == 0
    err = capsys.readouterr().err
    assert mode_of(db) == 0o644
    assert f"warning: the campaign store {store_mod.store_url(str(db))} is readable by " \
           f"others (mode 0644)" in err, err
    assert f"chmod 600 {db}" in err


def test_readers_refuse_an_older_store_naming_what_migrates_it_and_a_backup_keeps_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "store.db"
    old_store(db, monkeypatch)
    assert main(["events", "status", "--store", str(db)]) == 2
    err = capsys.readouterr().err
    assert "is at schema version 3" in err
    assert "campaign list, campaign show, campaign report" in err and "never migrate it" in err
    assert "forget, train --events" in err, err
    assert main(["campaign", "backup", "--store", str(db), "--to", str(tmp_path / "b.db")]) == 0
    assert "schema version 3" in capsys.readouterr().out
    assert versions(db) == [1, 2, 3] and versions(tmp_path / "b.db") == [1, 2, 3]
    assert main(["campaign", "list", "--store", str(db)]) == 0  # as the refusal says
    assert versions(db)[-1] == LATEST


@pytest.fixture
def frozen_folder(tmp_path: Path) -> Iterator[Path]:
    """A folder holding a store, which this process cannot write (its mode, or for root an
    immutable flag); skipped where neither can be set."""
    folder = tmp_path / "frozen"
    folder.mkdir()
    open_store(str(folder / "store.db")).close()
    for side in ("-wal", "-shm"):
        Path(f"{folder / 'store.db'}{side}").unlink(missing_ok=True)
    if os.geteuid() != 0:
        folder.chmod(0o555)
        try:
            yield folder
        finally:
            folder.chmod(0o755)
        return
    chattr = shutil.which("chattr")
    if chattr is None or subprocess.run([chattr, "+i", str(folder)],
                                        capture_output=True).returncode != 0:
        pytest.skip("a folder root cannot write needs chattr +i, refused here")
    try:
        yield folder
    finally:
        subprocess.run([chattr, "-i", str(folder)], check=True)


@pytest.mark.parametrize("argv", [["campaign", "list"], ["campaign", "report", "p1"],
                                  ["events", "status"], ["campaign", "backup", "--to", "B"]])
def test_a_store_in_a_folder_that_cannot_be_written_says_why(
        frozen_folder: Path, tmp_path: Path, argv: list[str],
        capsys: pytest.CaptureFixture[str]) -> None:
    db = frozen_folder / "store.db"
    args = [str(tmp_path / "b.db") if a == "B" else a for a in argv]
    assert main([*args, "--store", str(db)]) == 2
    err = capsys.readouterr().err
    assert "unable to open database file" in err, err
    assert f"the store's folder {frozen_folder} cannot be written" in err
    assert "store.db-wal and store.db-shm beside it" in err
    assert "copy the store file" in err


def test_a_store_whose_folder_cannot_be_made_is_named(tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]
                                                      ) -> None:
    (tmp_path / "a-file").write_text("x")
    events = tmp_path / "ev.csv"
    events.write_text("user_id,film_id,timestamp\nu1,f1,1700000000\n")
    target = tmp_path / "a-file" / "sub" / "x.db"
    assert main(["events", "import", "--store", str(target), str(events)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: cannot create the campaign store "
                          f"{store_mod.store_url(str(target))}: "), err
    assert "a-file is a file, not a folder" in err


def test_serve_says_a_store_it_will_create_as_an_intention(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    from recommender.cli.stores import say_served_store

    monkeypatch.setenv("RECOMMENDER_STORE", str(tmp_path / "new" / "s.db"))
    say_served_store()
    err = capsys.readouterr().err
    assert "the service will create one there (and its folder)" in err, err
    assert "was created" not in err and "is created" not in err
    assert not (tmp_path / "new").exists()
