"""A users file whose place column is misspelt (``cinmea``, ``reigon``) trained without a word:
the model kept an attribute of that name and had no ``cinema``, and ``distribution --by cinema``
said only that the model has no 'cinema' attribute. ``train`` warns of each such column, and
``--by`` names the attribute it may have meant."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from helpers import run_cli as run


def _demo(capsys: pytest.CaptureFixture[str], tmp_path: Path, renamed: dict[str, str]
          ) -> tuple[Path, str]:
    """A demo folder whose users.csv has ``renamed``'s columns renamed, trained; the model and
    train's stderr."""
    data = tmp_path / "demo"
    assert run(capsys, "demo-data", data, "--users", 300, "--films", 40,
               "--interactions", 3000)[0] == 0
    users = data / "users.csv"
    with open(users, encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    rows[0] = [renamed.get(c, c) for c in rows[0]]
    with open(users, "w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(rows)
    (data / "cinemas.csv").unlink()  # a cinema table needs the cinema column
    model = tmp_path / "m"
    code, _, err = run(capsys, "train", "--data", data, "--out", model, "--no-tune",
                       "--factors", 8, "--iterations", 3)
    assert code == 0, err
    return model, err


def test_train_warns_of_a_users_column_spelt_close_to_a_place(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    typos = {"cinema": "cinmea", "region": "reigon"}  # a swap; a swap
    model, err = _demo(capsys, tmp_path, typos)
    warned = [line for line in err.splitlines() if "is not the place attribute" in line]
    assert len(warned) == len(typos), err
    for meant, typed in typos.items():
        line = next(w for w in warned if f"column {typed!r}" in w)
        assert line.startswith("warning: ") and f"place attribute {meant!r}" in line
        assert f"rename the column {meant!r}" in line
    # the model has no cinema: --by cinema names the column it kept
    from recommender.model import artifact

    film = str(artifact.load(model).films.ids[0])
    code, _, err = run(capsys, "distribution", model, film, "--by", "cinema")
    assert code == 2
    assert "have no 'cinema' attribute (did you mean 'cinmea'?" in err, err
    code, _, err = run(capsys, "distribution", model, film, "--by", "cty")
    assert code == 2 and "(did you mean 'city'?)" in err, err


def test_train_says_nothing_of_place_columns_spelt_right(capsys: pytest.CaptureFixture[str],
                                                          tmp_path: Path) -> None:
    _, err = _demo(capsys, tmp_path, {"occupation": "job"})
    assert "is not the place attribute" not in err, err


@pytest.mark.parametrize("renamed", [{"region": "religion"}, {"region": "zip_code"}])
def test_other_words_and_source_columns_are_no_misspelt_place(
        capsys: pytest.CaptureFixture[str], tmp_path: Path, renamed: dict[str, str]) -> None:
    """Two edits named other words a place (``religion``: ``region``) and a ZIP column, which
    region is worked out from, the place ``zip_zone`` ("rename zip_code zip_zone" would have
    lost the derived region); ``--by zip_zone`` suggested it too."""
    model, err = _demo(capsys, tmp_path, renamed)
    assert "is not the place attribute" not in err, err
    from recommender.model import artifact

    film = str(artifact.load(model).films.ids[0])
    code, _, err = run(capsys, "distribution", model, film, "--by", "zip_zone")
    assert code == 2 and "did you mean" not in err, err
