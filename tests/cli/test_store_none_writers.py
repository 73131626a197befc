"""``--store none`` on the commands that keep campaigns: ``plan --store none`` read ``none``
as a file path and created a store named ``none`` in the working directory (and so did
``events import``). Now ``plan`` reads it as the answers do, no store: the plan is not
stored and is made on the model as trained (the oracle: the same plan on a copy of the model
folder with no store beside it); every command that needs a store refuses it, saying so and
how to name one, and creates no file; each command's --help says which it is."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import pytest
from service_fixtures import save_model

from recommender.cli import main

FILM = "00003"
REFUSED = "needs a campaign store, and --store none names none"


@pytest.fixture()
def folders(tmp_path: Path, capsys: pytest.CaptureFixture[str],
            monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path, Path]:
    """The model with the service's default store beside it, holding events of FILM's
    first viewers to be; a bare copy of the folder; a working directory to run in."""
    monkeypatch.delenv("RECOMMENDER_STORE", raising=False)
    model_dir = save_model(tmp_path / "model")
    bare = tmp_path / "bare" / "model"
    shutil.copytree(model_dir, bare)
    assert main(["audience", str(bare), FILM, "--k", "20", "--json"]) == 0
    users = [u["user_id"] for u in json.loads(capsys.readouterr().out)["users"]]
    now = int(time.time())
    events = tmp_path / "events.csv"
    events.write_text("user_id,film_id,timestamp\n" + "".join(
        f"{u},{FILM},{now}\n" for u in users), encoding="utf-8")
    assert main(["events", "import", str(events), "--store",
                 str(tmp_path / "model.campaigns.db")]) == 0
    capsys.readouterr()
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    return model_dir, bare, work


def plan_rows(model: Path, slate: Path, out: Path, capsys: pytest.CaptureFixture[str],
              *more: str) -> tuple[list[str], str]:
    """The plan's rows, each without its plan id (a new one each time), and stderr."""
    code = main(["plan", str(model), "--slate", str(slate), "--out", str(out), "--seed", "3",
                 *more])
    err = capsys.readouterr().err
    assert code == 0, err
    return [line.split(",", 1)[1] for line in out.read_text().splitlines()], err


def test_plan_store_none_is_not_stored_and_reads_the_model_as_trained(
        folders: tuple[Path, Path, Path], capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    model_dir, bare, work = folders
    slate = work.parent / "slate.csv"
    slate.write_text(f"film_id,budget\n{FILM},60\n", encoding="utf-8")
    trained, _ = plan_rows(bare, slate, work.parent / "trained.csv", capsys)
    read, err = plan_rows(model_dir, slate, work.parent / "read.csv", capsys)
    assert read != trained  # the store beside the model moves the plan (its viewers)
    for store in ("none", "NONE"):
        rows, err = plan_rows(model_dir, slate, work.parent / "none.csv", capsys,
                              "--store", store)
        assert rows == trained
        assert "is not in the campaign store that `serve" in err
        assert not (work / store).exists() and list(work.iterdir()) == []
    # over the variable too: its store is neither created nor written
    monkeypatch.setenv("RECOMMENDER_STORE", str(work.parent / "named.db"))
    rows, err = plan_rows(model_dir, slate, work.parent / "none.csv", capsys, "--store", "none")
    assert rows == trained and "is not in the campaign store that `serve" in err
    assert not (work.parent / "named.db").exists()
    # an idempotency key has no store to be kept in
    assert main(["plan", str(model_dir), "--slate", str(slate), "--out", "p.csv",
                 "--store", "none", "--idempotency-key", "k1"]) == 2
    assert "--idempotency-key needs a campaign store" in capsys.readouterr().err
    assert list(work.iterdir()) == []


NEEDS = [
    ["events", "import", "{events}"],
    ["events", "status"],
    ["campaign", "list"],
    ["campaign", "show", "p1"],
    ["campaign", "report", "p1"],
    ["campaign", "sent", "p1", "--wave", "1"],
    ["campaign", "withdraw", "p1", "--sent-waves", "0"],
    ["campaign", "simulate", "p1", "--data", "{work}", "--model", "{model}", "--out", "r.csv"],
    ["campaign", "copy", "--to", "{work}/copy.db"],
    ["campaign", "backup", "--to", "{work}/backup.db"],
    ["campaign", "reopen"],
    ["plan", "{model}", "--after", "p1", "--out", "next.csv"],
]


@pytest.mark.parametrize("ask", NEEDS, ids=[" ".join(a[:2]) for a in NEEDS])
def test_a_command_that_needs_a_store_refuses_store_none(
        folders: tuple[Path, Path, Path], capsys: pytest.CaptureFixture[str],
        ask: list[str]) -> None:
    model_dir, _, work = folders
    argv = [a.format(events=work.parent / "events.csv", work=work, model=model_dir)
            for a in ask]
    for store in ("none", "None"):
        assert main([*argv, "--store", store]) == 2
        err = capsys.readouterr().err
        name = " ".join(ask[:1] if ask[0] == "plan" else ask[:2])
        assert f"{name} {REFUSED}" in err, err
        assert "--store ./none" in err and "RECOMMENDER_STORE" in err
        assert list(work.iterdir()) == []  # no store file named none, nor any other


def help_of(capsys: pytest.CaptureFixture[str], *command: str) -> str:
    try:
        assert main([*command, "--help"]) == 0
    except SystemExit as e:
        assert e.code == 0
    return " ".join(capsys.readouterr().out.split())


@pytest.mark.parametrize("command", sorted({tuple(a[:1] if a[0] == "plan" else a[:2])
                                            for a in NEEDS if a[0] != "plan"}))
def test_the_help_of_a_command_that_needs_a_store_says_none_is_refused(
        capsys: pytest.CaptureFixture[str], command: tuple[str, ...]) -> None:
    said = help_of(capsys, *command)
    assert "--store none" in said and "is refused" in said, said


def test_the_help_of_plan_and_an_answer_says_what_none_is(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert "none: not stored, the model as trained" in help_of(capsys, "plan")
    assert "none: no store read, the model as trained" in help_of(capsys, "audience")
