"""A film's audience page names the film it answers for: its title and year, and the other
films whose title its id also is (``also_titled``), as the CLI says on stderr.

MovieLens film 300 is Quiz Show and 300 (2007) has another id: ``GET /films/300/audience``
answered Quiz Show's audience with only ``film_id`` in the body, so a caller who typed "300"
meaning the 2007 film could not tell. Every variant of the page (plain, a ring, a segment, a
filter, pseudonymised; the fast path's and the body cache's bytes) and ``audience --json``
carry the same fields. Oracle: the catalog planted by
``title_oracles.planted_catalog`` (which film has which title).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from helpers import run_cli
from service_fixtures import GENRES
from title_oracles import PLANTED_ID, named_in, names_said, planted_catalog

from service.app import create_app
from service.schemas import Audience
from service.settings import Settings

PSEUDONYM_KEY = "names-its-film-pseudonym-key-0123456789"
ID = PLANTED_ID  # a film's id, and the title of two other films


@pytest.fixture(scope="module")
def catalog(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str], list[str],
                                                               list[int]]:
    """(model folder, film ids, titles, years) of the service-test model with ``PLANTED``."""
    return planted_catalog(tmp_path_factory.mktemp("names-its-film"))


def _client(folder: Path, fast: bool) -> TestClient:
    return TestClient(create_app(Settings(model_path=str(folder), fast_path=fast,
                                          warm_cache=False, pseudonym_key=PSEUDONYM_KEY,
                                          min_cell=1)))


@pytest.fixture(scope="module")
def clients(catalog: tuple[Path, list[str], list[str], list[int]]
            ) -> Iterator[tuple[TestClient, TestClient]]:
    with _client(catalog[0], True) as fast, _client(catalog[0], False) as routed:
        yield fast, routed


QUERIES: list[dict[str, Any]] = [
    {}, {"k": 5, "offset": 2}, {"exclude_seen": "false", "k": 3}, {"tier": "core"},
    {"tier": "extended", "k": 4, "offset": 1}, {"segment": "1", "k": 4},
    {"filter": "region=R1", "k": 4}, {"tier": "broad", "filter": "gender=F"},
    {"pseudonymize": "true", "k": 6}, {"pseudonymize": "true", "tier": "core"},
]


@pytest.mark.parametrize("film", [ID, "00005", "00004", "00000"])
@pytest.mark.parametrize("query", QUERIES, ids=lambda q: "&".join(f"{k}={v}" for k, v in
                                                                   q.items()) or "plain")
def test_every_audience_page_names_its_film(
        catalog: tuple[Path, list[str], list[str], list[int]],
        clients: tuple[TestClient, TestClient], film: str, query: dict[str, Any]) -> None:
    _, ids, titles, years = catalog
    fast, routed = clients
    want = named_in(ids, titles, years, film)
    if film == ID:  # the oracle found what was planted
        assert want == {"title": "Quiz Show", "year": 1994, "also_titled": [
            "00005 00003 (2007)", "00009 00003 (2001)"]}
    bodies = []
    for _ in range(2):  # a miss, then the body cache's (and the fast path's) hit
        a, b = fast.get(f"/films/{film}/audience", params=query), \
            routed.get(f"/films/{film}/audience", params=query)
        assert a.status_code == b.status_code == 200, (a.text, b.text)
        assert a.content == b.content  # the fast path's bytes are the route's
        bodies.append(a.content)
    assert bodies[0] == bodies[1]
    body = a.json()
    assert body["film_id"] == film and names_said(body) == want
    assert list(body)[:4] == ["film_id", "title", "year", "also_titled"]
    assert Audience.model_validate(body).model_dump(mode="json") == body  # its schema
    if query.get("pseudonymize"):
        assert body["users"] and all(u["user_id"].startswith("p-") for u in body["users"])


def test_audience_json_names_the_film_as_http_does(
        catalog: tuple[Path, list[str], list[str], list[int]],
        clients: tuple[TestClient, TestClient], capsys: pytest.CaptureFixture[str]) -> None:
    folder, ids, titles, years = catalog
    for film, argv, query in ((ID, ("--k", "5"), {"k": 5}),
                              (ID, ("--tier", "core"), {"tier": "core"}),
                              ("00004", ("--k", "3", "--offset", "2"), {"k": 3, "offset": 2})):
        code, out, err = run_cli(capsys, "audience", folder, film, *argv, "--json")
        assert code == 0, err
        http = clients[1].get(f"/films/{film}/audience", params=query)
        assert out.strip() == http.content.decode()
        assert names_said(http.json()) == named_in(ids, titles, years, film)
        # the stderr note still says it too, for the id that is another film's title
        assert ("is also the title of" in err) == (film == ID)


def test_lookalike_and_cold_start_name_no_film(clients: tuple[TestClient, TestClient]) -> None:
    for path, body in (("/audiences/lookalike", {"seed_user_ids": ["u3", "u7"], "k": 3}),
                       ("/audiences/cold-start", {"genres": [GENRES[0]], "k": 3})):
        r = clients[0].post(path, json=body)
        assert r.status_code == 200, r.text
        said = r.json()
        assert said["film_id"] is None and names_said(said) == {
            "title": None, "year": None, "also_titled": None}


def test_the_new_fields_are_described(clients: tuple[TestClient, TestClient]) -> None:
    schema = clients[0].get("/openapi.json").json()["components"]["schemas"]["Audience"]
    for name in ("title", "year", "also_titled"):
        assert schema["properties"][name]["description"], name
