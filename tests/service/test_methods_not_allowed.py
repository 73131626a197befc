"""A method no route of a path has is the router's 405 for every key, never a read key's 403
"this endpoint writes to the campaign store": ``DELETE /events`` told a read key it lacked
write scope (``WWW-Authenticate: Bearer error="insufficient_scope"``) and a caller without a
key to send a write key, for a method that writes nothing. Oracle: the same request to a
server with no key configured (the router alone answers it: 405 and its ``Allow``); a caller
without a key still gets the 401 every protected or unknown path gives once read keys are
set (README, Security: a caller without a key learns nothing but 401)."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from service_fixtures import save_model

from service.app import create_app
from service.auth import READ_KEY_NEEDED
from service.settings import Settings

READ, WRITE, ADMIN = "read-key-0001-abcdef", "write-key-0002-abcdef", "admin-key-0003-abcdef"
SENT = {"read": {"X-API-Key": READ}, "write": {"X-API-Key": WRITE},
        "admin": {"Authorization": f"Bearer {ADMIN}"}}
#: the write routes' paths and a method none of their routes has
UNROUTED = [(m, p) for p in ("/events", "/campaigns/plan", "/campaigns/x/next",
                             "/campaigns/x/withdraw") for m in ("DELETE", "PUT", "PATCH")]


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("methods") / "model"
    save_model(path, seed=0)
    return path


def test_a_method_no_route_has_is_a_405_for_every_key(model: Path, tmp_path: Path) -> None:
    open_ = Settings(model_path=str(model), store=str(tmp_path / "open.db"), warm_cache=False)
    keyed = Settings(model_path=str(model), store=str(tmp_path / "keyed.db"), warm_cache=False,
                     read_keys=READ, write_keys=WRITE, admin_key=ADMIN)
    with TestClient(create_app(open_)) as plain, TestClient(create_app(keyed)) as c:
        for method, path in UNROUTED:
            oracle = plain.request(method, path)
            assert oracle.status_code == 405, (method, path, oracle.text)
            for name, headers in SENT.items():
                said = c.request(method, path, headers=headers)
                assert (said.status_code, said.headers.get("allow")) == (
                    405, oracle.headers["allow"]), (method, path, name, said.text)
                assert "www-authenticate" not in said.headers, (method, path, name)
            unkeyed = c.request(method, path)
            assert (unkeyed.status_code, unkeyed.json()["detail"]) == (401, READ_KEY_NEEDED), (
                method, path, unkeyed.text)
        # the writes themselves still take a write key: a read key's 403, no key's 401
        assert c.post("/events", json={"events": []}, headers=SENT["read"]).status_code == 403
        assert c.post("/events", json={"events": []}).status_code == 401
