"""``plan --store`` and ``serve`` (``RECOMMENDER_STORE``) say so when the store file they name is
not there and they create it, as ``events import`` says: a misspelt ``--store campaign.db``
(the store was campaigns.db) made a new, empty store that ``plan`` named only as "stored in
sqlite:///...", and every later plan beside it left nothing of the real store's plans out.

Oracle: whether the file existed before the command (``Path.exists``), and the note's words
naming the file's real path; a store that was there gets no note."""

from __future__ import annotations

from pathlib import Path

import pytest
from service_fixtures import save_model

from recommender.cli import main

pytestmark = pytest.mark.usefixtures("no_recommender_env")  # its defaults, not the shell's


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_model(tmp_path_factory.mktemp("plan-new-store") / "model")


def _note(path: Path, folder: bool = False) -> str:
    return (f"no campaign store was at {path}: a new one was created there"
            f"{' (and its folder)' if folder else ''}, readable by its owner only (check the "
            "path if you meant an existing store)")


def test_plan_says_the_store_it_created(model_dir: Path, tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    slate = tmp_path / "slate.csv"
    slate.write_text("film_id,budget\n00003,5\n", encoding="utf-8")
    target = tmp_path / "new" / "campaign.db"
    assert not target.exists()
    code = main(["plan", str(model_dir), "--slate", str(slate), "--out",
                 str(tmp_path / "p1.csv"), "--store", str(target)])
    err = capsys.readouterr().err
    assert code == 0, err
    assert f"note: {_note(target.resolve(), folder=True)}" in err.splitlines()
    assert target.exists()
    # the store is there now: planning into it again says nothing of a new store
    code = main(["plan", str(model_dir), "--slate", str(slate), "--out",
                 str(tmp_path / "p2.csv"), "--store", f"sqlite:///{target}"])
    err = capsys.readouterr().err
    assert code == 0 and "no campaign store was at" not in err, err


def test_serve_says_a_store_variable_naming_no_file(model_dir: Path, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    import uvicorn

    started: list[bool] = []
    from service import server

    monkeypatch.setattr(uvicorn, "run", lambda *a, **k: started.append(True))
    # a port never bound (port 0 is bound by serve itself, to say the port chosen, and would
    # really serve)
    monkeypatch.setattr(server, "check_address", lambda *a, **k: None)
    target = tmp_path / "campaignz.db"
    monkeypatch.setenv("RECOMMENDER_STORE", str(target))
    assert main(["serve", str(model_dir), "--port", "18999"]) == 0 and started
    err = capsys.readouterr().err
    # said as an intention: the service creates it as it starts (and may fail to)
    assert (f"note: RECOMMENDER_STORE: no campaign store is at {target.resolve()}: the service "
            "will create one there, readable by its owner only (check the path if you meant "
            "an existing store; where it cannot be created the service logs why and its "
            "store routes answer 503)") in err.splitlines()
    target.touch()  # a store there: no note
    assert main(["serve", str(model_dir), "--port", "18999"]) == 0
    assert "no campaign store is at" not in capsys.readouterr().err
    # the default store beside the model, made on a first start, is not said
    monkeypatch.delenv("RECOMMENDER_STORE")
    assert main(["serve", str(model_dir), "--port", "18999"]) == 0
    assert "no campaign store is at" not in capsys.readouterr().err
