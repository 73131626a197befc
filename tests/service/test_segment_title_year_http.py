"""``?segment=`` takes a label named after a film with the film's year from the catalog's
year column (the demo's films.csv keeps it there, not in the title): "crown of alaska 2012"
and "The Crown of Alaska (2012)" were 422 "unknown segment" though title search finds the film
by them, and "crown of alaska" was taken.

Oracle: the planted label's segment number; the page equals the one asked by that number.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import jsonschema_rs
import numpy as np
import pytest
from fastapi.testclient import TestClient
from service_fixtures import build_model

from recommender.io.dataset import Catalog
from recommender.model import artifact
from recommender.query.filters import _titled_forms
from service.app import create_app
from service.settings import Settings

SEGMENT = 1


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, str]]:
    model = build_model()
    film = 7
    titles = [f"Film {i}" for i in range(model.n_films)]
    titles[film] = "Crown of Alaska, The"
    years = np.full(model.n_films, 1990, np.int32)
    years[film] = 2012
    model.catalog = Catalog(model.catalog.film_ids, np.array(titles), years,
                            model.catalog.genres)
    info = model.segments.info[SEGMENT]
    info["label"] = "Fans of Crown of Alaska, The"
    info["representative_films"] = [{"film_id": str(model.films.ids[film]),
                                     "title": titles[film], "lift": 3.0}]
    path = artifact.save(model, tmp_path_factory.mktemp("title-year") / "model")
    with TestClient(create_app(Settings(model_path=str(path), warm_cache=False))) as c:
        yield c, str(model.films.ids[0])


@pytest.mark.parametrize("typed", ["crown of alaska 2012", "The Crown of Alaska (2012)",
                                   "crown of alaska"])
def test_segment_by_title_with_the_catalogs_year(served: tuple[TestClient, str],
                                                 typed: str) -> None:
    client, film_id = served
    by_title = client.get(f"/films/{film_id}/audience", params={"segment": typed, "k": 5})
    by_number = client.get(f"/films/{film_id}/audience",
                           params={"segment": str(SEGMENT), "k": 5})
    assert by_title.status_code == 200, by_title.text
    assert by_title.json() == by_number.json()
    assert {u["segment"] for u in by_title.json()["users"]} == {SEGMENT}


def test_another_year_is_refused(served: tuple[TestClient, str]) -> None:
    client, film_id = served
    r = client.get(f"/films/{film_id}/audience", params={"segment": "crown of alaska 2011"})
    assert r.status_code == 422 and "unknown segment 'crown of alaska 2011'" in r.text


def _segment_schemas(client: TestClient) -> list[dict[str, Any]]:
    """``segment``'s published schema: the audience page's query parameter and the cold-start
    body's field."""
    spec = client.get("/openapi.json").json()
    [param] = [p for p in spec["paths"]["/films/{film_id}/audience"]["get"]["parameters"]
               if p["name"] == "segment"]
    body = spec["components"]["schemas"]["ColdStartRequest"]["properties"]["segment"]
    return [param["schema"], body]


def test_the_schema_takes_every_form_the_server_takes(served: tuple[TestClient, str]) -> None:
    """The schema's pattern (it "matches exactly what the server reads") listed numbers and
    label parts alone: a client checking it refused "crown of alaska 2012", which the server
    takes. Oracle: the server's answer to each form, and the label's titled forms as the
    library reads them (``_titled_forms``)."""
    client, film_id = served
    label = client.get("/segments").json()["segments"][SEGMENT]["label"]
    forms = sorted(_titled_forms(label, 2012))
    assert "crown of alaska 2012" in forms and "the crown of alaska" in forms
    typed = [*forms, "The Crown of Alaska (2012)", "Crown of Alaska, The (2012)",
             "  CROWN of ALASKA, the 2012 ", "Fans of Crown of Alaska, The", "fans of crown",
             "Crôwn of Alaska!", str(SEGMENT), " 001 ",
             # refused: out of range, blank
             "99", "-1", "", "   "]
    validators = [jsonschema_rs.validator_for(s) for s in _segment_schemas(client)]
    for text in typed:
        r = client.get(f"/films/{film_id}/audience", params={"segment": text, "k": 1})
        assert r.status_code in (200, 422), r.text
        for v in validators:
            if r.status_code == 200:
                assert v.is_valid(text), text  # what the server takes, the schema takes
            elif text.strip() in ("", "99", "-1"):  # refused for its form, not a name
                assert not v.is_valid(text), text
    assert {t for t in typed if client.get(f"/films/{film_id}/audience", params={
        "segment": t, "k": 1}).status_code == 422} == {"99", "-1", "", "   "}
