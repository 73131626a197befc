"""Table answers (audience, summary, segments; then similar, lookalike, cold-start, recommend
--user and --watched, distribution, film, search, attributes) named no model, while their
``--json`` (and ``audience --csv``) said "note: answer from model <version> ..." on stderr: a
table kept from a run could not tell which model gave it. Every table says the same note."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import run_cli as run
from helpers import synthetic_model

from recommender.model import artifact


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return artifact.save(synthetic_model(n_users=80, n_films=10, seed=7),
                         tmp_path_factory.mktemp("note") / "m")


def _notes(err: str) -> list[str]:
    return [line for line in err.splitlines() if line.startswith("note: answer from model")]


#: each answer's arguments after the model folder (FILM, USER: the model's first film and user;
#: SEEDS, WATCHED: files listing them)
ANSWERS = {"audience": ["FILM"], "summary": ["FILM"], "segments": [], "similar": ["FILM"],
           "lookalike": ["--seeds", "SEEDS"], "cold-start": ["--like", "FILM"],
           "recommend --user": ["--user", "USER"], "recommend --watched": ["--watched", "WATCHED"],
           "distribution": ["FILM"], "film": ["FILM"], "search": [""], "attributes": []}


@pytest.mark.parametrize("command", sorted(ANSWERS))
def test_a_table_names_its_model_as_json_does(capsys: pytest.CaptureFixture[str],
                                              model_dir: Path, tmp_path: Path,
                                              command: str) -> None:
    model = artifact.load(model_dir)
    film, user = str(model.films.ids[0]), str(model.users.ids[0])
    (tmp_path / "seeds.txt").write_text(f"{user}\n")
    (tmp_path / "watched.txt").write_text(f"{film}\n")
    named = {"FILM": film, "USER": user, "SEEDS": str(tmp_path / "seeds.txt"),
             "WATCHED": str(tmp_path / "watched.txt")}
    argv = [command.split()[0], model_dir] + [named.get(a, a) for a in ANSWERS[command]]
    code, _, err = run(capsys, *argv, "--json")
    assert code == 0, err
    said = _notes(err)  # the oracle: the --json answer's note, naming the model's version
    assert len(said) == 1 and model.version in said[0], err
    code, out, err = run(capsys, *argv)
    assert code == 0, err
    assert _notes(err) == said, err
    assert "note: answer" not in out  # stdout holds the table alone
