"""A ``RECOMMENDER_STORE`` a command would read (it takes ``--store``, none given) that names
no store is refused naming the variable, before the command's work: the message named "the
campaign store" alone, and who reads it may not know the store came from the environment."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import run_cli as run
from helpers import synthetic_model

from recommender.model import artifact


@pytest.fixture
def model_dir(tmp_path: Path) -> Path:
    return artifact.save(synthetic_model(n_users=30, n_films=6, seed=1), tmp_path / "m")


@pytest.mark.parametrize("value, why", [
    ("mysql://db/campaigns", "the campaign store supports sqlite:// and postgresql:// URLs, "
                             "got mysql://"),
    ("   ", "the campaign store needs a database URL or a file path"),
    ("postgresql://crm:hunter2@db:port/x", "its port is not a number"),
])
@pytest.mark.parametrize("command", [["audience", "{model}", "{film}"],
                                     ["campaign", "list"], ["info", "{model}"]])
def test_the_variable_is_named(model_dir: Path, monkeypatch: pytest.MonkeyPatch,
                               capsys: pytest.CaptureFixture[str], value: str, why: str,
                               command: list[str]) -> None:
    film = str(artifact.load(model_dir).films.ids[0])
    argv = [a.format(model=model_dir, film=film) for a in command]
    monkeypatch.setenv("RECOMMENDER_STORE", value)
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == ""
    assert err.startswith("error: RECOMMENDER_STORE: ") and why in err, err
    assert "hunter2" not in err
    if not value.strip():
        return  # --store '   ' is argparse's to refuse
    # the oracle: the same store given as --store is refused for the same reason, the
    # variable not named (it is not read)
    code, out, err = run(capsys, *argv, "--store", value)
    assert code == 2 and why in err and "RECOMMENDER_STORE" not in err


def test_a_store_given_is_read_and_the_variable_is_not(
        model_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("RECOMMENDER_STORE", "mysql://db/campaigns")
    code, out, err = run(capsys, "info", str(model_dir), "--store", str(tmp_path / "s.db"))
    assert "RECOMMENDER_STORE" not in err and "s.db" in err  # the one given: not there
    monkeypatch.setenv("RECOMMENDER_STORE", "")  # empty: no store, as every reader takes it
    code, out, err = run(capsys, "info", str(model_dir))
    assert code == 0, err
