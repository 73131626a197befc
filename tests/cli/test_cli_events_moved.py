"""``events import`` into a store ``campaign copy`` moved: refused before the file is read, and a
mark that comes mid-import says which of the file's events the old store holds (oracle: the
events stored, by number)."""

from __future__ import annotations

from pathlib import Path

import pytest

import recommender.campaigns.event_file as event_file
import recommender.campaigns.events as events_module
from recommender.campaigns.moved import mark_moved
from recommender.cli import main


def write_events(path: Path, n: int) -> Path:
    path.write_text("user_id,film_id,timestamp\n" + "".join(
        f"u{i},f,{1_700_000_000 + i}\n" for i in range(n)))
    return path


def stored(store: Path) -> int:
    import sqlite3

    conn = sqlite3.connect(store)
    try:
        return int(conn.execute("SELECT count(*) FROM campaign_events").fetchone()[0])
    finally:
        conn.close()


def test_an_import_into_a_moved_store_is_refused_before_its_file_is_read(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """The file was read whole and checked against the store (a million events: 10 s) before
    its first batch was refused."""
    old = tmp_path / "old.db"
    assert main(["events", "import", "--store", str(old),
                 str(write_events(tmp_path / "a.csv", 3))]) == 0
    mark_moved(str(old), "sqlite:////elsewhere/new.db", 3, 0)
    capsys.readouterr()
    read: list[str] = []
    real = event_file.read_event_file
    monkeypatch.setattr(event_file, "read_event_file",
                        lambda path, *a, **k: read.append(path) or real(path, *a, **k))
    big = write_events(tmp_path / "big.csv", 50)
    code = main(["events", "import", "--store", str(old), str(big)])
    err = capsys.readouterr().err
    assert code == 2 and read == [] and stored(old) == 3
    assert "was moved to sqlite:////elsewhere/new.db" in err and f"Nothing of {big}" in err


def test_a_mark_in_the_middle_of_an_import_says_what_the_old_store_holds(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """A copy marking the store while an import ran: the batches before stay, and the
    refusal said only "Nothing of this batch was stored"."""
    old = tmp_path / "old.db"
    file = write_events(tmp_path / "ev.csv", 5)
    real = events_module.record_events
    calls: list[int] = []

    def then_mark(store: object, batch: object) -> object:
        if len(calls) == 1:  # a copy, made meanwhile, marks the store after the first batch
            mark_moved(str(old), "sqlite:////elsewhere/new.db", 0, 0)
        calls.append(1)
        return real(store, batch)  # type: ignore[arg-type]

    monkeypatch.setattr(events_module, "record_events", then_mark)
    code = main(["events", "import", "--store", str(old), "--batch", "2", str(file)])
    err = capsys.readouterr().err
    assert code == 2 and stored(old) == 2
    assert f"the first 2 events of {file} had been recorded here (2 new)" in err
    assert "import the whole file into the copy" in err
