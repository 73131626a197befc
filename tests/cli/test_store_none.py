"""``--store none`` answers from the model as trained, as its help says: it was read as a path
("no campaign store at .../none"), so once ``serve`` had made ``MODEL.campaigns.db`` beside
the model every answer folded in its events and no one could ask for the model as trained.
The oracle: the same command on a copy of the model folder with no store beside it."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import pytest
from service_fixtures import save_model

from recommender.cli import main

FILM = "00003"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert code == 0, err
    return out, err


@pytest.fixture()
def folders(tmp_path: Path, capsys: pytest.CaptureFixture[str],
            monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path, list[str]]:
    """The model with the service's default store beside it, holding events of the first
    three users of FILM's audience watching it; a copy of the folder with no store; those
    users."""
    monkeypatch.delenv("RECOMMENDER_STORE", raising=False)
    model_dir = save_model(tmp_path / "model")
    bare = tmp_path / "bare" / "model"
    shutil.copytree(model_dir, bare)
    out, _ = run(capsys, "audience", str(bare), FILM, "--k", "8", "--json")
    users = [u["user_id"] for u in json.loads(out)["users"]][:3]
    now = int(time.time())
    events = tmp_path / "events.csv"
    events.write_text("user_id,film_id,timestamp\n" + "".join(
        f"{u},{FILM},{now}\n" for u in users), encoding="utf-8")
    run(capsys, "events", "import", str(events), "--store",
        str(tmp_path / "model.campaigns.db"))
    return model_dir, bare, users


ASKS = [
    ["audience", "{m}", FILM, "--k", "8", "--json"],
    ["recommend", "{m}", "--user", "{u}", "--k", "5", "--json"],
    ["summary", "{m}", FILM, "--json"],
    ["film", "{m}", FILM, "--json"],
]


@pytest.mark.parametrize("ask", ASKS, ids=[a[0] for a in ASKS])
def test_store_none_is_the_model_as_trained(folders: tuple[Path, Path, list[str]],
                                            capsys: pytest.CaptureFixture[str],
                                            ask: list[str]) -> None:
    model_dir, bare, users = folders

    def argv(m: Path) -> list[str]:
        return [a.format(m=m, u=users[0]) for a in ask]

    trained, _ = run(capsys, *argv(bare))
    read, err = run(capsys, *argv(model_dir))
    assert read != trained and "note: reading the campaign store" in err  # the store moves it
    out, err = run(capsys, *argv(model_dir), "--store", "none")
    assert out == trained and "campaign store" not in err
    out, _ = run(capsys, *argv(model_dir), "--store", "NONE")
    assert out == trained


def test_store_none_outranks_the_variable_and_a_file_named_none(
        folders: tuple[Path, Path, list[str]], tmp_path: Path,
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    model_dir, bare, users = folders
    ask = ["audience", FILM, "--k", "8", "--json"]
    trained, _ = run(capsys, ask[0], str(bare), *ask[1:])
    read, _ = run(capsys, ask[0], str(model_dir), *ask[1:])
    store = tmp_path / "model.campaigns.db"
    monkeypatch.setenv("RECOMMENDER_STORE", str(store))
    assert run(capsys, ask[0], str(model_dir), *ask[1:])[0] == read
    assert run(capsys, ask[0], str(model_dir), *ask[1:], "--store", "none")[0] == trained
    # a store file literally named none is read as ./none (the help says so); none alone
    # still reads no store, even where that file is in the working directory
    monkeypatch.delenv("RECOMMENDER_STORE")
    work = tmp_path / "work"
    work.mkdir()
    shutil.copy(store, work / "none")
    monkeypatch.chdir(work)
    assert run(capsys, ask[0], str(bare), *ask[1:], "--store", "./none")[0] == read
    assert run(capsys, ask[0], str(bare), *ask[1:], "--store", "none")[0] == trained


def test_store_none_is_allowed_where_a_store_is_refused(
        folders: tuple[Path, Path, list[str]], tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    """``recommend --watched`` and ``info --versions`` refuse a store, whose events they
    would not read: ``--store none`` asks for no store and is taken; a named store is still
    refused."""
    model_dir, bare, _ = folders
    watched = tmp_path / "watched.txt"
    watched.write_text("00004\n00005\n", encoding="utf-8")
    ask = ["recommend", "--watched", str(watched), "--k", "4", "--json"]
    trained, _ = run(capsys, ask[0], str(bare), *ask[1:])
    assert run(capsys, ask[0], str(model_dir), *ask[1:], "--store", "none")[0] == trained
    assert main([ask[0], str(model_dir), *ask[1:], "--store",
                 str(tmp_path / "model.campaigns.db")]) == 2
    assert "drop --store" in capsys.readouterr().err
    versions, _ = run(capsys, "info", str(model_dir), "--versions")
    assert run(capsys, "info", str(model_dir), "--versions", "--store", "none")[0] == versions
