"""Film ids that end like a film route's suffix, asked for with their slash encoded: the
server decodes %2F before routing, so only the raw path tells the film from a sub-resource."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from urllib.parse import quote

import numpy as np
import pytest
from fastapi.testclient import TestClient
from service_fixtures import build_model

from recommender.io.ids import IdMap
from recommender.model import artifact
from service.app import create_app
from service.settings import Settings

TRICKY = ["heat/similar", "a/audience", "b/audience.csv", "c/audience/summary",
          "d/distribution"]


@pytest.fixture(scope="module")
def model_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    model = build_model(seed=2)
    films = model.films.ids.astype(object)
    films[:len(TRICKY)] = TRICKY
    ids = np.asarray(films, dtype=str)
    model = dataclasses.replace(model, films=IdMap(ids),
                                catalog=dataclasses.replace(model.catalog, film_ids=ids))
    return Path(artifact.save(model, tmp_path_factory.mktemp("raw") / "model"))


@pytest.mark.parametrize("fast_path", [True, False])
def test_each_tricky_id_opens_its_own_page(model_path: Path, fast_path: bool) -> None:
    settings = Settings(model_path=str(model_path), warm_cache=False, fast_path=fast_path)
    with TestClient(create_app(settings)) as client:
        _check(client)


def _check(client: TestClient) -> None:
    for film_id in TRICKY:
        enc = quote(film_id, safe="")
        detail = client.get(f"/films/{enc}")
        assert detail.status_code == 200, (film_id, detail.text)
        assert detail.json()["film_id"] == film_id
        for suffix, key in (("/similar", "film_id"), ("/audience", "film_id"),
                            ("/audience/summary", "film_id")):
            r = client.get(f"/films/{enc}{suffix}")
            assert r.status_code == 200 and r.json()[key] == film_id, (film_id, suffix)
    # the audience of "a" is still the audience of "a", the ids' prefixes are no films
    assert client.get("/films/heat").status_code == 404
    assert client.get("/_film-detail").status_code == 404  # the private path alone
