"""The title a film argument is (``hints.titled_exactly``) reads an article in front or at
the end, whichever the catalog has: `audience MODEL "the matrix"` did not say it is the title
of 2571 "Matrix, The (1999)", as MovieLens writes it, nor "la cité des enfants perdus" of
"City of Lost Children, The (Cité des enfants perdus, La) (1995)". Search ranks such a query
as a whole title both ways round too.

Oracle: hand-made catalogs (titles set by the test), and ml-latest-small's titles read in
place (skipped where the shared datasets are absent).
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import numpy as np
import pytest
from helpers import run_cli, synthetic_model
from title_oracles import movielens_titles

from recommender.model import artifact
from recommender.model.model import Model
from recommender.query.hints import titled_exactly
from recommender.query.title_match import kind_of
from recommender.query.titles import TitleIndex

TITLES = ["Matrix, The (1999)", "The Matrix (1990)", "Boot, Das (1981)", "Das Boot (1985)",
          "Amelie (Fabuleux destin d'Amélie Poulain, Le) (2001)",
          "City of Lost Children, The (Cité des enfants perdus, La) (1995)",
          "Auberge espagnole, L' (2002)", "Matrix Reloaded, The (2003)", "Brazil (1985)",
          "Seven (a.k.a. Se7en) (1995)", "Film 10", "Film 11"]
YEARS = [1999, 1990, 1981, 1985, 2001, 1995, 2002, 2003, 0, 1995, 2000, 2000]


def _model(titles: list[str], years: list[int], n_users: int = 40) -> Model:
    m = synthetic_model(n_users=n_users, n_films=len(titles), seed=5)
    return dataclasses.replace(m, catalog=dataclasses.replace(
        m.catalog, titles=np.asarray(titles, dtype=str), years=np.asarray(years, np.int32)))


@pytest.mark.parametrize(("typed", "films"), [
    # the article in front names a title that has it at the end, and the other way round
    ("the matrix", [0, 1]), ("The Matrix (1999)", [0]), ("Matrix, The", [0, 1]),
    ("matrix, the (1990)", [1]), ("das boot", [2, 3]), (" Boot, Das (1985) ", [3]),
    ("l'auberge espagnole", [6]), ("the matrix reloaded", [7]),
    # an alternative title in parentheses is a name too, its article read either way
    ("le fabuleux destin d'amélie poulain", [4]), ("Fabuleux destin d'Amélie Poulain, Le", [4]),
    ("amelie (2001)", [4]), ("la cité des enfants perdus", [5]), ("the city of lost children",
                                                                  [5]), ("se7en", [9]),
    # never the article left out, nor an accent or the wrong year forgiven; a year the film
    # lacks is no alternative title
    ("matrix", []), ("boot", []), ("the matrix (2003)", []), ("auberge espagnole", []),
    ("la cite des enfants perdus", []), ("a matrix", []), ("brazil", []),
    ("Brazil (1985)", [8]), ("1985", []),
])
def test_an_article_is_read_in_front_or_at_the_end(typed: str, films: list[int]) -> None:
    assert titled_exactly(_model(TITLES, YEARS), typed).tolist() == films


def test_the_cli_and_http_say_the_title_alike(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    from fastapi.testclient import TestClient

    from service.app import create_app
    from service.settings import Settings

    model_dir = artifact.save(_model(TITLES, YEARS), tmp_path / "model")
    film = str(artifact.load(model_dir).films.ids[0])
    code, _, err = run_cli(capsys, "audience", model_dir, "the matrix (1999)")
    with TestClient(create_app(Settings(model_path=str(model_dir), warm_cache=False))) as c:
        r = c.get("/films/the%20matrix%20(1999)/audience")
    assert code == 2 and r.status_code == 404
    for said in (err, r.json()["detail"]):
        assert (f"it is the title of {film} Matrix, The (1999): give its id, {film!r}"
                in said), said


def test_search_ranks_the_title_first_both_ways_round() -> None:
    index = TitleIndex(TITLES, YEARS)
    for typed, film in [("the matrix (1999)", 0), ("matrix, the (1990)", 1), ("boot, das", 2),
                        ("Das Boot (1985)", 3), ("auberge espagnole, l'", 6),
                        ("la cité des enfants perdus", 5), ("Cité des enfants perdus, La", 5)]:
        scores, levels = index.scored(typed)
        assert int(np.argmax(scores)) == film and kind_of(float(levels[film])) == "title", typed


_MOVED = re.compile(r"^(?P<body>.*), (?P<article>The|A|An|La|Le|Les|Il|L'|El|Der|Die|Das|I"
                    r"|Une|Un|Una|Los|Lo|De|Det|En) \((?P<year>[0-9]{4})\)$")


def test_every_movielens_title_is_named_with_its_article_in_front(
        shared_datasets: Path) -> None:
    """Each ml-latest-small title written "Body, Article (YEAR)" is the one typed "article
    body" names, with or without its year (the oracle: the titles themselves, cut by a
    regular expression of this test; a film whose title repeats another's may share it)."""
    names, years = movielens_titles(shared_datasets)
    model = _model(names, years, n_users=8)
    moved = [(i, m) for i, t in enumerate(names) if (m := _MOVED.match(t))]
    assert len(moved) > 1500
    for i, m in moved[::7]:
        article = m.group("article")
        typed = (article + ("" if article.endswith("'") else " ") + m.group("body")).lower()
        same = {j for j, t in enumerate(names) if t.lower().startswith(f"{m.group('body')}, "
                                                                      f"{article} (".lower())}
        assert i in titled_exactly(model, typed).tolist(), typed
        assert titled_exactly(model, f"{typed} ({m.group('year')})").tolist() == sorted(
            j for j in same if years[j] == int(m.group("year"))), typed
