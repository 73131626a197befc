"""Ctrl-C and SIGTERM at the edges of a command: while the CLI loads, once ``train`` made its
new model current, in the middle of ``events import``. Each says what happened in a line or
two and exits 130 (SIGINT) or 143 (SIGTERM).

Oracle: the exit code and stderr, the model folder's current version (``layout.resolve``,
``artifact.load``) and the store's events; the signal arrives at a named step, as the handler
the process has for it then runs (``signal_arrives``: no real signal is sent to the test runner,
which a parallel run shares), or is sent to a child process at a marker it prints."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from helpers import run_cli as run
from signal_arrival import signal_arrives

from recommender.campaigns.store import open_store
from recommender.model import artifact, layout

ROOT = Path(__file__).resolve().parents[2]
CODES = [(signal.SIGINT, 130, "interrupted"), (signal.SIGTERM, 143, "terminated")]


def _log(path: Path) -> Path:
    rows = [f"u{u},f{(u * 7 + k) % 12},{1_600_000_000 + 60 * (u * 5 + k)}"
            for u in range(40) for k in range(5)]
    path.write_text("user_id,film_id,timestamp\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


TRAIN = ("--no-tune", "--factors", 4, "--iterations", 2, "--segments", 2)


@pytest.mark.parametrize(("signum", "code", "word"), CODES)
@pytest.mark.parametrize(("at", "saves", "live"), [
    ("renamed", 2, False), ("swapped", 2, True), ("removed", 2, True),
    ("exposed meta.json", 0, True), ("report", 2, True)])
def test_train_stopped_after_the_swap_says_the_new_model_is_live(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
        signum: int, code: int, word: str, at: str, saves: int, live: bool) -> None:
    """A signal after ``current`` was swapped to the new version left it the model, but the
    command printed only "interrupted" (exit 130), as if nothing had changed. It now says
    which version is live and was not undone; before the swap the old one stays and nothing
    more is said. The signal lands at a step of the save (``removed``: the oldest version,
    on a third save; ``exposed meta.json``: the first save into a new folder), or while
    train prints its summary (``report``)."""
    log, out = _log(tmp_path / "log.csv"), tmp_path / "model"
    for seed in range(saves):
        assert run(capsys, "train", "--data", log, "--out", out, *TRAIN, "--seed", seed)[0] == 0
    old = layout.resolve(out).resolve() if saves else None  # the version served now
    if at == "report":
        from recommender.cli import input_checks

        real = input_checks.metadata_matches

        def report(*args: object, **kwargs: object) -> None:
            signal_arrives(signum)
            real(*args, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(input_checks, "metadata_matches", report)
    else:
        monkeypatch.setattr(layout, "step", lambda label: signal_arrives(signum)
                            if label.startswith(at) else None)
    got, _, err = run(capsys, "train", "--data", log, "--out", out, *TRAIN, "--seed", 9)
    assert got == code, err
    assert err.rstrip().splitlines()[-1] == word, err
    now = layout.resolve(out).resolve()
    said = re.search(r"model version (\S+) had been made current in (\S+) when this stopped: "
                     r"it is live", err)
    if live:
        assert said and said.group(2) == str(out), err
        assert now != old and said.group(1) == artifact.load(out).version
        assert "not undone" in err
    else:
        assert said is None and now == old, err


def test_sigterm_after_the_swap_of_a_spark_model_says_it_is_live(tmp_path: Path) -> None:
    """``--engine spark`` leaves SIGTERM to Python's default while Spark runs (raised in a
    py4j read it broke the session's stop), and it stayed so while the model was saved: a
    SIGTERM after the swap ended the process at once, without a word (exit -15). The save
    now runs with SIGTERM as Ctrl-C. The child trains locally in place of Spark (the save is
    the same) and waits at the step after the swap for the signal."""
    child_code = """
import signal, sys
import recommender.spark.training as spark_training
from recommender.io import readers
from recommender.model import layout
from recommender.model.training import train

