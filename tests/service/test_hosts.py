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

#: a port the test never binds (uvicorn.run and check_address are stubbed): port 0 is
#: bound by serve itself, to say the port the system chose, and would really serve
UNBOUND = 18999


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
    server.serve(str(model), host="127.0.0.1", port=UNBOUND)
    assert seen["hosts"] == LOOPBACK_HOSTS and ENV not in os.environ
    server.serve(str(model), host="0.0.0.0", port=UNBOUND)
    assert seen["hosts"] is None
    # 127.0.0.1 written short (inet_aton's forms): bound as 127.0.0.1, so guarded as it is;
    # it was taken for a network address and answered any Host (DNS rebinding)
    for short in ("127.1", "0x7f.1"):
        server.serve(str(model), host=short, port=UNBOUND)
        assert seen["hosts"] == LOOPBACK_HOSTS and ENV not in os.environ, short
    server.serve(str(model), host="10.1", port=UNBOUND)
    assert seen["hosts"] is None


@pytest.mark.parametrize("host", ["127.1", "127.0.1", "0x7f.1", "2130706433", "0177.0.0.1",
                                  "127.1.2", "10.1", "1.1", "0", "0.0.0.0", "192.0.2.7",
                                  "127.1 x", "127.1.", "example.com", "0x7f.1.2.3.4"])
def test_a_short_loopback_address_is_loopback(host: str) -> None:
    """Oracle: the address the system's resolver binds for ``host`` (as uvicorn binds it),
    none for a host it reads as no address."""
    import socket

    try:
        bound = socket.getaddrinfo(host, 0, type=socket.SOCK_STREAM,
                                   flags=socket.AI_NUMERICHOST)[0][4][0]
    except socket.gaierror:
        bound = None
    assert is_loopback(host) == (bound is not None and bound.startswith("127.")), bound


#: Hosts no host name can be: a user and password before the name (the name was read as
#: what came before the last colon, so the first was answered as localhost), a path, a
#: space, a character no name holds, a broken bracket, a port of letters
MALFORMED = ["localhost:80@evil.com", "user@localhost", "localhost@evil.com:80",
             "localhost/evil", "local host", "localhost#x", "lócalhost", "[::1", "[::1]x",
             "[nope]:80", "localhost:80x", "127.0.0.1:8000:80@evil.com", "a..b"]


@pytest.mark.parametrize("setting", ["localhost", "", "*"])
def test_a_host_that_is_no_name_is_a_400(tmp_path: Path, setting: str) -> None:
    """Whatever names the server answers, a Host that is no name (or address) and optional
    port is refused as a Host of another name is (RFC 9112 asks a 400 of a server)."""
    model = save_model(tmp_path / "model")
    with TestClient(create_app(Settings(model_path=str(model), allowed_hosts=setting)),
                    base_url="http://localhost") as client:
        for host in MALFORMED:
            r = client.get("/health", headers={"Host": host.encode("latin-1")})
            assert r.status_code == 400, (host, r.text)
            said = r.json()["detail"]
            assert said.startswith("this server does not answer the Host ") and (
                "': it is no host name or address" in said), said
        for host in ("localhost", "localhost:8000", "LOCALHOST.", "localhost:"):
            assert client.get("/health", headers={"Host": host}).status_code == 200, host


def test_well_formed_hosts() -> None:
    from service.hosts import well_formed

    good = ["localhost", "localhost:8000", "[::1]:8000", "[::1]", "::1", "127.0.0.1:80",
            "studio.example.com.", "my_host-1.internal:65535"]
    assert all(well_formed(h) for h in good), [h for h in good if not well_formed(h)]
    assert not any(well_formed(h) for h in MALFORMED), [h for h in MALFORMED if well_formed(h)]


def test_a_refused_host_carries_the_model_version_the_schema_requires(tmp_path: Path) -> None:
    """The Host refusal is a 400 of every operation: on a server without read keys it carries
    ``X-Model-Version`` (the schema requires it on every 400 there; the 400 was answered
    outside the layer that adds it), and the schema's 400 names the refused Host beside the
    request framed twice. With read keys, a caller without a key is told no version."""
    model = save_model(tmp_path / "model")
    settings = Settings(model_path=str(model), allowed_hosts="studio.example.com")
    with TestClient(create_app(settings), base_url="http://studio.example.com") as client:
        version = client.get("/health").json()["model"]["model_version"]
        for host in ("evil.com", "localhost:80@evil.com"):
            r = client.get("/films/x/audience", headers={"Host": host})
            assert r.status_code == 400, r.text
            assert r.json()["detail"].startswith("this server does not answer the Host")
            assert r.headers["x-model-version"] == version
        schema = client.get("/openapi.json").json()
        declared = schema["paths"]["/films/{film_id}/audience"]["get"]["responses"]["400"]
        assert declared["headers"]["X-Model-Version"]["required"] is True
        assert "Host" in declared["description"]
        assert "Transfer-Encoding" in declared["description"]
    keyed = Settings(model_path=str(model), allowed_hosts="studio.example.com",
                     read_keys="dash:read-key-0123456789abcdef")
    with TestClient(create_app(keyed), base_url="http://studio.example.com") as client:
        r = client.get("/films/x/audience", headers={"Host": "evil.com"})
        assert r.status_code == 400 and "x-model-version" not in r.headers
