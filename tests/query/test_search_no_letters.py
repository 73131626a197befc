"""A title search for a query that holds no letter or digit (an emoji, punctuation alone)
says why it finds no title: `search MODEL "🍿" --match substring` and `GET
/films?query=🍿&match=substring` answered "0 films match '🍿'" of a film titled "Popcorn 🍿
Night", as if no title held it; search compares titles' letters and digits alone (the
README: "case, accents and punctuation aside"), so the emoji is dropped from both. A
substring search is refused (exit 2, 422 naming ``query``); the default search, which also
finds a film by its id, says it under its header when it finds none.

Oracle: the tiny catalog below (its titles and ids set by the test).
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from helpers import run_cli
from small_logs import small_model

from recommender.errors import InvalidParameterError
from recommender.model import artifact
from recommender.query.catalog import search_body
from service.app import create_app
from service.settings import Settings

FILMS = [("pop", "Popcorn 🍿 Night", 2020), ("clap", "🎬", 2021), ("🎥", "Night Watch", 2004),
         ("f-1", "Film 1", 2000)]
SAID = "holds no letter or digit: a title search compares the letters and digits of titles"


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return small_model(tmp_path_factory.mktemp("emoji") / "model", FILMS)


@pytest.mark.parametrize("query", ["🍿", " 🎬 ", "!?", "'"])
def test_a_substring_search_of_no_letters_is_refused_saying_why(
        model_dir: Path, query: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(InvalidParameterError, match=SAID) as e:
        search_body(artifact.load(model_dir), query, 20, 0, None, match="substring")
    assert e.value.param == "query"
    code, out, err = run_cli(capsys, "search", model_dir, query, "--match", "substring")
    assert code == 2 and f"query {query!r} {SAID}" in err and "films match" not in out, err
    with TestClient(create_app(Settings(model_path=str(model_dir), warm_cache=False))) as c:
        r = c.get(f"/films?query={quote(query)}&match=substring")
    assert r.status_code == 422 and SAID in r.json()["detail"], r.text


def test_the_default_search_says_why_it_finds_none(
        model_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "search", model_dir, "🍿")
    assert code == 0 and "0 films match '🍿'" in out
    assert f"query '🍿' {SAID}" in out and "(nor is it a film's id)" in out, out
    # an id of no letters is still found, as the id (no word of why none was found)
    code, out, _ = run_cli(capsys, "search", model_dir, "🎥")
    assert code == 0 and "1 film matches '🎥'" in out and "Night Watch" in out, out
    assert SAID not in out
    # a query with letters beside the emoji searches by them, as before
    body = search_body(artifact.load(model_dir), "popcorn 🍿", 20, 0, None, match="substring")
    assert [f["film_id"] for f in body["films"]] == ["pop"]