def step(label):
    if label == "swapped":
        print("MARK swapped", file=sys.stderr, flush=True)
        signal.pause()

spark_training.train_spark = lambda data, config, **kw: train(readers.load(data), config)
layout.step = step
from recommender.cli import main
sys.exit(main(sys.argv[1:]))
"""
    out = tmp_path / "model"
    child = subprocess.Popen(
        [sys.executable, "-c", child_code, "train", "--engine", "spark", "--data",
         str(_log(tmp_path / "log.csv")), "--out", str(out), *map(str, TRAIN)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    assert child.stderr is not None
    lines: list[str] = []
    try:
        for line in child.stderr:
            lines.append(line)
            if line.strip() == "MARK swapped":
                child.send_signal(signal.SIGTERM)
        code = child.wait(60)
    finally:
        if child.poll() is None:
            child.kill()
    err = "".join(lines)
    assert "MARK swapped" in err and code == 143, err
    version = artifact.load(out).version
    assert f"model version {version} had been made current in {out}" in err
    assert err.rstrip().splitlines()[-1] == "terminated", err


@pytest.mark.parametrize(("sig", "said"), [(signal.SIGINT, "interrupted"),
                                           (signal.SIGTERM, "terminated")])
@pytest.mark.parametrize("entry", ["script", "python -m recommender"])
def test_ctrl_c_while_the_cli_loads_says_interrupted(tmp_path: Path, entry: str, sig: int,
                                                     said: str) -> None:
    """Ctrl-C while the console script imports the CLI (numpy, scipy, pyarrow: most of a
    second, before ``main`` runs): a Python traceback, exit -2; SIGTERM there ended it
    without a word (exit -15). Now one line, and 130 (143 for SIGTERM). The
    child runs the console script's entry point as pyproject.toml declares it (or
    ``python -m recommender``'s, which had none), and waits in the middle of the import (at
    ``recommender.cli.commands``) for the signal."""
    script = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    module, func = script["recommender"].split(":")
    run = (f"sys.exit(getattr(importlib.import_module({module!r}), {func!r})())"
           if entry == "script" else
           "import runpy; runpy.run_module('recommender', run_name='__main__', alter_sys=True)")
    child_code = f"""
