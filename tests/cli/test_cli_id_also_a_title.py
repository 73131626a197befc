"""A film argument that is an id and also another film's title says so on stderr.

MovieLens film 300 is Quiz Show (1994) and 300 (2007) has id 51662: `audience MODEL 300
--csv` exported Quiz Show's audience with nothing to tell (the id wins, byte for byte, as
over HTTP; only the table's header names the film). Oracle: the hand-made catalog below.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest
from helpers import synthetic_model

from recommender.model import artifact
from tests.helpers import run_cli


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    m = synthetic_model(n_users=60, n_films=12, seed=2)
    ids = [str(i) for i in m.films.ids]
    titles = np.array([f"Film {i}" for i in range(m.n_films)], dtype=object)
    titles[0], titles[1] = "Quiz Show", ids[0]  # film 1 is titled as film 0's id
    titles[2] = f"{ids[0]} Reloaded"  # starts with it: no title of that name
    model = dataclasses.replace(m, catalog=dataclasses.replace(m.catalog, titles=titles))
    return artifact.save(model, tmp_path_factory.mktemp("id-title") / "model")


@pytest.mark.parametrize("argv", [("audience", "--json"), ("summary", "--json"),
                                  ("film", "--json"), ("similar", "--json"),
                                  ("audience", "--csv")])
def test_an_id_that_is_another_films_title_is_said(
        model_dir: Path, capsys: pytest.CaptureFixture[str], argv: tuple[str, str]) -> None:
    model = artifact.load(model_dir)
    film0, film1 = (str(i) for i in model.films.ids[:2])
    command, output = argv
    code, out, err = run_cli(capsys, command, model_dir, film0, output)
    assert code == 0, err
    if output == "--json":
        json.loads(out)  # stdout is the body alone
    assert (f"note: {film0!r} is the id of Quiz Show (1990) [film {film0}], the film this "
            f"answers for; {film0!r} is also the title of {film1} {film0} (1991) (give its id "
            "for that one)") in err, err
    code, out, err = run_cli(capsys, command, model_dir, film1, output)
    assert code == 0 and "is also the title of" not in err, err


@pytest.mark.parametrize("output", ["--json", "--csv", ""])
def test_a_comparable_film_id_that_is_another_films_title_is_said(
        model_dir: Path, capsys: pytest.CaptureFixture[str], output: str) -> None:
    """`cold-start --like 300` (and HTTP comparable_film_ids ["300"]) averaged Quiz Show
    without a word, where `audience 300` says it; now the note, and the JSON's
    comparable_also_titled, as a film answer's also_titled names them."""
    from fastapi.testclient import TestClient

    from service.app import create_app
    from service.settings import Settings

    model = artifact.load(model_dir)
    film0, film1, film3 = (str(i) for i in model.films.ids[[0, 1, 3]])
    code, out, err = run_cli(capsys, "cold-start", model_dir, "--like", f"{film0}=2", film3,
                             "--k", 3, *([output] if output else []))
    assert code == 0, err
    assert (f"note: {film0!r} is the id of Quiz Show (1990) [film {film0}], the comparable "
            f"film used; {film0!r} is also the title of {film1} {film0} (1991) (give its id "
            "for that one)") in err, err
    assert err.count("is also the title of") == 1, err  # film3's title is no other's id
    want = {film0: [f"{film1} {film0} (1991)"]}
    if output == "--json":
        assert json.loads(out)["comparable_also_titled"] == want
    code, out, err = run_cli(capsys, "cold-start", model_dir, "--like", film1, "--json")
    assert code == 0 and "is also the title of" not in err, err
    assert json.loads(out)["comparable_also_titled"] is None
    settings = Settings(model_path=str(model_dir), warm_cache=False, watch_interval=0)
    with TestClient(create_app(settings)) as client:
        body = client.post("/audiences/cold-start", json={
            "comparable_film_ids": [film0, film3], "k": 3}).json()
        assert body["comparable_also_titled"] == want and body["also_titled"] is None
        body = client.post("/audiences/cold-start", json={
            "comparable_film_ids": [film1], "k": 3}).json()
        assert body["comparable_also_titled"] is None



def test_a_title_the_id_names_apart_or_in_digits_is_found_without_the_catalogs_index(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """An id written together (WALL-E) or in digits (Ten) names the title as search reads it;
    the first pass over the catalog's text missed both where no other title held the word.
    And no index of the whole catalog is built: on 87,000 titles it took about 6 s of every
    CLI answer for an id whose first word some title holds (a MovieLens id of 1-3 digits)."""
    from recommender.query import id_titles, titles
    from recommender.query.catalog import with_year

    m = synthetic_model(n_users=30, n_films=6, seed=3)
    named = np.array(["WALL\u00b7E", "Ten", "Heat", "Heat Wave", "Film", "Other"], dtype=object)
    model = dataclasses.replace(m, catalog=dataclasses.replace(m.catalog, titles=named))
    ids, years = [str(i) for i in model.films.ids], model.catalog.years

    def no_index(*args: object) -> None:
        raise AssertionError("the catalog's title index was built")

    monkeypatch.setattr(titles, "title_index", no_index)
    for typed, film in (("walle", 0), ("wall e", 0), ("10", 1), ("ten", 1), ("heat", 2)):
        assert id_titles.also_titled(model, typed) == [
            f"{ids[film]} {with_year(str(named[film]), int(years[film]))}"], typed
    assert id_titles.also_titled(model, "wave") == [] and id_titles.also_titled(model, ids[2]) == []


def test_the_new_films_summary_and_distribution_name_a_comparable_id_that_is_a_title(
        model_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The README promises comparable_also_titled in the JSON, CLI and HTTP: the cold-start
    audience gave it, its summary (`cold-start --summary --json`, `POST
    /audiences/cold-start/summary`) and distribution (`POST /distribution/cold-start`) did
    not; now each new film's ``cold_start`` names it, as the audience does."""
    from fastapi.testclient import TestClient

    from service.app import create_app
    from service.settings import Settings

    model = artifact.load(model_dir)
    film0, film1, film3 = (str(i) for i in model.films.ids[[0, 1, 3]])
    want = {film0: [f"{film1} {film0} (1991)"]}
    code, out, err = run_cli(capsys, "cold-start", model_dir, "--like", f"{film0}=2", film3,
                             "--summary", "--json")
    assert code == 0, err
    assert json.loads(out)["cold_start"]["comparable_also_titled"] == want
    code, out, err = run_cli(capsys, "cold-start", model_dir, "--like", film1, "--summary",
                             "--json")
    assert code == 0 and json.loads(out)["cold_start"]["comparable_also_titled"] is None
    settings = Settings(model_path=str(model_dir), warm_cache=False, watch_interval=0)
    with TestClient(create_app(settings)) as client:
        for path in ("/audiences/cold-start/summary", "/distribution/cold-start"):
            r = client.post(path, json={"comparable_film_ids": [film0, film3]})
            assert r.status_code == 200, (path, r.text)
            assert r.json()["cold_start"]["comparable_also_titled"] == want, path
            r = client.post(path, json={"comparable_film_ids": [film1]})
            assert r.json()["cold_start"]["comparable_also_titled"] is None, path
