"""An unknown id of a URL is named in its 404 clipped, as an event_id is named in a 422: a
5,000-character plan_id (film_id, user_id) was echoed whole, 5 kB of the caller's own text."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from service_fixtures import save_model

from recommender.errors import UnknownFilmError
from service.app import create_app
from service.settings import Settings

LONG = "p" * 4_990 + "-tail"
SHOWN = "'" + "p" * 40 + "...'"  # the first 40 characters, then an ellipsis


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    root = tmp_path_factory.mktemp("clipped")
    settings = Settings(model_path=str(save_model(root / "model")),
                        store=str(root / "store.db"), warm_cache=False)
    with TestClient(create_app(settings)) as c:
        yield c


@pytest.mark.parametrize(("method", "url"), [
    ("GET", f"/campaigns/{LONG}"), ("GET", f"/campaigns/{LONG}/report"),
    ("GET", f"/campaigns/{LONG}/plan.csv"), ("POST", f"/campaigns/{LONG}/next"),
    ("GET", f"/films/{LONG}"), ("GET", f"/users/{LONG}/recommendations")])
def test_a_404_names_a_long_id_clipped(client: TestClient, method: str, url: str) -> None:
    r = client.request(method, url)
    assert r.status_code == 404, r.text[:300]
    detail = r.json()["detail"]
    assert SHOWN in detail and "tail" not in detail and len(r.content) < 400, detail[:300]


def test_the_error_keeps_the_ids_whole() -> None:
    e = UnknownFilmError([LONG, "00001"])
    assert e.ids == [LONG, "00001"]
    assert str(e) == f"unknown film_id {SHOWN}, '00001'"
