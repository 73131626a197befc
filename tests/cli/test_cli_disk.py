"""A full disk while exporting: one sentence and exit 2, no traceback, no file left behind.

The disk is made "full" by making the export's row writer fail with ENOSPC after the header
line reached the temporary file, which is what a write on a full device raises."""

from __future__ import annotations

import errno
import os
from pathlib import Path
from typing import Any

import pytest
from helpers import synthetic_model

import recommender.query.export as export
from recommender.cli import main
from recommender.model import artifact


def test_a_full_disk_leaves_no_partial_export(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    model_dir = artifact.save(synthetic_model(n_users=60, n_films=12, seed=3), tmp_path / "m")
    out = tmp_path / "exports" / "audiences.csv"

    def full(*args: Any, **kwargs: Any) -> str:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(export, "table_csv", full)
    code = main(["audiences", str(model_dir), "--all", "--k", "3", "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2
    assert "Traceback" not in err and "no space left on the device" in err
    assert err.strip().count("\n") == 0, err  # one sentence
    leftovers = list(out.parent.iterdir()) if out.parent.exists() else []
    assert leftovers == [], leftovers


@pytest.mark.parametrize("name", ["audiences.csv", "audiences.parquet"])
def test_a_full_disk_names_the_output(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                      capsys: pytest.CaptureFixture[str], name: str) -> None:
    """A write on a full device raises an OSError without a file name (Python's ``write``,
    pyarrow's writer), and the one line said only "(writing the output)": with several
    outputs (a plan and its summary) or a script of exports, which one failed went unsaid."""
    model_dir = artifact.save(synthetic_model(n_users=60, n_films=12, seed=3), tmp_path / "m")
    out = tmp_path / "exports" / name

    def full(*args: Any, **kwargs: Any) -> Any:
        raise OSError(errno.ENOSPC, "Error writing bytes to file")

    monkeypatch.setattr(export, "table_csv", full)
    monkeypatch.setattr(export, "_null_tiers", full)
    code = main(["audiences", str(model_dir), "--all", "--k", "3", "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err, err
    assert f"no space left on the device ({out})" in err, err
    assert "writing the output" not in err and err.strip().count("\n") == 0, err
    assert not out.exists() and list(out.parent.iterdir()) == []


def test_a_full_disk_under_the_campaign_store_is_said(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    """SQLite's "database or disk is full" during ``events import`` was explained as "another
    process may hold it (SQLite waits 30 s for its write lock), or the database is down"."""
    import sqlite3

    import sqlalchemy as sa

    import recommender.campaigns.events as events

    real = events.record_events
    calls = iter(range(100))

    def full_after_one(*args: Any, **kwargs: Any) -> Any:
        if next(calls) >= 1:
            raise sa.exc.OperationalError("INSERT", None,
                                          sqlite3.OperationalError("database or disk is full"))
        return real(*args, **kwargs)

    monkeypatch.setattr(events, "record_events", full_after_one)
    src = tmp_path / "responses.csv"
    src.write_text("user_id,film_id,timestamp,event_id\n"
                   + "".join(f"u{i},f{i},1700000000,e{i}\n" for i in range(4)))
    code = main(["events", "import", "--store", str(tmp_path / "store.db"), "--batch", "2",
                 str(src)])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err, err
    last = err.strip().splitlines()[-1]
    assert "the disk that holds it is full" in last and "another process" not in last, last
    assert "imported 2/4 events" in err


def test_a_full_disk_under_demo_data_names_its_folder(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    """``demo-data`` (and every folder written whole, ``atomic_dir``) on a full device said
    "(writing the output)", as of standard output: the write names no file, and the folder
    asked for was not named in its place, as ``atomic_file`` names the file."""
    import recommender.io.demo as demo

    def full(*args: Any, **kwargs: Any) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(demo, "_write_csv", full)
    out = tmp_path / "demo"
    code = main(["demo-data", str(out), "--users", "300", "--films", "80",
                 "--interactions", "6000"])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err, err
    assert f"no space left on the device ({out})" in err, err
    assert "writing the output" not in err and err.strip().count("\n") == 0, err
    assert list(tmp_path.iterdir()) == []  # no work folder left beside it


def test_a_refused_connection_is_not_said_to_be_the_output(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """A Spark run whose JVM socket refused the connection said "Connection refused (writing
    the output)": an OSError without a file name was always the output's."""

    def refused(*args: Any, **kwargs: Any) -> Any:
        raise ConnectionRefusedError(errno.ECONNREFUSED, os.strerror(errno.ECONNREFUSED))

    model_dir = artifact.save(synthetic_model(n_users=40, n_films=8, seed=2), tmp_path / "m")
    monkeypatch.setattr(export, "table_csv", refused)
    monkeypatch.setattr(export, "_null_tiers", refused)
    code = main(["audiences", str(model_dir), "--all", "--k", "3", "--out",
                 str(tmp_path / "a.csv")])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err, err
    assert "Connection refused (a network connection" in err and "writing the output" not in err
