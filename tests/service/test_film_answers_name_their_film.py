"""Every per-film JSON answer names the film it answers for, as the audience page does: its
``title`` and ``year``, and ``also_titled``, the other films whose title its id also is.

MovieLens film 300 is Quiz Show and 300 (2007) has another id: ``GET /films/300/similar``
answered Quiz Show's comparable films with only ``film_id`` in the body (and so did the
film's demand by place; its summary and details named the title alone), so a caller who
typed "300" meaning the 2007 film could not tell. Each answer with a film id in its path
(similar films, the audience summary, demand by place, the film's details), in its path and
its query form (``/film/similar?film_id=``), and each command's ``--json`` (the same bytes)
carry the fields; a film with no history (cold-start demand) has none to name: null. Oracle:
the catalog ``title_oracles.planted_catalog`` plants (which film has which title).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from helpers import run_cli
from pydantic import BaseModel
from title_oracles import PLANTED_ID, named_in, names_said, planted_catalog

from service.app import create_app
from service.routes.distribution import Distribution
from service.schemas import FilmDetail, SimilarFilms
from service.settings import Settings
from service.summary_schemas import AudienceSummary

Catalog = tuple[Path, list[str], list[str], list[int]]

# answer: (route after /films/{id}, query, the command and its options, response model)
ANSWERS: dict[str, tuple[str, dict[str, Any], tuple[str, ...], type[BaseModel]]] = {
    "similar": ("/similar", {"k": 5}, ("similar", "--k", "5"), SimilarFilms),
    "summary": ("/audience/summary", {}, ("summary",), AudienceSummary),
    "summary-all": ("/audience/summary", {"tier": "all"}, ("summary", "--tier", "all"),
                    AudienceSummary),
    "distribution": ("/distribution", {"by": "region"},
                     ("distribution", "--by", "region"), Distribution),
    "distribution-screens": ("/distribution", {"by": "region", "screens": 12},
                             ("distribution", "--by", "region", "--screens", "12"),
                             Distribution),
    "film": ("", {}, ("film",), FilmDetail),
}


@pytest.fixture(scope="module")
def catalog(tmp_path_factory: pytest.TempPathFactory) -> Catalog:
    return planted_catalog(tmp_path_factory.mktemp("answers-name-their-film"))


@pytest.fixture(scope="module")
def client(catalog: Catalog) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(model_path=str(catalog[0]),
                                        warm_cache=False))) as c:
        yield c


@pytest.mark.parametrize("film", [PLANTED_ID, "00005", "00004", "00000"])
@pytest.mark.parametrize("answer", list(ANSWERS))
def test_each_film_answer_names_its_film(catalog: Catalog, client: TestClient,
                                         capsys: pytest.CaptureFixture[str], film: str,
                                         answer: str) -> None:
    folder, ids, titles, years = catalog
    suffix, query, argv, schema = ANSWERS[answer]
    want = named_in(ids, titles, years, film)
    if film == PLANTED_ID:  # the oracle found what was planted
        assert want == {"title": "Quiz Show", "year": 1994, "also_titled": [
            "00005 00003 (2007)", "00009 00003 (2001)"]}
    http = client.get(f"/films/{film}{suffix}", params=query)
    assert http.status_code == 200, http.text
    body = http.json()
    assert body["film_id"] == film and names_said(body) == want
    schema.model_validate(body)
    assert set(body) <= set(schema.model_fields)  # no field its schema does not describe
    # the query form answers the same bytes
    form = client.get(f"/film{suffix}", params={"film_id": film, **query})
    assert form.status_code == 200 and form.content == http.content
    # the command's --json prints the body, byte for byte
    command, *options = argv
    code, out, err = run_cli(capsys, command, folder, film, *options, "--json")
    assert code == 0, err
    assert out == http.content.decode() + "\n"
    # the stderr note still says it too, for the id that is another film's title
    assert ("is also the title of" in err) == (film == PLANTED_ID)


def test_a_film_with_no_history_names_no_film(catalog: Catalog, client: TestClient,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    http = client.post("/distribution/cold-start",
                       json={"comparable_film_ids": [PLANTED_ID, "00005"], "by": "region"})
    assert http.status_code == 200, http.text
    body = http.json()
    assert body["film_id"] is None and names_said(body) == {
        "title": None, "year": None, "also_titled": None}
    Distribution.model_validate(body)
    code, out, err = run_cli(capsys, "distribution", catalog[0], "--like", PLANTED_ID,
                             "00005", "--by", "region", "--json")
    assert code == 0, err
    assert out == http.content.decode() + "\n"


def test_the_new_fields_are_described(client: TestClient) -> None:
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    for name in ("SimilarFilms", "AudienceSummary", "Distribution", "FilmDetail"):
        properties = schemas[name]["properties"]
        for field in ("title", "year", "also_titled"):
            assert properties[field]["description"], (name, field)
        # each answer carries them (null where there is none): the schema requires them
        assert {"title", "year", "also_titled"} <= set(schemas[name]["required"]), name
