"""``GET /users/attributes``: every user attribute and its values, what ``?filter=`` takes (the
Studio's attribute filter lists them, where it used to list only the portrait's shown values).

Oracles: the model's user table; the audience endpoint accepting each listed value as a filter.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from service_fixtures import save_model

from recommender.model import artifact
from service.app import create_app
from service.settings import Settings


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_model(tmp_path_factory.mktemp("attributes") / "model")


@pytest.fixture(scope="module")
def client(model_dir: Path) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(model_path=str(model_dir), warm_cache=False))) as c:
        yield c


def test_every_attribute_value_is_listed_and_filters(client: TestClient, model_dir: Path
                                                     ) -> None:
    table = artifact.load(model_dir).user_table
    body = client.get("/users/attributes").json()["attributes"]
    assert set(body) == set(table.attributes)
    for name, values in table.attributes.items():
        assert body[name] == sorted(set(np.asarray(values).astype(str).tolist()))
    film = str(artifact.load(model_dir).films.ids[0])
    for name, values in body.items():
        r = client.get(f"/films/{film}/audience", params={"k": 1, "filter": f"{name}={values[0]}"})
        assert r.status_code == 200, r.text


def test_a_read_key_guards_it(model_dir: Path) -> None:
    settings = Settings(model_path=str(model_dir), warm_cache=False, read_keys="crm:k-123456789")
    with TestClient(create_app(settings)) as c:
        assert c.get("/users/attributes").status_code == 401
        assert c.get("/users/attributes", headers={"X-API-Key": "k-123456789"}).status_code == 200
