"""A bug's answer: a JSON 500 in the errors' shape, with the headers every answer carries."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from service_fixtures import save_model

from service.app import create_app
from service.internal_errors import DETAIL
from service.settings import Settings


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    root = tmp_path_factory.mktemp("conventions")
    return Settings(model_path=str(save_model(root / "model", seed=0)), warm_cache=False,
                    store=str(root / "store.db"))


def _broken(settings: Settings) -> Any:
    app = create_app(settings)

    def boom() -> None:  # a bug: an exception no handler maps
        raise RuntimeError("/srv/secret/path is not what it seemed")

    app.add_api_route("/boom", boom)
    return app


def test_a_bug_is_a_json_500_with_the_headers_of_every_answer(settings: Settings) -> None:
    """It was Starlette's text/plain "Internal Server Error", sent outside the security
    headers (no nosniff, no no-store) and without X-Model-Version."""
    with TestClient(_broken(settings), raise_server_exceptions=False) as c:
        r = c.get("/boom")
        version = c.get("/health").headers["x-model-version"]
        other = c.get("/films/nope")  # an error the service maps: the shape to match
    assert r.status_code == 500
    assert r.headers["content-type"] == other.headers["content-type"] == "application/json"
    assert r.json() == {"detail": DETAIL} and set(other.json()) == {"detail"}
    assert "secret" not in r.text  # the exception's text stays in the log
    assert r.headers["x-model-version"] == version
    for name in ("x-content-type-options", "x-frame-options", "cache-control"):
        assert r.headers.get(name) == other.headers.get(name), name


def test_a_bug_is_still_raised_for_the_server_to_log(settings: Settings) -> None:
    with TestClient(_broken(settings)) as c, pytest.raises(RuntimeError, match="seemed"):
        c.get("/boom")
