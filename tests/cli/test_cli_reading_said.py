"""``train`` says it is reading a large log, on a terminal (it read 160 MB in silence)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from recommender.cli import reading


def _log(tmp_path: Path) -> Path:
    log = tmp_path / "interactions.csv"
    log.write_text("user_id,film_id\nu1,f1\nu2,f1\nu1,f2\n", encoding="utf-8")
    return log


def test_a_large_log_is_named_with_its_size_and_rows(tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str],
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reading, "LARGE", 10)
    inter = reading.load_said(_log(tmp_path), None, None, show=True)
    err = capsys.readouterr().err
    assert len(inter) == 3
    assert f"reading {tmp_path / 'interactions.csv'} (0 MB) ..." in err
    assert "read 3 interactions (2 users x 2 films) in " in err


def test_a_small_log_or_no_terminal_says_nothing(tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    log = _log(tmp_path)
    assert len(reading.load_said(log, None, None, show=True)) == 3  # under LARGE
    monkeypatch.setattr(reading, "LARGE", 10)
    assert len(reading.load_said(tmp_path, None, None, show=False)) == 3  # a folder too
    assert capsys.readouterr().err == ""
    assert reading.input_bytes(tmp_path) == log.stat().st_size
    assert reading.input_bytes(tmp_path / "missing") == 0


def test_events_import_says_it_reads_a_large_file(tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str],
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from recommender.cli import main

    events = tmp_path / "events.csv"
    events.write_text("user_id,film_id,timestamp\nu1,f1,1700000100\nu2,f1,1700000101\n",
                      encoding="utf-8")
    monkeypatch.setattr(reading, "LARGE", 10)
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)  # capsys' stderr, a terminal
    assert main(["events", "import", "--store", str(tmp_path / "c.db"), str(events)]) == 0
    err = capsys.readouterr().err
    assert f"reading {events} (0 MB) ..." in err and "read 2 events in " in err
