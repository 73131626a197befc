"""A comparable film's weight that is not a positive finite number gets the usual 422 over
HTTP, naming the film and its weight in ``detail`` and in ``errors`` (loc, msg, type), on the
cold-start audience and the cold-start distribution alike: it answered a bare
``{"detail": "comparable film weights must be positive numbers"}``, naming neither.

Oracle: the weights sent (written out in the raw JSON body: -0.5, 0, 1e400, NaN).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from service_fixtures import save_model

from service.app import create_app
from service.settings import Settings

ROUTES = ("/audiences/cold-start", "/distribution/cold-start")


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    folder: Path = save_model(tmp_path_factory.mktemp("cold_weights") / "model")
    with TestClient(create_app(Settings(model_path=str(folder), warm_cache=False))) as c:
        yield c


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize(("written", "said"), [("-0.5", "-0.5"), ("0", "0.0"),
                                               ("1e400", "inf"), ("NaN", "nan")])
def test_a_bad_weight_names_the_film_and_the_weight(client: TestClient, route: str,
                                                    written: str, said: str) -> None:
    raw = '{"comparable_film_ids": {"00004": 2, "00007": ' + written + '}}'
    r = client.post(route, content=raw, headers={"content-type": "application/json"})
    assert r.status_code == 422, r.text
    body = r.json()
    assert "'00007' has weight " + said in body["detail"]
    assert "'00004'" not in body["detail"]  # the good weight is not blamed
    [error] = body["errors"]
    assert error["loc"] == ["body", "comparable_film_ids"]
    assert error["type"] == "value_error" and "'00007' has weight " + said in error["msg"]


def test_good_weights_still_answer(client: TestClient) -> None:
    r = client.post(ROUTES[0], json={"comparable_film_ids": {"00004": 2, "00007": 0.5}, "k": 3})
    assert r.status_code == 200 and r.json()["comparable_films"] == {"00004": 2.0, "00007": 0.5}
