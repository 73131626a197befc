"""A file or key a command takes from an environment variable, refused, names the variable
(or the key file): ``RECOMMENDER_CINEMAS=films.csv`` said "films.csv, line 1: the header must
name cinema_id...", and a short ``RECOMMENDER_PSEUDONYM_KEY`` "the pseudonym key is 5 bytes
long", neither naming where the command had read it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from helpers import run_cli as run

from recommender.cli import main
from recommender.io import demo


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("variable-files")
    data = demo.generate(root / "data", n_users=300, n_films=60, n_interactions=4000)
    assert main(["train", "--data", str(data), "--out", str(root / "model"), "--factors", "8",
                 "--iterations", "2", "--segments", "3", "--no-tune"]) == 0
    return {"root": root, "data": data, "model": root / "model",
            "film": demo.read_manifest(data)["example_film_id"]}


@pytest.mark.parametrize("table", ["films.csv", "missing.csv"])
def test_a_cinema_table_from_the_variable_names_it(
        trained: dict[str, Any], table: str, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    path = trained["data"] / table
    argv = ["distribution", str(trained["model"]), trained["film"], "--by", "cinema",
            "--screens", "10"]
    capsys.readouterr()
    # the oracle: the same file given as --cinemas is refused, and says why
    code, _, given = run(capsys, *argv, "--cinemas", str(path))
    assert code == 2 and str(path) in given
    monkeypatch.setenv("RECOMMENDER_CINEMAS", str(path))
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == ""
    assert err == given.replace("error: ", "error: RECOMMENDER_CINEMAS: ", 1)
    code, out, err = run(capsys, *argv, "--cinemas", str(trained["data"] / "cinemas.csv"))
    assert code == 0 and "RECOMMENDER_CINEMAS" not in err  # given: the variable is not read


def test_a_short_pseudonym_key_names_where_it_came_from(
        trained: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["audiences", str(trained["model"]), "--all", "--k", "2", "--out",
            str(tmp_path / "a.csv"), "--pseudonymize"]
    monkeypatch.setenv("RECOMMENDER_PSEUDONYM_KEY", "short")
    code, _, err = run(capsys, *argv)
    assert code == 2
    assert err.startswith("error: RECOMMENDER_PSEUDONYM_KEY: the pseudonym key is 5 bytes")
    assert "'short'" not in err  # the key itself is never shown
    key_file = tmp_path / "key.txt"
    key_file.write_text("abc\n")
    code, _, err = run(capsys, *argv, "--pseudonym-key-file", str(key_file))
    assert code == 2 and err.startswith(f"error: {key_file}: the pseudonym key is 3 bytes")
    assert not (tmp_path / "a.csv").exists()
