"""Output paths: an output that names the command's own input is refused (the input would be
replaced), a permission error names the path given (not the hidden temporary file), an
unwritable --json fails before the run, and a failed standard output does not speak of
temporary files."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import synthetic_model

from recommender.cli import main
from recommender.model import artifact


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return artifact.save(synthetic_model(n_users=80, n_films=10, seed=2),
                         tmp_path_factory.mktemp("paths") / "m")


def test_an_output_naming_its_input_is_refused(model_dir: Path, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    films = tmp_path / "films.csv"
    films.write_text("00001\n00002\n")
    assert main(["audiences", str(model_dir), "--films", str(films), "--out", str(films)]) == 2
    assert "is the input" in capsys.readouterr().err
    assert films.read_text() == "00001\n00002\n"
    slate = tmp_path / "slate.csv"
    slate.write_text("film_id,budget\n00001,5\n")
    for extra in (["--out", str(slate)], ["--out", str(tmp_path / "p.csv"), "--summary",
                                          str(slate)]):
        assert main(["plan", str(model_dir), "--slate", str(slate), *extra]) == 2
        assert "is the input" in capsys.readouterr().err
        assert slate.read_text() == "film_id,budget\n00001,5\n"
    users = tmp_path / "users.csv"
    users.write_text("u1\n")
    assert main(["recommend", str(model_dir), "--users", str(users), "--out", str(users)]) == 2
    assert users.read_text() == "u1\n"


def test_a_write_error_names_the_path_given(model_dir: Path, tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    """A file where a folder should be (root is not stopped by permissions, this is)."""
    blocker = tmp_path / "afile"
    blocker.write_text("x")
    out = blocker / "x.csv"
    assert main(["audiences", str(model_dir), "--all", "--k", "2", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert str(out) in err and ".tmp" not in err
    assert main(["evaluate", "--data", str(tmp_path / "none"), "--json",
                 str(blocker / "r.json")]) == 2
    err = capsys.readouterr().err
    assert "r.json" in err and "no such" not in err  # refused before the data is read


def test_a_folder_in_the_way_of_evaluate_json(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["evaluate", "--data", str(tmp_path / "none"), "--json", str(tmp_path)]) == 2
    assert "a folder is in the way" in capsys.readouterr().err


def test_a_folder_in_the_way_of_an_export_is_refused_before_the_run(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A folder where an export's file should go failed only at the final rename, after the
    whole export (or plan) was computed; it is refused before the model is even read."""
    folder = tmp_path / "out.csv"
    folder.mkdir()
    absent = str(tmp_path / "no-model")  # reading it would be the first thing to fail
    slate = tmp_path / "slate.csv"
    slate.write_text("film_id,budget\n00001,5\n")
    for argv in (["audiences", absent, "--all", "--out", str(folder)],
                 ["recommend", absent, "--all", "--out", str(folder)],
                 ["plan", absent, "--slate", str(slate), "--out", str(folder)],
                 ["plan", absent, "--slate", str(slate), "--out", str(tmp_path / "p.csv"),
                  "--summary", str(folder)],
                 ["distribution", absent, "--slate", str(slate), "--out", str(folder)]):
        assert main(argv) == 2, argv
        err = capsys.readouterr().err
        assert "folder is in the way" in err and str(folder) in err, (argv, err)
    assert folder.is_dir() and not list(folder.iterdir())


