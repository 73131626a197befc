"""The CSV downloads gzip-compressed for a client that accepts it, and still streamed."""

from __future__ import annotations

import asyncio
import gzip
import zlib
from typing import Any

import pytest
from fastapi.testclient import TestClient
from service_fixtures import save_model

from service.app import create_app
from service.compression import CsvGzip, accepts_gzip
from service.settings import Settings

IDENTITY = {"Accept-Encoding": "identity"}
GZIP = {"Accept-Encoding": "gzip"}

@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    root = tmp_path_factory.mktemp("conventions")
    return Settings(model_path=str(save_model(root / "model", seed=0)), warm_cache=False,
                    store=str(root / "store.db"))


def test_the_csv_downloads_are_gzipped_for_a_client_that_accepts_it(
        settings: Settings) -> None:
    url = "/films/00003/audience.csv?k=500&with=title"
    with TestClient(create_app(settings)) as c:
        plain = c.get(url, headers=IDENTITY)
        zipped = c.get(url, headers=GZIP)
        refused = c.get(url, headers={"Accept-Encoding": "gzip;q=0, identity"})
        page = c.get("/films/00003/audience?k=500", headers=GZIP)  # JSON: the hot path
        plan = c.post("/campaigns/plan", json={"films": [{"film_id": "00003", "budget": 200}]})
        plan_url = f"/campaigns/{plan.json()['plan_id']}/plan.csv"
        plan_plain = c.get(plan_url, headers=IDENTITY)
        with c.stream("GET", plan_url, headers=GZIP) as streamed:
            plan_raw = b"".join(streamed.iter_raw())
        head = c.head(plan_url, headers=GZIP)  # the GET's headers (RFC 9110, 9.3.2)
    assert len(plain.content) > 5_000 and "content-encoding" not in plain.headers
    assert zipped.headers["content-encoding"] == "gzip"
    assert "accept-encoding" in zipped.headers["vary"].lower()
    assert int(zipped.headers["content-length"]) < len(plain.content) / 2
    assert zipped.content == plain.content  # httpx decodes it: the same bytes
    assert zipped.headers["content-type"] == plain.headers["content-type"]
    assert zipped.headers["content-disposition"] == plain.headers["content-disposition"]
    assert "content-encoding" not in refused.headers and refused.content == plain.content
    assert "content-encoding" not in page.headers
    assert plan.status_code == 200, plan.text
    assert streamed.headers["content-encoding"] == "gzip"
    assert head.status_code == 200 and head.content == b""
    for name in ("content-encoding", "vary", "content-type", "content-disposition"):
        assert head.headers.get(name) == streamed.headers.get(name), name
    assert gzip.decompress(plan_raw) == plan_plain.content and len(plan_raw) < len(
        plan_plain.content)


def test_a_gzipped_download_still_streams() -> None:
    """Each part is sent compressed and flushed as it comes: what the client has received
    after each part decompresses to every byte sent so far (nothing waits for the end)."""
    parts = [b"plan_id,film_id,user_id\n" + b"p1,f,u%d\n" % i * 400 for i in range(3)]
    sent: list[dict[str, Any]] = []

    async def streaming(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"text/csv; charset=utf-8")]})
        for i, part in enumerate(parts):
            await send({"type": "http.response.body", "body": part,
                        "more_body": i < len(parts) - 1})

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    async def receive() -> dict[str, Any]:
        return {"type": "http.disconnect"}

    scope = {"type": "http", "method": "GET", "path": "/campaigns/p1/plan.csv",
             "root_path": "", "headers": [(b"accept-encoding", b"gzip")]}
    asyncio.run(CsvGzip(streaming)(scope, receive, send))  # type: ignore[arg-type]
    start, *bodies = sent
    assert dict(start["headers"])[b"content-encoding"] == b"gzip"
    assert len(bodies) == len(parts)
    decoder = zlib.decompressobj(16 + zlib.MAX_WBITS)
    got = b""
    for i, body in enumerate(bodies):
        got += decoder.decompress(body["body"])
        assert got == b"".join(parts[:i + 1]), i


@pytest.mark.parametrize(("value", "accepted"), [
    ("gzip", True), ("gzip, deflate, br", True), ("GZip;q=0.5", True), ("*", True),
    ("gzip;q=0", False), ("gzip; q=0.0, *", False), ("identity", False), ("", False),
    ("deflate, *;q=0", False), ("x-gzip", True), ("br;q=1, gzip;q=bad", False)])
def test_accept_encoding_is_read_with_its_weights(value: str, accepted: bool) -> None:
    assert accepts_gzip(value) is accepted


def test_gzip_is_no_wider_than_the_downloads(settings: Settings) -> None:
    """The body cache's JSON answers, the docs' files and the Studio's go out as they are."""
    with TestClient(create_app(settings)) as c:
        for url in ("/films/00003/audience?k=200", "/openapi.json", "/studio/assets/studio.css",
                    "/users/u3/recommendations?k=50"):
            assert "content-encoding" not in c.get(url, headers=GZIP).headers, url


@pytest.mark.parametrize("value", ["GZIP", "*", "br;q=1, *;q=0.5", "x-gzip"])
def test_what_accepts_gzip_gets_it(settings: Settings, value: str) -> None:
    """A coding's name is case-insensitive and ``*`` names any (RFC 9110, 12.5.3):
    ``accepts_gzip`` said yes, but Starlette's middleware tested for "gzip" in the header's
    text again, so these clients got the bytes as they are."""
    url = "/films/00003/audience.csv?k=500"
    assert accepts_gzip(value)
    with TestClient(create_app(settings)) as c:
        plain = c.get(url, headers=IDENTITY)
        with c.stream("GET", url, headers={"Accept-Encoding": value}) as r:
            raw = b"".join(r.iter_raw())
    assert r.headers.get("content-encoding") == "gzip", value
    assert gzip.decompress(raw) == plain.content and len(raw) < len(plain.content)
