"""A SQLite campaign store that ``plan`` or ``events import`` created is removed again when the
command fails or is stopped before writing anything to it: it was created (and migrated) as
the store was opened, before the work, and an empty store file stayed behind.

Oracle: whether the file (and its ``-wal``/``-shm``) exists after the command, and the events
an independent open of the store counts; the failure is a missing model folder, a stop sent
at a named step, as the handler the process has for it then runs (``signal_arrives``: no
real signal is sent to the test runner, which a parallel run shares), or SIGTERM sent to a
child process once it prints a marker."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import run_cli as run
from signal_arrival import signal_arrives

import recommender.campaigns.events as events
from recommender.campaigns.store import open_store

ROOT = Path(__file__).resolve().parents[2]
CODES = [(signal.SIGINT, 130, "interrupted"), (signal.SIGTERM, 143, "terminated")]


def _files(db: Path) -> list[Path]:
    return [p for p in (db, Path(f"{db}-wal"), Path(f"{db}-shm"), Path(f"{db}-journal"))
            if p.exists()]


def _events(tmp_path: Path, n: int = 3) -> Path:
    path = tmp_path / "events.csv"
    path.write_text("user_id,film_id,timestamp\n" + "".join(
        f"u{i},f{i % 2},{1_600_000_000 + i}\n" for i in range(n)), encoding="utf-8")
    return path


@pytest.fixture(autouse=True)
def _no_env_store(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RECOMMENDER_STORE", raising=False)


def test_a_plan_that_fails_after_opening_a_new_store_leaves_no_file(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    slate = tmp_path / "slate.csv"
    slate.write_text("film_id,budget\nf1,10\n", encoding="utf-8")
    db = tmp_path / "s.db"
    code, _, err = run(capsys, "plan", tmp_path / "no-model", "--slate", slate, "--out",
                       tmp_path / "plan.csv", "--store", db)
    assert code == 2 and "no such model folder" in err, err
    assert _files(db) == []
    assert not (tmp_path / "plan.csv").exists()


@pytest.mark.parametrize(("signum", "code", "word"), CODES)
def test_an_import_stopped_before_its_first_write_leaves_no_file(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
        signum: int, code: int, word: str) -> None:
    real = events.find_conflicts

    def stopped(store: object, batch: object) -> None:
        real(store, batch)  # type: ignore[arg-type]
        signal_arrives(signum)

    monkeypatch.setattr(events, "find_conflicts", stopped)
    db = tmp_path / "s.db"
    got, _, err = run(capsys, "events", "import", _events(tmp_path), "--store", db)
    assert got == code and err.rstrip().splitlines()[-1] == word, err
    assert _files(db) == []


def test_an_import_whose_first_batch_fails_leaves_no_file(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    def failing(store: object, batch: object) -> None:
        raise OSError(28, "No space left on device", str(tmp_path / "s.db"))

    monkeypatch.setattr(events, "record_events", failing)
    db = tmp_path / "s.db"
    got, _, err = run(capsys, "events", "import", _events(tmp_path), "--store", db)
    assert got == 2 and "no space left" in err, err
    assert _files(db) == []


def test_a_new_store_another_writer_wrote_to_is_kept(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Created by this import, written by another process's (here: another open) meanwhile,
    then this import stopped: the other's events stay."""
    db = tmp_path / "s.db"
    (tmp_path / "other").mkdir()
    other = _events(tmp_path / "other", 2)
    real, calls = events.find_conflicts, []

    def stopped(store: object, batch: object) -> None:
        calls.append(1)
        real(store, batch)  # type: ignore[arg-type]
        if len(calls) == 1:  # this import's: the other runs (its own call is the second)
            assert run(capsys, "events", "import", other, "--store", db)[0] == 0
            signal_arrives(signal.SIGTERM)

    monkeypatch.setattr(events, "find_conflicts", stopped)
    got, _, err = run(capsys, "events", "import", _events(tmp_path), "--store", db)
    assert got == 143, err
    st = open_store(str(db))
    try:
        assert events.count_events(st) == 2
    finally:
        st.close()


