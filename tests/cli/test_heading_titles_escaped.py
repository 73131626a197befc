"""A heading line naming a film or a user shows a title's line break and direction override
escaped, as the tables do (``\\n``, ``\\u202e``): ``Audience for <title>`` printed them raw,
breaking the line in two or reordering the rest of it on a terminal."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from helpers import run_cli as run
from helpers import synthetic_model

from recommender.io.dataset import Catalog, UserTable
from recommender.io.ids import IdMap
from recommender.model import artifact

TITLE = "Two\nLines \u202eevil\u2028end"
SHOWN = "Two\\nLines \\u202eevil\\u2028end"  # as Python's unicode_escape writes each one
GENRE = "Drama\u2066x"
USER = "user\u202e-1"


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    m = synthetic_model(n_users=150, n_films=12, seed=3)
    c = m.catalog
    titles = np.asarray(c.titles).astype(object)
    titles[0] = TITLE
    genres = np.asarray(c.genres).astype(object)
    genres[0] = GENRE
    m.catalog = Catalog(c.film_ids, titles.astype(str), c.years, genres.astype(str))
    ids = np.asarray(m.users.ids).astype(object)
    ids[5] = USER
    m.users = IdMap(ids.astype(str))
    m.user_table = UserTable(ids.astype(str), m.user_table.attributes)
    return artifact.save(m, tmp_path_factory.mktemp("escaped") / "model")


def film(model_dir: Path) -> str:
    return str(artifact.load(model_dir).films.ids[0])


@pytest.mark.parametrize(("argv", "heading"), [
    (["audience", "--k", 3], "Audience for "),
    (["summary"], "Audience summary for "),
    (["film"], ""),
    (["similar", "--k", 3], "Films similar to "),
])
def test_a_film_heading_escapes_its_title(model_dir: Path, capsys: pytest.CaptureFixture[str],
                                          argv: list[object], heading: str) -> None:
    code, out, err = run(capsys, argv[0], model_dir, film(model_dir), *argv[1:])
    assert code == 0, err
    first = out.splitlines()[0]
    assert first.startswith(f"{heading}{SHOWN} (")
    assert not any(c in out for c in "\u202e\u2028\u2066"), out
    # the heading is one line: no line begins with the rest of the title
    assert not any(line.startswith("Lines") for line in out.splitlines()), out


def test_the_film_and_audience_headings_escape_the_genres(
        model_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (["audience", model_dir, film(model_dir), "--k", 3],
                 ["film", model_dir, film(model_dir)]):
        code, out, err = run(capsys, *argv)
        assert code == 0, err
        assert "Drama\\u2066x" in out.splitlines()[0], out


def test_recommend_escapes_the_user_in_its_heading(
        model_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "recommend", model_dir, "--user", USER, "--k", 2)
    assert code == 0, err
    assert out.splitlines()[0].startswith("Top 2 films for user user\\u202e-1"), out
    assert "\u202e" not in out


def test_lookalike_escapes_the_unknown_seed_ids_it_skips(
        model_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    seeds = tmp_path / "seeds.txt"
    seeds.write_text(f"{USER}\nuser-0007\nghost\u2028x\n", encoding="utf-8")
    code, out, err = run(capsys, "lookalike", model_dir, "--seeds", seeds, "--k", 2)
    assert code == 0, err
    assert "skipped 1 unknown seed id: ghost\\u2028x" in err and "\u2028" not in err, err


def test_search_escapes_the_genre_in_its_heading(
        model_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``N films match '' in <genre>`` printed the catalog's genre raw (its U+2066 isolate
    reordered the rest of the line), where the table's genres cell shows it escaped."""
    code, out, err = run(capsys, "search", model_dir, "", "--genre", GENRE)
    assert code == 0, err
    assert out.splitlines()[0].startswith("1 film matches '' in Drama\\u2066x; showing 1"), out
    assert "\u2066" not in out
