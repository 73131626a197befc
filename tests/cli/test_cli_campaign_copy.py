"""``recommender campaign copy --store SRC --to DST``: progress on stderr, one-line refusals,
exit codes as the other campaign actions, and a stopped copy that leaves no target behind."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pytest

from recommender.campaigns import copy_store as copy_mod
from recommender.campaigns.events import EventBatch, record_events
from recommender.campaigns.plan import PLAN_SCHEMA
from recommender.campaigns.store import open_store
from recommender.cli import main
from recommender.cli import store_copy as cli_copy


def make_source(path: Path, n_events: int = 1_200) -> str:
    st = open_store(str(path))
    try:
        st.save_plan("plan-1", {"created": "2026-01-01", "model_version": "m"},
                     pa.Table.from_pylist([{"plan_id": "plan-1", "film_id": "f", "user_id":
                                            f"u{i}", "wave": 1, "group": "target", "rank": i,
                                            "p": 0.5, "expected_value": 0.5}
                                           for i in range(1, 4)], schema=PLAN_SCHEMA))
        ids = range(n_events)
        record_events(st, EventBatch([f"e{i}" for i in ids], [f"u{i % 9}" for i in ids],
                                     ["f"] * n_events, [1_700_000_000 + i for i in ids],
                                     [1.0] * n_events))
        return st.store_id()
    finally:
        st.close()


def salt(path: Path) -> object:
    """The erasures' salt of the store ``path`` (``recommender.campaigns.erasure``)."""
    return dict(rows(path, "campaign_store_info"))["erasure_salt"]


def rows(path: Path, table: str) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(path)
    try:
        return sorted(conn.execute(f"SELECT * FROM {table}").fetchall())
    finally:
        conn.close()


