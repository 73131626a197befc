"""``train`` warns of a catalog whose genres are separated by commas or semicolons.

Genres are ``|``-separated: ``Action, Comedy`` was read as one genre of that name, apart from
``Action`` and ``Comedy`` (segment labels, portraits, ``--genre``), without a word.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import run_cli


def _train(tmp_path: Path, capsys: pytest.CaptureFixture[str], genres: list[str]) -> str:
    rows = "".join(f"u{u},f{(u * 7 + j) % 30}\n" for u in range(60) for j in range(8))
    (tmp_path / "log.csv").write_text("user_id,film_id\n" + rows)
    (tmp_path / "films.csv").write_text("film_id,title,year,genres\n" + "".join(
        f'f{f},Film {f},1999,"{genres[f % len(genres)]}"\n' for f in range(30)))
    code, _, err = run_cli(capsys, "train", "--data", tmp_path / "log.csv", "--out",
                           tmp_path / "m", "--films", tmp_path / "films.csv", "--no-tune",
                           "--factors", 4)
    assert code == 0, err
    return str(err)


def test_comma_separated_genres_are_a_warning(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    err = _train(tmp_path, capsys, ["Action, Comedy", "Drama", "Crime;Drama"])
    assert ("warning: the genres of 20 films of the catalog hold ',' or ';' (e.g. "
            "'Action, Comedy'): genres are '|'-separated") in err


def test_pipe_separated_genres_say_nothing(tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    err = _train(tmp_path, capsys, ["Action | Comedy", "Drama", "Children's"])
    assert "genres" not in err
