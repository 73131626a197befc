"""A damaged SQLite store is one line and exit 2 in the CLI, as it is a 503 in the service:
SQLite's "database disk image is malformed" is a plain ``DatabaseError``, not an
``OperationalError``, and ``plan --store``, ``campaign list`` and ``campaign show`` ended in
a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from service_fixtures import save_model

from recommender.cli import main


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_model(tmp_path_factory.mktemp("damaged-store") / "model")


def test_a_damaged_store_is_one_line_and_exit_2(model_dir: Path, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    slate = tmp_path / "slate.csv"
    slate.write_text("film_id,budget\n00003,5\n")
    db = tmp_path / "store.db"
    assert main(["plan", str(model_dir), "--slate", str(slate), "--out",
                 str(tmp_path / "first.csv"), "--store", str(db)]) == 0
    plan_id = (tmp_path / "first.csv").read_text().splitlines()[1].split(",")[0].strip('"')
    capsys.readouterr()
    with open(db, "r+b") as f:  # every page after the first two overwritten
        size = f.seek(0, 2)
        for page in range(2 * 4096, size, 4096):
            f.seek(page)
            f.write(b"\xff" * 4096)
    for side in tmp_path.glob("store.db-*"):
        side.unlink()
    out = tmp_path / "plan.csv"
    for argv in (["plan", str(model_dir), "--slate", str(slate), "--out", str(out)],
                 ["campaign", "list"], ["campaign", "show", plan_id]):
        assert main([*argv, "--store", str(db)]) == 2, argv
        err = capsys.readouterr().err
        # read at the open (a store of an older version is migrated first) or after it
        assert "database disk image is malformed" in err, err
        assert "restore it from a backup" in err, err
        assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert not out.exists()


def test_a_store_with_text_that_is_not_utf8_is_said_damaged(model_dir: Path, tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]
                                                           ) -> None:
    """A page of a plan's summary overwritten: sqlite3 raises an OperationalError ("Could not
    decode to UTF-8"), and the CLI said another process may hold the store or the database
    was down, and that the same command again was safe."""
    import sqlite3

    slate = tmp_path / "slate.csv"
    slate.write_text("film_id,budget\n00003,5\n")
    db = tmp_path / "store.db"
    assert main(["plan", str(model_dir), "--slate", str(slate), "--out",
                 str(tmp_path / "first.csv"), "--store", str(db)]) == 0
    capsys.readouterr()
    with sqlite3.connect(db) as c:
        c.execute("UPDATE campaign_plans SET summary = CAST(x'7bff' AS TEXT)")
    c.close()
    assert main(["campaign", "list", "--store", str(db)]) == 2
    err = capsys.readouterr().err
    assert "could not be read (Could not decode to UTF-8" in err, err
    assert "another process" not in err and len(err.strip().splitlines()) == 1, err