def test_copy_prints_progress_and_what_it_copied(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    store_id = make_source(tmp_path / "old.db")
    monkeypatch.setattr(copy_mod, "COPY_CHUNK", 100)
    code = main(["campaign", "copy", "--store", str(tmp_path / "old.db"), "--to",
                 str(tmp_path / "new.db")])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "events: 1,200" in out and "plans: 1," in out and "plan rows: 3" in out
    assert f"Store id {store_id} kept" in out and "next event gets sequence 1,201" in out
    progress = [line for line in err.splitlines() if line.startswith("copying events")]
    assert progress[0] == "copying events: 100/1,200 rows" and len(progress) == 12
    assert progress[-1] == "copying events: 1,200/1,200 rows"
    assert "is marked as moved" in err and "campaign reopen --store" in err
    for table in ("campaign_events", "campaign_plans", "campaign_plan_rows"):
        assert rows(tmp_path / "new.db", table) == rows(tmp_path / "old.db", table)
    # the store id and the erasures' salt (recommender forget), as the source's
    assert rows(tmp_path / "new.db", "campaign_store_info") == [
        ("erasure_salt", salt(tmp_path / "old.db")), ("store_id", store_id)]
    # a second copy into the same target: one line, exit 2, the target untouched
    before = rows(tmp_path / "new.db", "campaign_events")
    code = main(["campaign", "copy", "--store", str(tmp_path / "old.db"), "--to",
                 str(tmp_path / "new.db")])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("error: the target") and "already is the store" in err
    assert len(err.strip().splitlines()) == 1
    assert rows(tmp_path / "new.db", "campaign_events") == before


def test_copy_refusals_are_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("RECOMMENDER_STORE", raising=False)
    make_source(tmp_path / "old.db", n_events=5)
    other = open_store(str(tmp_path / "used.db"))
    record_events(other, EventBatch(["x"], ["u"], ["f"], [1], [1.0]))
    other.close()
    for argv, said in [
        (["--to", str(tmp_path / "n.db")], "no campaign store to copy"),
        (["--store", str(tmp_path / "nope.db"), "--to", str(tmp_path / "n.db")],
         "no campaign store at"),
        (["--store", str(tmp_path / "old.db"), "--to", str(tmp_path / "used.db")],
         "is not empty (events: 1)"),
    ]:
        code = main(["campaign", "copy", *argv])
        err = capsys.readouterr().err
        assert code == 2 and said in err and len(err.strip().splitlines()) == 1, err
    assert not (tmp_path / "n.db").exists() and not (tmp_path / "nope.db").exists()
    monkeypatch.setenv("RECOMMENDER_STORE", str(tmp_path / "old.db"))  # the default source
    assert main(["campaign", "copy", "--to", str(tmp_path / "n.db")]) == 0


def test_a_stopped_copy_says_nothing_was_written(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    make_source(tmp_path / "old.db")
    monkeypatch.setattr(copy_mod, "COPY_CHUNK", 100)

    def interrupt(self: object, table: str, done: int, total: int) -> None:
        if done >= 300:
            raise KeyboardInterrupt

    monkeypatch.setattr(cli_copy._Progress, "__call__", interrupt)
    code = main(["campaign", "copy", "--store", str(tmp_path / "old.db"), "--to",
                 str(tmp_path / "new.db")])
    err = capsys.readouterr().err
    assert code == 130 and "nothing was written to" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["old.db"]


def test_a_copy_of_a_store_written_meanwhile_warns_of_what_it_lacks(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """A source a service still writes to is copied as it was when the copy read it: what it
    records meanwhile is not in the target. The copy said only "every count checked" and
    exit 0, and the events acknowledged meanwhile were lost once the service moved; now it
    warns with their number and what to do."""
    make_source(tmp_path / "old.db")
    monkeypatch.setattr(copy_mod, "COPY_CHUNK", 100)
    writer = open_store(str(tmp_path / "old.db"))
    wrote: list[int] = []

    def write_meanwhile(self: object, table: str, done: int, total: int) -> None:
        if not wrote:
            batch = EventBatch(["late-1", "late-2"], ["u", "v"], ["f", "f"],
                               [1_800_000_000] * 2, [1.0, 1.0])
            wrote.append(record_events(writer, batch)[2])
            writer.save_plan("plan-late", {"created": "x", "model_version": "m"},
                             pa.Table.from_pylist([], schema=PLAN_SCHEMA))

    monkeypatch.setattr(cli_copy._Progress, "__call__", write_meanwhile)
    try:
        code = main(["campaign", "copy", "--store", str(tmp_path / "old.db"), "--to",
                     str(tmp_path / "new.db")])
    finally:
        writer.close()
    out, err = capsys.readouterr()
    assert code == 0 and wrote == [1_202] and "events: 1,200" in out
    assert "recorded 2 event(s) and 1 plan(s) after the copy read it" in err
    assert "copy it again into a new target" in err
    assert main(["campaign", "reopen", "--store", str(tmp_path / "old.db")]) == 0
    capsys.readouterr()
    code = main(["campaign", "copy", "--store", str(tmp_path / "old.db"), "--to",
                 str(tmp_path / "quiet.db")])  # nothing written meanwhile: no warning
    assert code == 0 and "warning" not in capsys.readouterr().err


def count(path: Path, table: str) -> int:
    return len(rows(path, table))


def moved_to_url(path: Path) -> str | None:
    """Where the mark on the store at ``path`` says it was moved to (None: not marked)."""
    from recommender.campaigns.moved import moved_to

    store = open_store(str(path))
    try:
        with store.engine.connect() as conn:
            mark = moved_to(conn)
    finally:
        store.close()
    return None if mark is None else mark.to


def test_a_copied_store_refuses_events_plans_and_copies_until_reopened(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The copy keeps the store id, so the old store and its copy answer to one id: an event
    the old store took after the copy would bear a number the copy gives to another, and a
    model trained on one would take the other's events for its own. The old store took
    every write as before (the note asked for none); it is now marked and refuses them, in
    the CLI and the library (the service: ``test_events_sync_copied_store``), until
    ``campaign reopen``."""
    from recommender.campaigns.moved import StoreMovedError

    old, new = tmp_path / "old.db", tmp_path / "new.db"
    make_source(old, n_events=5)
    assert main(["campaign", "copy", "--store", str(old), "--to", str(new)]) == 0
    capsys.readouterr()
    (tmp_path / "ev.csv").write_text("user_id,film_id,timestamp\nu1,f,1700000100\n")
    code = main(["events", "import", "--store", str(old), str(tmp_path / "ev.csv")])
    err = capsys.readouterr().err
    assert code == 2 and f"was moved to sqlite:///{new}" in err
    assert f"Nothing of {tmp_path / 'ev.csv'} was stored" in err  # refused before reading it
    assert count(old, "campaign_events") == 5
    store = open_store(str(old))
    try:
        with pytest.raises(StoreMovedError, match="Nothing of this plan was stored"):
            store.save_plan("plan-2", {"created": "x", "model_version": "m"},
                            pa.Table.from_pylist([], schema=PLAN_SCHEMA))
        with pytest.raises(StoreMovedError):
            record_events(store, EventBatch(["z"], ["u"], ["f"], [1_700_000_200], [1.0]))
    finally:
        store.close()
    assert count(old, "campaign_plans") == 1 and count(old, "campaign_events") == 5
    # a second copy of the moved store would be a second live store under its id
    code = main(["campaign", "copy", "--store", str(old), "--to", str(tmp_path / "again.db")])
    err = capsys.readouterr().err
    assert code == 2 and f"was moved to sqlite:///{new}" in err and "copy that one" in err
    assert not (tmp_path / "again.db").exists()
    # the copy takes them; the old store reopened takes them again
    assert main(["events", "import", "--store", str(new), str(tmp_path / "ev.csv")]) == 0
    capsys.readouterr()
    assert main(["campaign", "reopen", "--store", str(old)]) == 0
    out, err = capsys.readouterr()
    assert f"reopened sqlite:///{old}" in out
    assert f"had been marked as moved to sqlite:///{new}" in out
    assert "carry one store id" in err
    assert main(["events", "import", "--store", str(old), str(tmp_path / "ev.csv")]) == 0
    assert count(old, "campaign_events") == 6
    assert main(["campaign", "reopen", "--store", str(old)]) == 0
    assert "was not marked as moved" in capsys.readouterr().out


def test_a_copy_that_missed_writes_says_to_reopen_before_copying_again(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """Events and plans recorded while the copy was made are not in it. The warning said to
    copy the source again, which its mark refused, telling to copy the copy instead ("it
    holds all this one had"): following both lost them. Oracle: the events a copy made after
    ``reopen`` holds, by number."""
    old = tmp_path / "old.db"
    make_source(old, n_events=5)
    writer = open_store(str(old))
    real = copy_mod.copy_store

    def write_meanwhile(source: str, target: str, chunk: int, progress: object,
                        before_commit: Callable[[], None]) -> object:
        def write_then_commit() -> None:
            record_events(writer, EventBatch(["late-1", "late-2"], ["u", "v"], ["f", "f"],
                                             [1_800_000_000] * 2, [1.0, 1.0]))
            writer.save_plan("plan-late", {"created": "x", "model_version": "m"},
                             pa.Table.from_pylist([], schema=PLAN_SCHEMA))
            before_commit()
        return real(source, target, chunk, progress, write_then_commit)  # type: ignore[arg-type]

    monkeypatch.setattr(copy_mod, "copy_store", write_meanwhile)
    try:
        assert main(["campaign", "copy", "--store", str(old), "--to",
                     str(tmp_path / "a.db")]) == 0
    finally:
        writer.close()
    monkeypatch.undo()
    err = capsys.readouterr().err
    assert "recorded 2 event(s) and 1 plan(s) after the copy read it" in err
    assert f"`recommender campaign reopen --store sqlite:///{old}` (marked as moved to " in err
    code = main(["campaign", "copy", "--store", str(old), "--to", str(tmp_path / "b.db")])
    err = capsys.readouterr().err
    assert code == 2 and "lacks the 2 event(s) and 1 plan(s) this one recorded" in err
    assert "it holds all this one had" not in err and not (tmp_path / "b.db").exists()
    assert main(["campaign", "reopen", "--store", str(old)]) == 0
    assert main(["campaign", "copy", "--store", str(old), "--to", str(tmp_path / "b.db")]) == 0
    assert count(tmp_path / "b.db", "campaign_events") == 7
    assert count(tmp_path / "a.db", "campaign_events") == 5


def test_two_copies_of_one_store_at_once_keep_the_first_mark(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """Two copies of one source, both reading it before either marked it: the second to mark
    replaced the first's mark and exit 0, so the first copy's operator, told to point the
    service at its copy, met refusals naming the other. Now the first mark stays, and the
    other copy exits 2 saying to drop its target."""
    old = tmp_path / "old.db"
    make_source(old, n_events=5)
    real = copy_mod.copy_store
    inner: list[int] = []

    def copy_meanwhile(source: str, target: str, chunk: int, progress: object,
                       before_commit: Callable[[], None]) -> object:
        def other_copy_then_commit() -> None:
            if not inner:  # the other copy (this hook again) commits at once
                inner.append(-1)
                inner[0] = main(["campaign", "copy", "--store", source, "--to",
                                 str(tmp_path / "first.db")])
            before_commit()
        return real(source, target, chunk, progress, other_copy_then_commit)  # type: ignore

    monkeypatch.setattr(copy_mod, "copy_store", copy_meanwhile)
    code = main(["campaign", "copy", "--store", str(old), "--to", str(tmp_path / "second.db")])
    err = capsys.readouterr().err
    assert inner == [0] and code == 2
    assert f"another copy of sqlite:///{old}, into sqlite:///{tmp_path / 'first.db'}" in err
    assert f"drop sqlite:///{tmp_path / 'second.db'}" in err
    assert moved_to_url(old) == f"sqlite:///{tmp_path / 'first.db'}"


def test_ctrl_c_while_the_source_is_marked_still_warns_of_what_the_copy_lacks(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """Ctrl-C from the commit on waits for the copy and the mark, then acts (exit 130): the
    warning of the events recorded while the copy was made came after it and was lost, the
    only notice that the copy lacks them."""
    import signal

    from signal_arrival import signal_arrives

    import recommender.campaigns.moved as moved

    old = tmp_path / "old.db"
    make_source(old, n_events=5)
    writer = open_store(str(old))
    real_copy, real_mark = copy_mod.copy_store, moved.mark_moved

    def write_meanwhile(source: str, target: str, chunk: int, progress: object,
                        before_commit: Callable[[], None]) -> object:
        def write_then_commit() -> None:
            record_events(writer, EventBatch(["late"], ["u"], ["f"], [1_800_000_000], [1.0]))
            before_commit()
        return real_copy(source, target, chunk, progress, write_then_commit)  # type: ignore

    def ctrl_c_then_mark(*args: object, **kwargs: object) -> object:
        signal_arrives(signal.SIGINT)  # held: acts once the copy's block is left
        return real_mark(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(copy_mod, "copy_store", write_meanwhile)
    monkeypatch.setattr(moved, "mark_moved", ctrl_c_then_mark)
    try:
        code = main(["campaign", "copy", "--store", str(old), "--to", str(tmp_path / "a.db")])
    finally:
        writer.close()
    err = capsys.readouterr().err
    assert code == 130 and "it was completed, not undone" in err
    assert "recorded 1 event(s) and 0 plan(s) after the copy read it" in err


HELD_CHILD = """
import os, sys
from recommender.campaigns import copy_store as copy_mod
from recommender.cli import main

real_copy = copy_mod.copy_store

def copy_signalled(source, target, chunk, progress, before_commit):
    def hold_then_signal():
        before_commit()  # the CLI holds Ctrl-C and SIGTERM from here to the end of the copy
        os.kill(os.getpid(), int(sys.argv[1]))  # a real signal, to this child only
    return real_copy(source, target, chunk, progress, hold_then_signal)

copy_mod.copy_store = copy_signalled
sys.exit(main(sys.argv[2:]))
"""


@pytest.mark.parametrize("signum,code", [(2, 130), (15, 143)])  # SIGINT, SIGTERM
def test_a_held_signal_is_raised_again_for_real_once_the_copy_lands(
        tmp_path: Path, signum: int, code: int) -> None:
    """Ctrl-C or SIGTERM, a real signal to a child process, arriving as the copy is about to
    be committed: it is held until the copy is committed and the source marked, then raised
    again in the process (``interrupts.deliver``, which the in-process tests replace with its
    handler's run), so the command exits with the signal's code and the copy is whole."""
    from signal_arrival import stopped_child

    old, new = tmp_path / "old.db", tmp_path / "new.db"
    store_id = make_source(old, n_events=30)
    # exit ``code``, its last line saying so, no traceback: checked by stopped_child
    done = stopped_child(HELD_CHILD, signum, code, "campaign", "copy", "--store", str(old),
                         "--to", str(new))
    assert "it was completed, not undone" in done.stderr
    assert "the copy was stopped" not in done.stderr
    assert f"copied sqlite:///{old} to sqlite:///{new}" in done.stdout
    for table in ("campaign_events", "campaign_plans", "campaign_plan_rows"):
        assert rows(new, table) == rows(old, table) != []
    # the store id and the erasures' salt (recommender forget), as the source's
    assert rows(new, "campaign_store_info") == [("erasure_salt", salt(old)),
                                                ("store_id", store_id)]
    assert moved_to_url(old) == f"sqlite:///{new}"  # marked before the signal acted
