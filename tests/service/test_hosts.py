"""The Host names a server answers (``service.hosts``): the header read as HTTP writes it,
the setting read as a person writes it, and an app given the setting refuses other names
before any work (a server bound to loopback: ``tests/service/test_server.py``)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from service_fixtures import save_model

from service.app import create_app
from service.hosts import allowed, host_name, is_loopback
from service.settings import Settings


@pytest.mark.parametrize(("header", "name"), [
    ("localhost:8000", "localhost"), ("[::1]:8000", "::1"), ("[::1]", "::1"),
    ("Example.COM.:80", "example.com"), ("127.0.0.1", "127.0.0.1"), ("::1", "::1"),
    ("", ""), ("[broken", "[broken")])
def test_host_names(header: str, name: str) -> None:
    assert host_name(header) == name


def test_setting_and_loopback() -> None:
    assert allowed("") is None and allowed(" * ") is None and allowed("a.example, *") is None
    assert allowed("Studio.Example.com, localhost:8000,[::1]") == frozenset(
        {"studio.example.com", "localhost", "::1"})
    assert all(is_loopback(h) for h in ("127.0.0.1", "127.8.9.1", "::1", "[::1]", "localhost"))
    assert not any(is_loopback(h) for h in ("0.0.0.0", "::", "10.0.0.1", "example.com"))


def test_an_app_with_allowed_hosts_refuses_others(tmp_path: Path) -> None:
    model = save_model(tmp_path / "model")
    settings = Settings(model_path=str(model), allowed_hosts="studio.example.com")
    with TestClient(create_app(settings), base_url="http://studio.example.com") as client:
        assert client.get("/health").status_code == 200
        r = client.get("/health", headers={"Host": "testserver"})
        assert r.status_code == 400
        assert r.json()["detail"].startswith("this server does not answer the Host 'testserver'")
    # no Host header at all (an HTTP/1.0 health probe; no browser sends one): answered
    import asyncio

    from service.hosts import AllowedHosts

    sent: list[dict[str, object]] = []

    async def inner(scope: object, receive: object, send: object) -> None:
        sent.append({"reached": True})

    async def run(headers: list[tuple[bytes, bytes]]) -> None:
        async def send(message: object) -> None:
            sent.append({"status": message.get("status")})  # type: ignore[attr-defined]
        await AllowedHosts(inner, frozenset({"localhost"}))(  # type: ignore[arg-type]
            {"type": "http", "headers": headers}, None, send)  # type: ignore[arg-type]

    asyncio.run(run([]))
    asyncio.run(run([(b"host", b"evil.example")]))
    assert sent[0] == {"reached": True} and sent[1] == {"status": 400}
    with TestClient(create_app(Settings(model_path=str(model)))) as client:  # unset: any
        assert client.get("/health", headers={"Host": "anything.example"}).status_code == 200


def test_serve_leaves_its_host_setting_to_its_own_run(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """``serve`` on loopback set RECOMMENDER_ALLOWED_HOSTS in its own process's environment
    and left it there: every app the process made afterwards (a test's, an embedding
    program's) refused the Host it was given."""
    import uvicorn

    from service import server
    from service.hosts import ENV, LOOPBACK_HOSTS

    model = save_model(tmp_path / "model")
    monkeypatch.delenv(ENV, raising=False)
    monkeypatch.setenv("RECOMMENDER_MODEL_PATH", str(model))  # serve sets it: restored after
    seen: dict[str, str | None] = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: seen.update(hosts=os.environ.get(ENV)))
    monkeypatch.setattr(server, "check_address", lambda *a, **k: None)
    server.serve(str(model), host="127.0.0.1", port=0)
    assert seen["hosts"] == LOOPBACK_HOSTS and ENV not in os.environ
    server.serve(str(model), host="0.0.0.0", port=0)
    assert seen["hosts"] is None