import importlib, importlib.abc, signal, sys
class Wait(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name == "recommender.cli.commands":
            print("MARK importing", file=sys.stderr, flush=True)
            signal.pause()
sys.meta_path.insert(0, Wait())
sys.argv = ["recommender", "--help"]
{run}
"""
    code, err = _stopped_at_import(["-c", child_code], tmp_path, sig)
    assert code == 128 + sig, err
    assert err == f"{said}\n"


def _stopped_at_import(argv: list[str], cwd: Path, sig: int) -> tuple[int, str]:
    """Run Python with ``argv``, send ``sig`` once the child says it is importing
    (``MARK importing``): its exit code and what it wrote on stderr after that line."""
    child = subprocess.Popen([sys.executable, *argv], stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, text=True, cwd=cwd)
    assert child.stderr is not None
    try:
        first = child.stderr.readline()
        assert first.strip() == "MARK importing", first + child.stderr.read()
        child.send_signal(sig)
        err = child.stderr.read()
        code = child.wait(60)
    finally:
        if child.poll() is None:
            child.kill()
    return code, err


WAITS = {  # how the import at ``recommender.cli.commands`` meets the signal
    # numpy, stopped as its C code imports datetime, raises ImportError (a traceback, exit 1)
    "converted": "try:\n                signal.pause()\n            except BaseException as e:\n"
                 "                raise ImportError('PyCapsule_Import could not import module') "
                 "from e",
    # scipy's array_api_compat imports numpy in an exec of a string: CPython then killed the
    # process with SIGINT at exit (-2), after "interrupted"
    "exec": "exec('import signal; signal.pause()')",
    # C code that clears whatever a call raised (PyObject_HasAttr): the stop went unheard,
    # the command ran to its end and exited 0
    "swallowed": "try:\n                signal.pause()\n            except BaseException:\n"
                 "                pass",
}


@pytest.mark.parametrize(("sig", "said"), [(signal.SIGINT, "interrupted"),
                                           (signal.SIGTERM, "terminated")])
@pytest.mark.parametrize("how", sorted(WAITS))
def test_a_stop_an_extension_turns_into_its_own_error_says_interrupted(
        tmp_path: Path, how: str, sig: int, said: str) -> None:
    """Two ways a stop while the CLI loads still ended otherwise than in one line and 130
    (143): an extension catching the signal's exception in its import and raising its own
    (numpy's ImportError with its "bad install" advice), and a Ctrl-C leaving an ``exec`` of a
    string (exit status: killed by SIGINT)."""
    child_code = f"""
import importlib.abc, runpy, signal, sys
class Wait(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name == "recommender.cli.commands":
            print("MARK importing", file=sys.stderr, flush=True)
            {WAITS[how]}
sys.meta_path.insert(0, Wait())
sys.argv = ["recommender", "--help"]
runpy.run_module('recommender', run_name='__main__', alter_sys=True)
"""
    # run with -m, as ``python -m recommender`` is: the interpreter looks at its mark of a
    # Ctrl-C only then (a script or -c exits from within their SystemExit)
    (tmp_path / "stopped_child.py").write_text(child_code, encoding="utf-8")
    assert _stopped_at_import(["-m", "stopped_child"], tmp_path, sig) == (128 + sig,
                                                                           f"{said}\n")


def test_ctrl_c_while_the_parser_is_built_says_interrupted(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """Building the parser imports the training options' module: a Ctrl-C there came before
    ``main``'s ``try`` (a traceback)."""
    import recommender.cli as cli

    def build() -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "build_parser", build)
    try:
        got, _, err = run(capsys, "--help")
    except KeyboardInterrupt:  # not raised on: pytest would take it for the user's
        pytest.fail("the Ctrl-C left main: a traceback")
    assert (got, err) == (130, "interrupted\n")


@pytest.mark.parametrize(("signum", "code", "word"), CODES)
@pytest.mark.parametrize(("when", "first"), [("before", 10), ("after", 20)])
def test_an_interrupted_import_says_what_is_stored_and_a_retry_stores_the_rest(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
        signum: int, code: int, word: str, when: str, first: int) -> None:
    """``events import`` stopped in its second batch of 10 (of 25 events, 3 already stored):
    batches are committed whole, but the command said only "interrupted". It now says how
    many of the file's events are in the store (the batch being written counts when its
    commit had completed: ``after``), and the same import again stores exactly the rest."""
    import recommender.campaigns.events as events

    monkeypatch.delenv("RECOMMENDER_STORE", raising=False)
    rows = [f"u{i},f{i % 4},{1_600_000_000 + i}" for i in range(25)]
    head = "user_id,film_id,timestamp\n"
    (tmp_path / "some.csv").write_text(head + "\n".join(rows[:3]) + "\n", encoding="utf-8")
    (tmp_path / "all.csv").write_text(head + "\n".join(rows) + "\n", encoding="utf-8")
    store = f"sqlite:///{tmp_path / 'store.db'}"
    assert run(capsys, "events", "import", tmp_path / "some.csv", "--store", store)[0] == 0
    real, calls = events.record_events, []

    def record(store: object, batch: object) -> object:
        calls.append(1)
        if len(calls) == 2 and when == "before":
            signal_arrives(signum)
        done = real(store, batch)  # type: ignore[arg-type]
        if len(calls) == 2 and when == "after":  # committed, not yet returned
            signal_arrives(signum)
        return done

    monkeypatch.setattr(events, "record_events", record)
    argv = ("events", "import", tmp_path / "all.csv", "--store", store, "--batch", 10)
    got, _, err = run(capsys, *argv)
    assert got == code, err
    assert err.rstrip().splitlines()[-1] == word, err
    assert (f"the first {first} of the 25 events in {tmp_path / 'all.csv'} are in the store "
            f"({first - 3} stored now, 3 were already there)") in err, err
    assert "the same import again stores the rest, and nothing twice" in err
    monkeypatch.setattr(events, "record_events", real)
    got, out, err = run(capsys, *argv)
    assert got == 0, err
    assert f"stored {25 - first}, already stored {first}" in out, out
    st = open_store(store)
    try:
        assert events.count_events(st) == 25
    finally:
        st.close()


def test_an_import_the_store_fails_under_says_what_is_stored(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A store that fails in the middle of ``events import`` (its disk full, a lock held past
    the wait) ended with "what was committed before this stays" and no count: the command
    says how many of the file's events are in the store, as after a Ctrl-C."""
    import sqlalchemy.exc

    import recommender.campaigns.events as events

    monkeypatch.delenv("RECOMMENDER_STORE", raising=False)
    rows = [f"u{i},f{i % 4},{1_600_000_000 + i}" for i in range(25)]
    (tmp_path / "all.csv").write_text("user_id,film_id,timestamp\n" + "\n".join(rows) + "\n",
                                      encoding="utf-8")
    store = f"sqlite:///{tmp_path / 'store.db'}"
    real, calls = events.record_events, []

    def record(store: object, batch: object) -> object:
        calls.append(1)
        if len(calls) == 2:
            raise sqlalchemy.exc.OperationalError("INSERT", {}, Exception("database or disk is "
                                                                          "full"))
        return real(store, batch)  # type: ignore[arg-type]

    monkeypatch.setattr(events, "record_events", record)
    got, _, err = run(capsys, "events", "import", tmp_path / "all.csv", "--store", store,
                      "--batch", 10)
    assert got == 2, err
    assert (f"the first 10 of the 25 events in {tmp_path / 'all.csv'} are in the store "
            "(10 stored now, 0 were already there)") in err, err
    assert "disk that holds it is full" in err


def test_a_stop_after_the_export_was_put_in_place_names_it(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A Ctrl-C landing once an export was renamed into place (its temporary files swept, the
    command's last lines printed) said "interrupted" alone: read as the previous file kept,
    where the new one had replaced it. The files put in place are named before that line."""
    from helpers import synthetic_model

    import recommender.io.atomic as atomic_module

    model_dir = artifact.save(synthetic_model(n_users=40, n_films=8, seed=3), tmp_path / "m")
    out = tmp_path / "aud.csv"
    out.write_text("old\n", encoding="utf-8")

    def stopped(path: Path, suffix: str) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(atomic_module, "_sweep", stopped)
    code, _, err = run(capsys, "audiences", model_dir, "--all", "--k", 3, "--out", out)
    assert code == 130 and out.read_text(encoding="utf-8") != "old\n", err
    lines = err.splitlines()
    assert lines[-1] == "interrupted", err
    assert lines[-2].startswith(f"note: {out} had been written in full when this stopped"), err


def test_a_stop_after_a_folder_was_put_in_place_names_it(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The same for a folder written whole (``atomic_dir``: demo-data, download, a Spark
    export): the previous folder is deleted once the new one is in place (a large one takes
    seconds), and a stop then said "interrupted" alone, where the folder had been replaced."""
    import recommender.io.atomic as atomic_module

    out = tmp_path / "demo"
    size = ("--users", 200, "--films", 40, "--interactions", 2000)
    assert run(capsys, "demo-data", out, *size)[0] == 0
    before = sorted((p.name, p.read_bytes()) for p in out.iterdir())

    def stopped(path: Path, suffix: str) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(atomic_module, "_sweep", stopped)
    code, _, err = run(capsys, "demo-data", out, *size[:-1], 1500)
    assert code == 130, err
    assert sorted((p.name, p.read_bytes()) for p in out.iterdir()) != before
    lines = err.splitlines()
    assert lines[-1] == "interrupted", err
    assert lines[-2].startswith(f"note: {out} had been written in full when this stopped"), err
