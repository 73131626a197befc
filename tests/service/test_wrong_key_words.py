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
