"""Every answer forbids MIME sniffing and framing and sends no referrer: the studio page, the
API, the refusals; the Studio's answers hold a policy that runs its own files only."""

from __future__ import annotations

import re
from pathlib import Path

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
    policy = r.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in policy.split("; ")
    assert policy == ("frame-ancestors 'none'" if not path.startswith("/studio") else STUDIO)
    assert r.headers.get_list("x-frame-options") == ["DENY"]
    assert r.headers.get_list("referrer-policy") == ["no-referrer"]


#: Audience Studio's policy: its own scripts and styles only, no plug-in, no <base>; its
#: blank icon is a data: URL
STUDIO = ("default-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; "
          "img-src 'self' data:; frame-ancestors 'none'")
STUDIO_FILES = Path(__file__).resolve().parents[2] / "service" / "studio"


@pytest.mark.parametrize("path", ["/studio/", "/studio/assets/js/app.js",
                                  "/studio/assets/studio.css", "/studio/assets/nope"])
def test_the_studio_runs_its_own_files_only(client: TestClient, path: str) -> None:
    """The Studio's answers carry a whole policy (the docs pages run inline scripts: they
    keep frame-ancestors alone); the Chromium tests (tests/browser) fail on the console
    error of anything it refuses."""
    r = client.get(path)
    assert r.headers["content-security-policy"] == STUDIO, (path, r.status_code)
    docs = client.get("/docs")
    assert docs.headers["content-security-policy"] == "frame-ancestors 'none'"
    assert "<script>" in docs.text  # why the docs keep the narrow policy


def test_the_studio_holds_nothing_its_policy_refuses() -> None:
    """No inline script or style, no style attribute or inline event handler in the page,
    and no script that writes markup or a style attribute (the bars' widths go through the
    CSSOM, ``ui.js``'s ``h``)."""
    page = (STUDIO_FILES / "index.html").read_text(encoding="utf-8")
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", page) == []
    assert re.findall(r"<style\b|\sstyle=|\son[a-z]+=|javascript:", page, re.I) == []
    for js in sorted((STUDIO_FILES / "js").glob("*.js")):
        text = js.read_text(encoding="utf-8")
        found = re.findall(r"innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(|"
                           r"new Function|setAttribute\(\s*[\"']style|createElement\(\s*"
                           r"[\"']style", text)
        assert found == [], (js.name, found)


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