def test_a_store_that_existed_is_kept_though_empty(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "s.db"
    open_store(str(db)).close()  # there before the command, holding nothing
    monkeypatch.setattr(events, "record_events", lambda store, batch: signal_arrives(
        signal.SIGTERM))
    got, _, err = run(capsys, "events", "import", _events(tmp_path), "--store", db)
    assert got == 143, err
    assert db.exists()


CHILD = """
import signal, sys
import recommender.cli.commands as commands

def load(path):
    print("MARK loading", file=sys.stderr, flush=True)
    signal.pause()

commands._load_model = load
from recommender.cli import main
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.parametrize("engine", ["local", "spark"])
def test_sigterm_to_a_plan_after_it_opened_a_new_store_leaves_no_file(
        tmp_path: Path, engine: str) -> None:
    """A real SIGTERM to a child process, sent once it says it is loading the model (after
    the store was opened, before Spark starts). With ``--engine spark`` Python's default
    SIGTERM ended the command at once, outside the Spark session too."""
    slate = tmp_path / "slate.csv"
    slate.write_text("film_id,budget\nf1,10\n", encoding="utf-8")
    db = tmp_path / "s.db"
    env = {k: v for k, v in os.environ.items() if k != "RECOMMENDER_STORE"}
    env["PYTHONPATH"] = str(ROOT)
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, "plan", str(tmp_path / "model"), "--slate", str(slate),
         "--out", str(tmp_path / "plan.csv"), "--store", str(db), "--engine", engine],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, cwd=tmp_path, env=env)
    assert child.stderr is not None
    try:
        first = child.stderr.readline()
        assert first.strip() == "MARK loading", first + child.stderr.read()
        assert db.exists()  # opened (created) before the model is loaded
        child.send_signal(signal.SIGTERM)
        err = child.stderr.read()
        code = child.wait(60)
    finally:
        if child.poll() is None:
            child.kill()
    assert code == 143 and err.strip() == "terminated", err
    assert _files(db) == []



HOLDER = """
import sys
import recommender.campaigns.events as events
from recommender.campaigns.event_file import read_event_file
from recommender.campaigns.store import open_store

sys.stdin.readline()  # the plan has created the file
store = open_store(sys.argv[1])  # opened, nothing written yet
events.count_events(store)
print("open", flush=True)
sys.stdin.readline()  # the plan has failed meanwhile
try:
    print(events.record_events(store, read_event_file(sys.argv[2]))[0], flush=True)
finally:
    store.close()
"""


def test_a_new_store_another_process_holds_open_is_kept(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Created by this plan, opened by another process (a second command, a service) before
    this plan failed, written to by it only after: under the write lock alone the file was
    found empty and removed under the other's open connection, whose write then failed."""
    import recommender.cli.commands as commands

    slate = tmp_path / "slate.csv"
    slate.write_text("film_id,budget\nf1,10\n", encoding="utf-8")
    db, csv = tmp_path / "s.db", _events(tmp_path, 3)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(db), str(csv)], env=env,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
    stdin, stdout = holder.stdin, holder.stdout
    assert stdin is not None and stdout is not None
    real = commands._load_model

    def opened_meanwhile(path: object) -> object:  # after the store, before the model
        assert db.exists()  # this plan created it
        stdin.write("go\n")
        stdin.flush()
        line = stdout.readline()
        assert line.strip() == "open", line + (holder.stderr.read() if holder.stderr else "")
        return real(path)

    monkeypatch.setattr(commands, "_load_model", opened_meanwhile)
    try:
        code, _, err = run(capsys, "plan", tmp_path / "no-model", "--slate", slate, "--out",
                           tmp_path / "plan.csv", "--store", db)
        assert code == 2 and "no such model folder" in err, err
        out, why = holder.communicate("go\n", timeout=120)
    finally:
        if holder.poll() is None:
            holder.kill()
    assert holder.returncode == 0 and out.split() == ["3"], why
    st = open_store(str(db))
    try:
        assert events.count_events(st) == 3  # the holder's events, in the file at the path
    finally:
        st.close()


def test_a_new_store_behind_a_dangling_link_leaves_the_link_alone(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``--store sqlite:///LINK`` with LINK a link to a file not there yet: SQLite creates the
    link's target; the failed plan removed the link (the user's) and left the new store."""
    slate = tmp_path / "slate.csv"
    slate.write_text("film_id,budget\nf1,10\n", encoding="utf-8")
    link, real = tmp_path / "link.db", tmp_path / "real.db"
    link.symlink_to(real.name)
    code, _, err = run(capsys, "plan", tmp_path / "no-model", "--slate", slate, "--out",
                       tmp_path / "plan.csv", "--store", f"sqlite:///{link}")
    assert code == 2 and "no such model folder" in err, err
    assert os.path.islink(link) and os.readlink(link) == real.name
    assert _files(real) == []
