"""A film argument that is a title, not an id, is refused (ids are byte for byte) with the
film it is the title of said first, on the CLI and over HTTP alike: 'silent carnival' listed
nine search matches, the one film of that title among them, and left the reader to pick.

Oracle: the hand-made catalog below (titles and years set by the test).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import numpy as np
import pyarrow as pa
import pytest
from fastapi.testclient import TestClient
from helpers import run_cli, synthetic_model

from recommender.model import artifact
from service.app import create_app
from service.settings import Settings

TITLES = {0: ("Silent Carnival", 2022), 1: ("The Carnival", 1983), 2: ("Heat", 1995),
          3: ("Heat", 1986), 4: ("Heat Wave", 1990),
          # titles written with their year, as MovieLens writes every title
          5: ("Psycho (1960)", 1960), 6: ("Psycho (1998)", 1998),
          7: ("Ice Storm, The (1997)", 1997), 8: ("Brazil (1985)", 0)}


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    m = synthetic_model(n_users=60, n_films=12, seed=3)
    titles = np.array([f"Film {i}" for i in range(m.n_films)], dtype=object)
    years = np.asarray(m.catalog.years).copy()
    for i, (title, year) in TITLES.items():
        titles[i], years[i] = title, year
    catalog = dataclasses.replace(m.catalog, titles=titles.astype(str), years=years)
    return artifact.save(dataclasses.replace(m, catalog=catalog),
                         tmp_path_factory.mktemp("titled") / "model")


@pytest.fixture(scope="module")
def client(model_dir: Path) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(model_path=str(model_dir), warm_cache=False))) as c:
        yield c


def _both(client: TestClient, model_dir: Path, capsys: pytest.CaptureFixture[str],
          argument: str) -> list[str]:
    code, _, err = run_cli(capsys, "audience", model_dir, argument)
    r = client.get(f"/films/{quote(argument, safe='')}/audience")
    assert code == 2 and r.status_code == 404, (err, r.text)
    return [err, r.json()["detail"]]


@pytest.mark.parametrize("argument", ["silent carnival", " SILENT CARNIVAL ",
                                      "Silent Carnival (2022)", "silent carnival  (2022)"])
def test_a_title_names_its_film_first(client: TestClient, model_dir: Path,
                                      capsys: pytest.CaptureFixture[str], argument: str) -> None:
    film = str(artifact.load(model_dir).films.ids[0])
    for said in _both(client, model_dir, capsys, argument):
        assert (f"unknown film_id {argument!r}; it is the title of {film} Silent Carnival "
                f"(2022): give its id, {film!r} (a film is named by its id, byte for byte); "
                f"it also matches titles: ") in said
        assert said.count(f"{film} Silent Carnival") == 1  # named once, not among the others


def test_a_title_of_two_films_names_both(client: TestClient, model_dir: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    ids = [str(i) for i in artifact.load(model_dir).films.ids]
    for said in _both(client, model_dir, capsys, "heat"):
        assert (f"it is the title of 2 films: {ids[2]} Heat (1995), {ids[3]} Heat (1986): "
                "give the id of the one meant") in said
    for said in _both(client, model_dir, capsys, "HEAT (1986)"):
        assert f"it is the title of {ids[3]} Heat (1986): give its id, {ids[3]!r}" in said


@pytest.mark.parametrize("argument", ["Carnival", "silent carnival (2021)", "heat wav",
                                      "Silent"])
def test_no_title_exactly_says_only_the_matches(client: TestClient, model_dir: Path,
                                                capsys: pytest.CaptureFixture[str],
                                                argument: str) -> None:
    # 'Carnival' is The Carnival for search (the article aside), but no film's title exactly
    for said in _both(client, model_dir, capsys, argument):
        assert "it is the title of" not in said and "matches titles:" in said


def test_the_titles_are_folded_once_per_model(model_dir: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """Every title stripped and folded is worked out once per model, not on each unknown
    film's 404 (45 ms a request at 100k titles; the search's own hint takes 1 to 13 ms), and
    the films found are those a plain loop over the titles finds."""
    from recommender.query import hints
    from recommender.query.hints import titled_exactly

    model = artifact.load(model_dir)
    calls = []
    caseless = hints.caseless

    def counted(a: pa.Array) -> pa.Array:
        calls.append(len(a))
        return caseless(a)

    monkeypatch.setattr(hints, "caseless", counted)
    titles = [str(t) for t in model.catalog.titles]
    years = [int(y) for y in model.catalog.years]
    for text in ("heat", " HEAT (1995) ", "silent carnival", "film 7", "heat wave (1991)", "x"):
        plain, _, year = text.strip().lower().rpartition(" (")
        want = [i for i, t in enumerate(titles) if t.strip().lower() == text.strip().lower()
                or (plain and year.rstrip(")").isdigit() and t.strip().lower() == plain.strip()
                    and years[i] == int(year.rstrip(")")))]
        assert titled_exactly(model, text).tolist() == want
    assert [n for n in calls if n > 1] == [model.n_films]  # the argument's are of one


@pytest.mark.parametrize(("argument", "films"), [
    ("psycho", [5, 6]), (" PSYCHO ", [5, 6]), ("Psycho (1998)", [6]), ("psycho  (1960)", [5]),
    ("Ice Storm, The", [7]), ("ice storm, the (1997)", [7]), ("Brazil (1985)", [8]),
    ("the ice storm", [7]), ("The Ice Storm (1997)", [7]), ("ice storm", []),
    ("psycho (1975)", []), ("brazil", []), ("Psycho II", []),
])
def test_a_title_written_with_its_year_is_named_without_it(
        client: TestClient, model_dir: Path, capsys: pytest.CaptureFixture[str], argument: str,
        films: list[int]) -> None:
    """MovieLens writes each title with its year ("Psycho (1960)"): "psycho" was the title of
    no film there (only "Psycho (1960)" was), where two films are called Psycho. The year in
    a title is left out only where it is the film's (Brazil's year unknown: "brazil" names
    none); the article may stand in front ("the ice storm") but is not left out ("ice
    storm"), as for titles without a year."""
    ids = [str(i) for i in artifact.load(model_dir).films.ids]
    named = [f"{ids[i]} {TITLES[i][0]}" for i in films]
    for said in _both(client, model_dir, capsys, argument):
        if not films:
            assert "it is the title of" not in said
        elif len(films) == 1:
            assert f"it is the title of {named[0]}: give its id, {ids[films[0]]!r}" in said
        else:
            assert f"it is the title of {len(films)} films: {', '.join(named)}: give" in said


def test_the_films_a_title_names_are_not_listed_again_among_its_matches(
        client: TestClient, model_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`audience MODEL hamlet` listed the five Hamlets twice, in two orders: as the films
    'hamlet' is the title of, then as the titles it matches. The matches now leave those out
    ("it also matches titles": the others, counted without them), on the CLI and over HTTP;
    an argument whose every match is a film it is the title of says no list at all."""
    ids = [str(i) for i in artifact.load(model_dir).films.ids]
    for said in _both(client, model_dir, capsys, "heat"):
        titled, _, matches = said.partition("; it also matches titles: ")
        assert f"{ids[2]} Heat (1995)" in titled and f"{ids[3]} Heat (1986)" in titled
        assert matches.strip() == f"{ids[4]} Heat Wave (1990)"  # the oracle: TITLES above
    for said in _both(client, model_dir, capsys, "psycho"):
        assert "matches titles" not in said and said.count(f"{ids[5]} Psycho") == 1
