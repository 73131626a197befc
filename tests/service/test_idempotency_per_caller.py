"""An ``Idempotency-Key`` is its caller's own: the admin key sending the ETL write key's key
was answered the ETL's plan (and with another body a 409 naming it). Each caller (its key's
id; anonymous on a server without keys) keeps its records, across a restart on the same store,
and a key rotated under the same id keeps them too. Oracle: the plan ids each request got and
the store's plan count."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from service_fixtures import save_model

from service.app import create_app
from service.settings import Settings

ADMIN, READ = "admin-key-0123456789", "read-key-0123456789"
ETL, ETL_NEW, OPS = "etl-key-0123456789", "etl-key-rotated-0123", "ops-key-0123456789"
KEYS: dict[str, Any] = {"admin_key": ADMIN, "read_keys": f"crm:{READ}",
                        "write_keys": f"etl:{ETL},etl:{ETL_NEW},ops:{OPS}"}
BODY = {"films": [{"film_id": "00002", "budget": 5}], "waves": 2}
OTHER = {"films": [{"film_id": "00000", "budget": 5}], "waves": 2}


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_model(tmp_path_factory.mktemp("idempotency") / "model")


def serve(model_dir: Path, store: Path, **kw: Any) -> TestClient:
    return TestClient(create_app(Settings(model_path=str(model_dir), store=str(store),
                                          warm_cache=False, **kw)))


def key(api_key: str, idempotency_key: str) -> dict[str, str]:
    return {"X-API-Key": api_key, "Idempotency-Key": idempotency_key}


@pytest.fixture()
def keyed(model_dir: Path, tmp_path: Path) -> Iterator[TestClient]:
    with serve(model_dir, tmp_path / "store.db", **KEYS) as c:
        yield c


def total(c: TestClient) -> int:
    return int(c.get("/campaigns", headers={"X-API-Key": READ}).json()["total"])


def test_another_caller_s_key_is_not_replayed(keyed: TestClient) -> None:
    etl = keyed.post("/campaigns/plan", json=BODY, headers=key(ETL, "nightly-1"))
    assert etl.status_code == 200, etl.text
    mine = etl.json()["plan_id"]
    # the admin key, the same Idempotency-Key and body: a plan of its own, not the ETL's
    admin = keyed.post("/campaigns/plan", json=BODY, headers=key(ADMIN, "nightly-1"))
    assert admin.status_code == 200, admin.text
    assert admin.json()["plan_id"] != mine and "idempotent-replayed" not in admin.headers
    # another body: no 409 naming the ETL's plan (the admin's own record is another body)
    other = keyed.post("/campaigns/plan", json=OTHER, headers=key(OPS, "nightly-1"))
    assert other.status_code == 200, other.text
    assert mine not in other.text
    assert total(keyed) == 3
    # each caller keeps today's behaviour with its own key: a retry replays, another body 409
    again = keyed.post("/campaigns/plan", json=BODY, headers=key(ETL, "nightly-1"))
    assert again.json() == etl.json() and again.headers["idempotent-replayed"] == "true"
    clash = keyed.post("/campaigns/plan", json=OTHER, headers=key(ETL, "nightly-1"))
    assert clash.status_code == 409, clash.text
    assert "'nightly-1'" in clash.json()["detail"] and mine in clash.json()["detail"]
    replayed = keyed.post("/campaigns/plan", json=BODY, headers=key(ADMIN, "nightly-1"))
    assert replayed.json()["plan_id"] == admin.json()["plan_id"]
    # a key rotated under the same id is the same caller
    rotated = keyed.post("/campaigns/plan", json=BODY, headers=key(ETL_NEW, "nightly-1"))
    assert rotated.json()["plan_id"] == mine, rotated.text
    assert total(keyed) == 3


def test_a_next_wave_s_key_is_its_caller_s(keyed: TestClient) -> None:
    parent = keyed.post("/campaigns/plan", json=BODY, headers={"X-API-Key": ETL}).json()
    path = f"/campaigns/{parent['plan_id']}/next"
    etl = keyed.post(path, json={"sent_waves": 1}, headers=key(ETL, "next-1"))
    assert etl.status_code == 200, etl.text
    admin = keyed.post(path, json={"sent_waves": 1}, headers=key(ADMIN, "next-1"))
    assert admin.status_code == 200, admin.text
    assert admin.json()["plan_id"] != etl.json()["plan_id"]
    again = keyed.post(path, json={"sent_waves": 1}, headers=key(ETL, "next-1"))
    assert again.json()["plan_id"] == etl.json()["plan_id"]


def test_records_outlive_a_restart(model_dir: Path, tmp_path: Path) -> None:
    """The records are in the campaign store: a restarted server finds each caller's own; an
    anonymous caller's (a server without keys) are stored as sent, as every record was before
    callers were told apart, and a caller with a key does not find them."""
    store = tmp_path / "store.db"
    with serve(model_dir, store, **KEYS) as c:
        etl = c.post("/campaigns/plan", json=BODY, headers=key(ETL, "k-1")).json()
    with serve(model_dir, store) as c:  # no keys: anonymous
        anonymous = c.post("/campaigns/plan", json=OTHER, headers={"Idempotency-Key": "k-2"})
        assert anonymous.status_code == 200 and anonymous.json()["plan_id"] != etl["plan_id"]
    with serve(model_dir, store) as c:
        again = c.post("/campaigns/plan", json=OTHER, headers={"Idempotency-Key": "k-2"})
        assert again.json() == anonymous.json(), again.text
    with serve(model_dir, store, **KEYS) as c:
        assert c.post("/campaigns/plan", json=BODY,
                      headers=key(ETL, "k-1")).json()["plan_id"] == etl["plan_id"]
        fresh = c.post("/campaigns/plan", json=OTHER, headers=key(ETL, "k-2"))
        assert fresh.status_code == 200 and "idempotent-replayed" not in fresh.headers
        assert fresh.json()["plan_id"] != anonymous.json()["plan_id"]
