"""``/health``'s ``access``: what the key a request carries (or none) lets it do, so a client
(Audience Studio) offers only the writes its key may make. Oracle: the key check itself, the
same key sent to a data endpoint (read) and to a campaign-store write (write), under each way
the keys can be configured. A key that is none of the server's keys is a 401 there once read
or write keys are configured (it was a 200 saying what no key may do, and the Studio asked for
"a read key" where the key was wrong); oracle: the configured settings themselves."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from service_fixtures import save_model

from service.app import create_app
from service.settings import Settings

READ, WRITE, ADMIN = "read-key-0001-abcdef", "write-key-0002-abcdef", "admin-key-0003-abcdef"
METRICS = "metrics-key-0004-abcdef"
#: the keys a caller may send (as X-API-Key; the admin key as a Bearer token too)
SENT = {"none": {}, "wrong": {"X-API-Key": "not-a-key-0005"}, "read": {"X-API-Key": READ},
        "write": {"X-API-Key": WRITE}, "admin": {"Authorization": f"Bearer {ADMIN}"},
        "metrics": {"X-API-Key": METRICS},
        "read and write": {"X-API-Key": READ, "Authorization": f"Bearer {WRITE}"},
        "wrong and read": {"X-API-Key": "not-a-key-0005", "Authorization": f"Bearer {READ}"}}
SETTINGS = {"no key": {}, "admin key only": {"admin_key": ADMIN},
            "read, write and admin keys": {"read_keys": f"ci:{READ}", "write_keys": WRITE,
                                           "admin_key": ADMIN},
            "read keys only": {"read_keys": READ},
            "write and admin keys": {"write_keys": WRITE, "admin_key": ADMIN},
            "metrics keys only": {"metrics_keys": METRICS}}


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("access") / "model"
    save_model(path, seed=0)
    return path


@pytest.mark.parametrize("configured", SETTINGS)
def test_health_says_what_each_key_may_do_as_the_key_check_decides(
        model: Path, tmp_path: Path, configured: str) -> None:
    settings = Settings(model_path=str(model), store=str(tmp_path / "store.db"),
                        warm_cache=False, **SETTINGS[configured])
    with TestClient(create_app(settings)) as c:
        for n, (name, headers) in enumerate(SENT.items()):
            said = c.get("/health", headers=headers)
            if _refused(configured, headers):
                continue
            assert said.status_code == 200, (configured, name, said.text)
            reads = c.get("/segments", headers=headers).status_code
            assert reads in (200, 401), (configured, name, reads)
            event: dict[str, Any] = {"events": [{
                "event_id": f"e{n}", "user_id": "u3", "film_id": "00004",
                "timestamp": 1_700_000_000, "weight": 1.0}]}
            writes = c.post("/events", json=event, headers=headers)
            assert writes.status_code in (200, 401, 403), (configured, name, writes.text)
            assert said.json()["access"] == {"read": reads == 200,
                                              "write": writes.status_code == 200}, (
                configured, name)


def _configured_keys(configured: str) -> set[str]:
    """The keys a setting of ``SETTINGS`` configures (an ``ID:`` prefix dropped)."""
    return {item.rpartition(":")[2] for value in SETTINGS[configured].values()
            for item in value.split(",")}


def _refused(configured: str, headers: dict[str, str]) -> bool:
    """Whether /health must refuse ``headers`` (401): read or write keys are configured and
    some key is sent that the server does not hold (a wrong key beside a right one too: each
    was tried, so a read key's holder tried write keys beside it, told by ``access``)."""
    sent = {v.removeprefix("Bearer ") for v in headers.values()}
    guarded = bool({"read_keys", "write_keys"} & set(SETTINGS[configured]))
    return guarded and bool(sent) and not sent <= _configured_keys(configured)


@pytest.mark.parametrize("configured", SETTINGS)
def test_a_key_that_is_none_of_the_servers_is_a_401_on_health_once_keys_guard(
        model: Path, tmp_path: Path, configured: str) -> None:
    """With read or write keys configured, a key the server does not hold is refused on
    /health as the data endpoints and the writes refuse it (401, ``WWW-Authenticate:
    Bearer``, ``{"detail"}`` naming both key headers); no key is still a 200 (a liveness
    probe); a key among them that the server holds is a 200; with neither configured a key
    is ignored there as on the data endpoints (200)."""
    settings = Settings(model_path=str(model), store=str(tmp_path / "store.db"),
                        warm_cache=False, **SETTINGS[configured])
    with TestClient(create_app(settings)) as c:
        for name, headers in SENT.items():
            said = c.get("/health", headers=headers)
            if not _refused(configured, headers):
                assert said.status_code == 200, (configured, name, said.text)
                continue
            assert said.status_code == 401, (configured, name, said.text)
            assert said.headers["www-authenticate"] == "Bearer"
            # the same refusal, header and all, that the writes give the same key
            write = c.post("/events", json={"events": []}, headers=headers)
            assert write.status_code == 401
            assert write.headers["www-authenticate"] == said.headers["www-authenticate"]
            assert set(said.json()) == {"detail"}
            assert "X-API-Key" in said.json()["detail"]
            assert "Authorization: Bearer" in said.json()["detail"]
            # the model's version said as the write's 401 says it (not with read keys set)
            assert ("X-Model-Version" in said.headers) == ("X-Model-Version" in write.headers)
            assert c.head("/health", headers=headers).status_code == 401
        spec = c.get("/openapi.json", headers={"X-API-Key": READ}).json()
        listed = spec["paths"]["/health"]["get"]["responses"]
        guarded = bool({"read_keys", "write_keys"} & set(SETTINGS[configured]))
        assert ("401" in listed) == guarded, (configured, sorted(listed))


def test_the_schema_states_the_access_field(model: Path) -> None:
    with TestClient(create_app(Settings(model_path=str(model), warm_cache=False))) as c:
        spec = c.get("/openapi.json").json()
    health = spec["components"]["schemas"]["Health"]
    assert "access" in health["required"]
    access = spec["components"]["schemas"]["KeyAccess"]
    assert set(access["properties"]) == {"read", "write"}
    assert all(p["type"] == "boolean" for p in access["properties"].values())
