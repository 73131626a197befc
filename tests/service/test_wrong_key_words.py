"""A refused key is told "missing or wrong", as the admin routes' 401 says it: an empty or
wrong read key was told "a read key is required", as if it had sent none (and a wrong metrics
key likewise). Oracle: the words themselves, for no key, an empty one and a wrong one."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from service_fixtures import save_model

from service.app import create_app
from service.settings import Settings

READ, METRICS = "read-key-words-0001", "metrics-key-words-0002"
SENT = [{}, {"X-API-Key": ""}, {"X-API-Key": "not-a-key-0003"},
        {"Authorization": "Bearer not-a-key-0003"}]


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    path = save_model(tmp_path_factory.mktemp("words") / "model", seed=0)
    settings = Settings(model_path=str(path), warm_cache=False, watch_interval=0,
                        read_keys=READ, metrics_keys=METRICS)
    with TestClient(create_app(settings)) as c:
        yield c


@pytest.mark.parametrize("headers", SENT)
def test_a_refused_read_key_is_missing_or_wrong(client: TestClient,
                                                headers: dict[str, str]) -> None:
    r = client.get("/segments", headers=headers)
    assert r.status_code == 401
    assert r.json()["detail"].startswith("missing or wrong read key: send 'X-API-Key: <key>'")
    assert "RECOMMENDER_READ_KEYS" in r.json()["detail"]
    assert client.get("/segments", headers={"X-API-Key": READ}).status_code == 200


@pytest.mark.parametrize("headers", SENT)
def test_a_refused_metrics_key_is_missing_or_wrong(client: TestClient,
                                                   headers: dict[str, str]) -> None:
    r = client.get("/metrics", headers=headers)
    assert r.status_code == 401
    assert r.json()["detail"].startswith("missing or wrong metrics key: send ")
    assert client.get("/metrics", headers={"X-API-Key": METRICS}).status_code == 200


WRITE, ADMIN = "write-key-words-0004", "admin-key-words-0005"


@pytest.mark.parametrize("keys", [{"read_keys": READ, "write_keys": WRITE},
                                  {"write_keys": WRITE}, {"read_keys": READ}])
def test_a_write_routes_401_names_the_write_key(tmp_path_factory: pytest.TempPathFactory,
                                                keys: dict[str, str]) -> None:
    """A write without a key was told "missing or wrong read key ... RECOMMENDER_READ_KEYS",
    and a read key sent then was a 403; on a server of write keys alone it was told "... not
    a read key". The 401 names the key the route takes; the read key's 403 still says why."""
    root = tmp_path_factory.mktemp("write-words")
    settings = Settings(model_path=str(save_model(root / "model", seed=0)), warm_cache=False,
                        watch_interval=0, store=str(root / "store.db"), admin_key=ADMIN, **keys)
    with TestClient(create_app(settings)) as c:
        plan = {"films": [{"film_id": "00004", "budget": 3}]}
        for url, body in (("/events", {"events": []}), ("/campaigns/plan", plan)):
            for headers in SENT:
                r = c.post(url, json=body, headers=headers)
                assert r.status_code == 401, (url, headers, r.text)
                detail = r.json()["detail"]
                assert detail.startswith("missing or wrong write key: this endpoint writes to "
                                         "the campaign store: send a write key (the keys are "
                                         "set in RECOMMENDER_WRITE_KEYS) or the admin key as "
                                         "'X-API-Key: <key>'"), detail
                assert "RECOMMENDER_READ_KEYS" not in detail and "read key" in detail
            if "read_keys" in keys:  # the key the 401 names is not one a read key opens
                r = c.post(url, json=body, headers={"X-API-Key": READ})
                assert r.status_code == 403 and "needs a write key" in r.json()["detail"]
            opener = WRITE if "write_keys" in keys else ADMIN
            r = c.post(url, json=body, headers={"Authorization": f"Bearer {opener}"})
            assert r.status_code not in (401, 403), (url, r.text)
            declared = c.get("/openapi.json", headers={"X-API-Key": opener}).json()
            assert declared["paths"][url]["post"]["responses"]["401"]["description"].startswith(
                "missing or wrong write key")
