"""The Studio page and the docs' files: revalidated before each use (no-cache), a 304 while
the ETag holds."""

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


def test_the_studio_page_answers_its_revalidation_with_a_304(settings: Settings) -> None:
    """``Cache-Control: no-cache`` makes the browser ask again before each use, with the
    page's ETag; the page was sent whole every time."""
    with TestClient(create_app(settings)) as c:
        page = c.get("/studio/")
        again = c.get("/studio/", headers={"If-None-Match": page.headers["etag"]})
        changed = c.get("/studio/", headers={"If-None-Match": '"another"'})
    assert page.status_code == 200 and page.headers["cache-control"] == "no-cache"
    assert page.headers["content-type"].startswith("text/html")
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == page.headers["etag"]
    assert changed.status_code == 200 and changed.content == page.content


def test_the_docs_files_are_revalidated_as_the_studio_files_are(settings: Settings) -> None:
    """They had no Cache-Control: a browser kept them by heuristic past an upgrade."""
    url = "/static/vendor/redoc/redoc.standalone.js"
    with TestClient(create_app(settings)) as c:
        first = c.get(url)
        again = c.get(url, headers={"If-None-Match": first.headers["etag"]})
        studio = c.get("/studio/assets/studio.css")
    assert first.headers["cache-control"] == studio.headers["cache-control"] == "no-cache"
    assert again.status_code == 304
