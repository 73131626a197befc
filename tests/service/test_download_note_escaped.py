"""Both audience CSV downloads (a film's ``audience.csv``, a new film's ``cold-start.csv``)
set their note headers and file names in one place (``service/download_headers.py``): the
film's download sent ``X-Audience-Note`` unescaped (a note holding a letter outside latin-1
failed the answer; a line break would have split the header), where the cold-start download
escaped it; and both name a file by the same cut words.

Oracle: the escaped text written out by hand (Python's escapes), and the file names spelt
here from the request's cut.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from fastapi.testclient import TestClient
from service_fixtures import GENRES, model_and_client

from service.routes import audiences, films

NOTE = "film 'tt/0042 é' left out\nעד"
ESCAPED = "film 'tt/0042 \\xe9' left out\\n\\u05e2\\u05d3"
KEY = "download-headers-pseudonym-key-0123456789"


model_dir, client = model_and_client("note-escaped", warm_cache=False, watch_interval=0,
                                     pseudonym_key=KEY)


def test_a_note_outside_printable_ascii_is_escaped_on_both_downloads(
        client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each route's page is given ``NOTE`` (a copy: the film's page may be a cached one)."""
    film_page = films._audience_page

    async def noted_film_page(*args: Any, **kwargs: Any) -> Any:
        return dataclasses.replace(await film_page(*args, **kwargs), note=NOTE)

    cold_page = audiences._cold_start

    def noted_cold_page(*args: Any, **kwargs: Any) -> Any:
        page, unknown = cold_page(*args, **kwargs)
        return dataclasses.replace(page, note=NOTE), unknown

    monkeypatch.setattr(films, "_audience_page", noted_film_page)
    monkeypatch.setattr(audiences, "_cold_start", noted_cold_page)
    film = client.get("/films/00008/audience.csv", params={"k": 3})
    assert film.status_code == 200, film.text
    assert film.headers["x-audience-note"] == ESCAPED
    cold = client.post("/audiences/cold-start.csv", json={"genres": [GENRES[1]], "k": 3})
    assert cold.status_code == 200, cold.text
    assert cold.headers["x-audience-note"] == ESCAPED


def test_both_downloads_name_the_same_cut_alike(client: TestClient) -> None:
    """The ring, the segment (by its label on one, its number on the other), pseudonyms and
    the page's first rank, in the same words and order after each download's subject."""
    label = next(s["label"] for s in client.get("/segments").json()["segments"]
                 if s["segment"] == 2)
    cut = "core_segment2_pseudonymized_from5.csv"
    film = client.get("/films/00008/audience.csv", params={
        "k": 2, "offset": 4, "tier": "Core", "segment": label, "pseudonymize": "true"})
    assert film.status_code == 200, film.text
    assert film.headers["content-disposition"] == f'attachment; filename="audience_00008_{cut}"'
    cold = client.post("/audiences/cold-start.csv", params={"pseudonymize": "true"}, json={
        "genres": [GENRES[1]], "k": 2, "offset": 4, "tier": "core", "segment": 2})
    assert cold.status_code == 200, cold.text
    assert cold.headers["content-disposition"] == (
        f'attachment; filename="cold_start_audience_{cut}"')


def test_the_schema_says_both_notes_are_escaped(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for path, method in (("/films/{film_id}/audience.csv", "get"),
                         ("/audiences/cold-start.csv", "post")):
        header = paths[path][method]["responses"]["200"]["headers"]["X-Audience-Note"]
        assert "escaped as Python writes them" in header["description"], path
