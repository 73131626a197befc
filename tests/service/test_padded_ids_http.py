"""A user or film id stored with spaces around it (' 11 ', as a log written with ' , '
separators holds it) is named as the id meant when its plain form is asked for over HTTP: GET
/users/11/recommendations answered only {"detail": "unknown user_id '11'"}. Oracle: the ids
planted."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from test_raw_film_ids import saved_with_films

from service.app import create_app
from service.settings import Settings


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    path: Path = saved_with_films(tmp_path_factory, 3, [" 11 ", "x22 "], "padded", users=True)
    with TestClient(create_app(Settings(model_path=str(path), warm_cache=False))) as c:
        yield c


def test_a_padded_user_is_named_for_its_plain_form(client: TestClient) -> None:
    answer = client.get("/users/11/recommendations")
    assert answer.status_code == 404
    assert "unknown user_id '11'; did you mean ' 11 '?" in answer.json()["detail"]


def test_a_padded_film_is_named_for_its_plain_form(client: TestClient) -> None:
    answer = client.get("/films/x22/audience")
    assert answer.status_code == 404
    assert "unknown film_id 'x22'; did you mean 'x22 '?" in answer.json()["detail"]