def test_a_parquet_plan_carries_its_context(model_dir: Path, tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    """A plan written as Parquet had no metadata at all (audience exports had theirs), then
    none of its slate: a reader could not tell the films' budgets and values, nor the slate
    file (a distribution export names its own), nor what p's horizon is."""
    import json

    import pyarrow.parquet as pq

    film = str(artifact.load(model_dir).films.ids[0])
    slate = tmp_path / "slate.csv"
    slate.write_text(f"film_id,budget\n{film},5\n")
    out = tmp_path / "p.parquet"
    summary = tmp_path / "s.json"
    assert main(["plan", str(model_dir), "--slate", str(slate), "--out", str(out),
                 "--summary", str(summary)]) == 0
    body = json.loads(summary.read_text())
    context = json.loads(pq.read_schema(out).metadata[b"recommender"])
    assert context == {"kind": "plan", "pseudonymized": False, "plan_id": body["plan_id"],
                       "model_version": body["model_version"], "store_events": None,
                       "created": body["created"],
                       "parameters": body["parameters"], "horizon": body["horizon"],
                       "units": body["units"], "slate": str(slate),
                       "films": [{"film_id": film, "title": body["films"][0]["title"],
                                  "budget": 5, "value": 1.0}]}
    # a next wave: planned on the stored plan's films and remaining budgets, no slate file
    store = f"sqlite:///{tmp_path / 'store.db'}"
    assert main(["plan", str(model_dir), "--slate", str(slate), "--out", str(out),
                 "--summary", str(summary), "--store", store]) == 0
    first = json.loads(summary.read_text())["plan_id"]
    nxt = tmp_path / "next.parquet"
    assert main(["plan", str(model_dir), "--after", first, "--store", store, "--out", str(nxt),
                 "--summary", str(summary)]) == 0
    body = json.loads(summary.read_text())
    context = json.loads(pq.read_schema(nxt).metadata[b"recommender"])
    assert context["slate"] is None and context["previous_plan_id"] == first
    assert context["sent_waves"] == body["sent_waves"] and context["films"] == [
        {k: f[k] for k in ("film_id", "title", "budget", "value")} for f in body["films"]]


def test_a_plan_and_its_summary_are_put_in_place_in_one_turn(
        model_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two plans written to one --out and --summary at once could leave one plan's file
    beside the other's summary (each renamed its two files on its own). Both renames now
    happen while the plan holds the folder (``atomic.FolderTurn``): a second plan's pair
    waits. Oracle: a non-blocking flock taken at each rename fails (the folder is held)."""
    import fcntl
    import os

    film = str(artifact.load(model_dir).films.ids[0])
    slate = tmp_path / "slate.csv"
    slate.write_text(f"film_id,budget\n{film},5\n")
    out, summary = tmp_path / "out" / "p.csv", tmp_path / "out" / "s.json"
    held: dict[str, bool] = {}
    replace = os.replace

    def watched(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
        if Path(dst).parent == out.parent:
            fd = os.open(out.parent, os.O_RDONLY)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                held[Path(dst).name] = False
            except BlockingIOError:
                held[Path(dst).name] = True
            finally:
                os.close(fd)  # releases what it took
        replace(src, dst)

    monkeypatch.setattr(os, "replace", watched)
    assert main(["plan", str(model_dir), "--slate", str(slate), "--out", str(out),
                 "--summary", str(summary)]) == 0
    assert held == {"p.csv": True, "s.json": True}


@pytest.mark.parametrize("refused", ["open", "flock"])
def test_a_folder_whose_turn_cannot_be_taken_is_written_as_before(
        model_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, refused: str) -> None:
    """The turn is taken after the plan is stored: a folder this user may write but not read
    (mode -wx: opening it for reading is refused) or an NFS mount (flock on a read-only
    descriptor: EBADF) failed the command there, exit 2 with the plan stored and no file
    written. Such folders are written as they were before the turn."""
    import errno
    import fcntl
    import os

    film = str(artifact.load(model_dir).films.ids[0])
    slate = tmp_path / "slate.csv"
    slate.write_text(f"film_id,budget\n{film},5\n")
    out, summary = tmp_path / "drop" / "p.csv", tmp_path / "drop" / "s.json"
    real_open, real_flock = os.open, fcntl.flock

    def no_read(path: str | os.PathLike[str], flags: int, *args: int) -> int:
        if Path(path) == out.parent and flags == os.O_RDONLY:
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real_open(path, flags, *args)

    def no_flock(fd: int, op: int) -> None:
        raise OSError(errno.EBADF, "Bad file descriptor")

    if refused == "open":
        monkeypatch.setattr(os, "open", no_read)
    else:
        monkeypatch.setattr(fcntl, "flock", no_flock)
    assert main(["plan", str(model_dir), "--slate", str(slate), "--out", str(out),
                 "--summary", str(summary)]) == 0
    monkeypatch.setattr(os, "open", real_open)
    monkeypatch.setattr(fcntl, "flock", real_flock)
    assert out.read_text().startswith("plan_id,") and summary.exists()


def test_a_folder_created_for_an_output_is_said(model_dir: Path, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    """`--out new/deeper/x.csv` created the folders without a word (a misspelt folder name left
    the file somewhere unlooked-for): they are still created, and named on stderr, the topmost
    one created; an existing folder is not named."""
    out = tmp_path / "new" / "deeper" / "a.csv"
    assert main(["audiences", str(model_dir), "--all", "-k", "2", "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert out.is_file()
    notes = [line for line in err.splitlines() if "created the folder" in line]
    assert notes == [f"note: created the folder {tmp_path / 'new'} to write {out} (it did not "
                     "exist)"], err
    again = tmp_path / "new" / "r.parquet"
    assert main(["recommend", str(model_dir), "--all", "-k", "2", "--out", str(again)]) == 0
    assert "created the folder" not in capsys.readouterr().err
