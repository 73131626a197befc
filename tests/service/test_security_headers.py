"""Every answer forbids MIME sniffing and framing: the studio page, the API, the refusals."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from service_fixtures import save_model

from service.app import create_app
from service.settings import Settings


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> TestClient:
    folder = tmp_path_factory.mktemp("headers") / "model"
    save_model(folder, seed=0)
    settings = Settings(model_path=str(folder), warm_cache=False,
                        read_keys=SecretStr("r:read-key-0123456789abcdef"),
                        allowed_hosts="localhost,testserver")
    return TestClient(create_app(settings))


@pytest.mark.parametrize("path, headers", [
    ("/studio/", {}), ("/studio/assets/studio.css", {}), ("/docs", {}), ("/health", {}),
    ("/films", {}), ("/films", {"X-API-Key": "read-key-0123456789abcdef"}),
    ("/nope", {"X-API-Key": "read-key-0123456789abcdef"}),
    ("/health", {"Host": "evil.example"})])
def test_every_answer_forbids_sniffing_and_framing(client: TestClient, path: str,
                                                    headers: dict[str, str]) -> None:
    r = client.get(path, headers=headers, follow_redirects=False)
    assert r.headers["x-content-type-options"] == "nosniff", (r.status_code, r.headers)
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["content-security-policy"] == "frame-ancestors 'none'"
    assert r.headers.get_list("x-frame-options") == ["DENY"]


@pytest.mark.parametrize("path, headers", [
    ("/films", {"X-API-Key": "read-key-0123456789abcdef"}), ("/films", {}), ("/health", {}),
    ("/films/nope", {"X-API-Key": "read-key-0123456789abcdef"}), ("/docs", {}),
    ("/openapi.json", {"X-API-Key": "read-key-0123456789abcdef"})])
def test_no_cache_keeps_an_api_answer(client: TestClient, path: str,
                                      headers: dict[str, str]) -> None:
    """A shared cache (Varnish keeps a 200 without Cache-Control for two minutes unless the
    request sent Authorization or a cookie) gave a page fetched with X-API-Key to the next
    caller, who sent no key: every API answer says no-store."""
    r = client.get(path, headers=headers)
    assert r.headers.get_list("cache-control") == ["no-store"], (path, r.status_code)


def test_files_keep_their_own_caching(client: TestClient) -> None:
    # the Studio and the docs' vendored files are revalidated (no-cache) by their ETag: the
    # files' own Cache-Control, not the API's no-store (without one, a browser kept the docs'
    # files by heuristic past an upgrade: tests/service/test_revalidated_files.py)
    assert client.get("/studio/").headers.get_list("cache-control") == ["no-cache"]
    assert client.get("/studio/assets/studio.css").headers["cache-control"] == "no-cache"
    files = client.get("/static/vendor/swagger-ui/swagger-ui.css")
    assert files.status_code == 200 and files.headers["etag"]
    assert files.headers.get_list("cache-control") == ["no-cache"]
