"""``recommender serve MODEL --host 0.0.0.0`` without read or write keys started in silence,
every audience readable and events and plans writable by anyone on the network; with
``RECOMMENDER_ADMIN_KEY`` alone as well. It now says so once on standard error, naming what
is open and the settings that close it; it still starts.

Through ``recommender serve`` (uvicorn.run and the address check stubbed), its standard error
read. Oracle: the app those settings make, asked without a key: the warning says reads are
open exactly when an audience is answered to no key, and writes exactly when an event batch
is not refused for want of a key; a loopback host says nothing."""

from __future__ import annotations

import os
import socket
from pathlib import Path
from typing import Any

import pytest
from service_fixtures import save_model

from recommender.cli import main

UNBOUND = 18997  # never bound: uvicorn.run and check_address are stubbed
READ = "r:readkey-0123456789abcdef"
WRITE = "w:writekey-0123456789abcdef"
ADMIN = "adminkey-0123456789abcdef"


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_model(tmp_path_factory.mktemp("open_warning") / "model")


def _started(model_dir: Path, host: str, env: dict[str, str], monkeypatch: pytest.MonkeyPatch,
             capsys: pytest.CaptureFixture[str]) -> list[str]:
    """The warning lines ``serve --host HOST`` prints with ``env`` (and no other
    ``RECOMMENDER_*`` setting) once it would start uvicorn, which it must reach."""
    import uvicorn

    from service import server

    for name in [n for n in os.environ if n.startswith("RECOMMENDER_")]:
        monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("RECOMMENDER_MODEL_PATH", str(model_dir))  # serve sets it: restored
    started: list[dict[str, Any]] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: started.append(kw))
    monkeypatch.setattr(server, "check_address", lambda *a, **k: None)
    capsys.readouterr()
    assert main(["serve", str(model_dir), "--host", host, "--port", str(UNBOUND)]) == 0
    assert len(started) == 1 and started[0]["host"] == host  # not refused
    return [line for line in capsys.readouterr().err.splitlines() if "warning" in line]


def _open_to_no_key(env: dict[str, str], model_dir: Path) -> tuple[bool, bool]:
    """(reads, writes) the app made from ``env``'s settings answers without a key."""
    from fastapi.testclient import TestClient

    from service.app import create_app
    from service.settings import Settings

    names = {"RECOMMENDER_READ_KEYS": "read_keys", "RECOMMENDER_WRITE_KEYS": "write_keys",
             "RECOMMENDER_ADMIN_KEY": "admin_key"}
    settings = Settings(model_path=str(model_dir), **{names[k]: v for k, v in env.items()})
    with TestClient(create_app(settings)) as http:
        read = http.get("/films/00004/audience", params={"k": 1}).status_code
        wrote = http.post("/events", json={"events": []}).status_code
    assert read in (200, 401), read
    return read == 200, wrote != 401


CASES = [
    ("0.0.0.0", {}),
    ("0.0.0.0", {"RECOMMENDER_ADMIN_KEY": ADMIN}),
    ("::", {}),
    ("192.0.2.7", {"RECOMMENDER_WRITE_KEYS": WRITE}),
    ("0.0.0.0", {"RECOMMENDER_READ_KEYS": READ}),
    ("0.0.0.0", {"RECOMMENDER_READ_KEYS": READ, "RECOMMENDER_WRITE_KEYS": WRITE}),
    ("127.0.0.1", {}),
    ("localhost", {}),
    ("127.1", {}),  # 127.0.0.1 written short (inet_aton's form): it was warned of
    ("0x7f.1", {}),
    ("10.1", {}),  # 10.0.0.1 written short: a network address
]


@pytest.mark.parametrize("host, env", CASES, ids=[f"{h}-{'+'.join(e) or 'no keys'}"
                                                  for h, e in CASES])
def test_serve_on_a_network_address_says_once_what_is_open(
        model_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        host: str, env: dict[str, str]) -> None:
    said = _started(model_dir, host, env, monkeypatch, capsys)
    reads, writes = _open_to_no_key(env, model_dir)
    # the address the system binds for the host (the oracle: 127.1 is 127.0.0.1)
    loopback = host == "localhost" or socket.getaddrinfo(
        host, 0, type=socket.SOCK_STREAM)[0][4][0] in ("127.0.0.1", "::1")
    if loopback or not reads:
        assert said == [], said
        return
    assert len(said) == 1, said
    line = said[0]
    assert f"serving on {host}" in line and "anyone" in line
    assert "read every film's audience" in line and "RECOMMENDER_READ_KEYS" in line
    assert ("post events" in line) == writes and ("RECOMMENDER_WRITE_KEYS" in line) == writes
    assert ("RECOMMENDER_ADMIN_KEY" in line) == ("RECOMMENDER_ADMIN_KEY" in env)
    assert "--host 127.0.0.1" in line
    for key in (READ, WRITE, ADMIN):  # never a key
        assert key.split(":")[-1] not in line
