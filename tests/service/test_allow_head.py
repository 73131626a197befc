"""A 405's Allow header names what the resource answers: HEAD beside GET."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from service_fixtures import save_model

from service.app import create_app
from service.settings import Settings


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    root = tmp_path_factory.mktemp("conventions")
    return Settings(model_path=str(save_model(root / "model", seed=0)), warm_cache=False,
                    store=str(root / "store.db"))


@pytest.mark.parametrize("path", ["/health", "/films/00003/audience", "/events",
                                  "/recommendations", "/studio/assets/studio.css"])
def test_a_405_allows_what_the_resource_answers(settings: Settings, path: str) -> None:
    """Every GET route answers HEAD (service/head.py), but the API's 405s said
    ``Allow: GET``: the header is checked against what each method really gets."""
    with TestClient(create_app(settings)) as c:
        r = c.request("PATCH", path)
        assert r.status_code == 405 and set(r.json()) == {"detail"}
        allowed = [m.strip() for m in r.headers["allow"].split(",")]
        for method in ("GET", "HEAD", "POST", "PUT", "DELETE"):
            answered = c.request(method, path, json={} if method == "POST" else None)
            assert (answered.status_code != 405) == (method in allowed), (method, allowed)
