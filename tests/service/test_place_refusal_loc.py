"""A distribution's ``by`` refused on a model whose users have no place attribute is told at
``["query", "by"]`` (``["body", "by"]`` in a body), whether the request sent it or took its
default: the default's refusal was at ``["query"]`` alone, read from words that name no
parameter the request sent. Oracle: the route's declared parameter and the body's field."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from service_fixtures import build_model, film_ids

from recommender.model import artifact
from service.app import create_app
from service.settings import Settings

FILM = film_ids(60)[0]


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    model = build_model(0)
    for name in [a for a in model.user_table.attributes if a != "gender"]:
        del model.user_table.attributes[name]  # gender alone: no place attribute
    folder = artifact.save(model, tmp_path_factory.mktemp("no-places") / "model")
    with TestClient(create_app(Settings(model_path=str(folder), warm_cache=False))) as c:
        yield c


@pytest.mark.parametrize("params", [{}, {"by": "region"}, {"by": "gender"}, {"by": "nope"},
                                    {"screens": 3}])
def test_by_is_named_whether_sent_or_taken_by_default(client: TestClient,
                                                      params: dict[str, object]) -> None:
    r = client.get(f"/films/{FILM}/distribution", params=params)
    assert r.status_code == 422, r.text
    body = r.json()
    assert [e["loc"] for e in body["errors"]] == [["query", "by"]], body
    assert body["detail"].startswith(f"by={params.get('by', 'region')!r}"), body


def test_a_body_by_is_named_in_the_body(client: TestClient) -> None:
    r = client.post("/distribution/cold-start", json={"genres": ["Drama"]})
    assert r.status_code == 422, r.text
    assert [e["loc"] for e in r.json()["errors"]] == [["body", "by"]], r.json()
