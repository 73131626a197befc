"""An id-list file (``audiences --films FILE``) with several unknown ids gave a hint for the
first alone: a second title typed for an id, or an id written with leading zeros, was named
among the unknown ids with no word of the film it names. Each of the first ``HINT_IDS`` gets
its own hint, naming it."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import run_cli as run
from helpers import synthetic_model

from recommender.model import artifact
from recommender.query.hints import HINT_IDS


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return artifact.save(synthetic_model(n_users=60, n_films=12, seed=4),
                         tmp_path_factory.mktemp("hints") / "m")


def test_each_unknown_id_of_a_list_gets_its_hint(capsys: pytest.CaptureFixture[str],
                                                 model_dir: Path, tmp_path: Path) -> None:
    model = artifact.load(model_dir)
    ids = [str(i) for i in model.films.ids]
    titles = [str(t) for t in model.catalog.titles]
    assert len(set(titles)) == len(titles) and all(titles)  # each title names one film
    padded = "00" + ids[5]  # the oracle: a known id with two more leading zeros
    assert padded not in ids
    films = tmp_path / "films.txt"
    films.write_text("\n".join([ids[0], titles[1], titles[2], padded, titles[3]]) + "\n")
    code, _, err = run(capsys, "audiences", model_dir, "--films", films, "--out",
                       tmp_path / "a.csv")
    assert code == 2
    assert "line 2: unknown film_id" in err and "4 of the file's 5 ids are unknown" in err
    for f in (1, 2, 3):
        assert f"{titles[f]!r} is the title of {ids[f]}" in err, (f, err)
    assert f"did you mean {ids[5]!r} for {padded!r}?" in err, err
    # past HINT_IDS unknown ids, the first HINT_IDS have a hint
    many = HINT_IDS + 2
    films.write_text("\n".join(titles[:many]) + "\n")
    code, _, err = run(capsys, "audiences", model_dir, "--films", films, "--out",
                       tmp_path / "a.csv")
    assert code == 2
    said = [f for f in range(many) if f"{titles[f]!r} is the title of {ids[f]}" in err]
    assert said == list(range(HINT_IDS)), err


def test_one_unknown_id_keeps_its_hint(capsys: pytest.CaptureFixture[str], model_dir: Path,
                                       tmp_path: Path) -> None:
    model = artifact.load(model_dir)
    films = tmp_path / "films.txt"
    films.write_text(f"{model.catalog.titles[0]}\n")
    code, _, err = run(capsys, "audiences", model_dir, "--films", films, "--out",
                       tmp_path / "a.csv")
    assert code == 2 and f"it is the title of {model.films.ids[0]}" in err, err
