"""A campaign store is never created inside a model folder: ``--store MODEL/current/s.db``
put the store in the version ``current`` named, and a later ``train --out MODEL`` (two saves
on) removed that version with the store and every event it had acknowledged."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from service_fixtures import save_model

from recommender.cli import main


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_model(tmp_path_factory.mktemp("store-in-model") / "model")


def test_a_new_store_inside_a_model_folder_is_refused(
        model_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    events = tmp_path / "events.csv"
    events.write_text(f"user_id,film_id,timestamp\nu0001,00003,{int(time.time()) - 60}\n")
    slate = tmp_path / "slate.csv"
    slate.write_text("film_id,budget\n00003,5\n")
    for inside, store in [(p, str(p)) for p in (model_dir / "current" / "s.db",
                                                 model_dir / "s.db")] + [
            (model_dir / "u.db", f"sqlite:///file:{model_dir / 'u.db'}?uri=true")]:  # a URI
        assert main(["events", "import", "--store", store, str(events)]) == 2
        assert "inside a model folder" in capsys.readouterr().err
        assert main(["plan", str(model_dir), "--slate", str(slate), "--out",
                     str(tmp_path / "plan.csv"), "--store", store]) == 2
        assert "inside a model folder" in capsys.readouterr().err
        assert not inside.exists() and not (tmp_path / "plan.csv").exists()
    beside = tmp_path / "s.db"  # anywhere else is fine
    assert main(["events", "import", "--store", str(beside), str(events)]) == 0, \
        capsys.readouterr().err
    assert beside.exists()
