"""A lookalike seed file: an unknown seed was said as "skipped 1 unknown seed id: zz" with no
line (a duplicate names its line), and a blank line mid-file was skipped without a note (a
list cut in two read whole, unsaid). Each unknown seed names its line; the blank lines between
ids are noted, in every id list read."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import run_cli as run
from helpers import synthetic_model

from recommender.model import artifact


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return artifact.save(synthetic_model(n_users=60, n_films=10, seed=6),
                         tmp_path_factory.mktemp("seeds") / "m")


def test_unknown_seeds_name_their_lines_and_blank_lines_are_noted(
        capsys: pytest.CaptureFixture[str], model_dir: Path, tmp_path: Path) -> None:
    users = [str(u) for u in artifact.load(model_dir).users.ids]
    assert "zz" not in users and "yy" not in users
    lines = ["user_id", users[0], "", users[1], users[1], "zz", "", "", users[2], "yy", ""]
    seeds = tmp_path / "seeds.txt"
    seeds.write_text("\n".join(lines))
    # the oracle: the 1-based lines of each unknown id and of the blank lines between ids
    at = {s: n for n, s in reversed(list(enumerate(lines, start=1)))}
    last = max(n for n, s in enumerate(lines, start=1) if s)
    blank = [n for n, s in enumerate(lines, start=1) if not s and n < last]
    assert blank == [3, 7, 8]
    code, out, err = run(capsys, "lookalike", model_dir, "--seeds", seeds, "-k", 3)
    assert code == 0, err
    assert (f"skipped 2 unknown seed ids: zz (line {at['zz']}), yy (line {at['yy']})"
            in err), err
    assert (f"note: {seeds}: 3 blank lines between ids skipped (lines "
            f"{', '.join(map(str, blank))})") in err, err
    assert "Lookalikes of 3 seed users" in out


def test_a_film_list_notes_its_blank_lines_and_a_tidy_list_says_nothing(
        capsys: pytest.CaptureFixture[str], model_dir: Path, tmp_path: Path) -> None:
    films = [str(f) for f in artifact.load(model_dir).films.ids]
    path = tmp_path / "films.txt"
    path.write_text(f"{films[0]}\n\n{films[1]}\n\n\n")  # blank lines at the end: no note
    code, _, err = run(capsys, "audiences", model_dir, "--films", path, "--out",
                       tmp_path / "a.csv")
    assert code == 0, err
    assert f"note: {path}: 1 blank line between ids skipped (line 2)" in err, err
    path.write_text(f"{films[0]}\n{films[1]}\n\n")
    code, _, err = run(capsys, "audiences", model_dir, "--films", path, "--out",
                       tmp_path / "a.csv")
    assert code == 0 and "blank line" not in err, err
