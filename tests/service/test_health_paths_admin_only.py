"""``/health`` names server paths in full to the admin key only: a read key (or a write key)
saw the served folder (``model.path``) and the training data's file (``model.data_source``)
while a refused reload's 409 says ``<models root>/...``. Oracle: the folders the test made
and the data source it wrote into the model's ``meta.json``."""

from __future__ import annotations

import copy
import dataclasses
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from service_fixtures import build_model

from recommender.model import artifact, layout
from service.app import create_app
from service.settings import Settings

ADMIN, READ, WRITE, METRICS = ("admin-key-0123456789", "read-key-0123456789",
                               "write-key-0123456789", "metrics-key-0123456789")
DATA = "/srv/private/warehouse/ratings.csv"
STORE = "sqlite:////srv/private/campaigns.db"
KEYS = {"read_keys": f"crm:{READ}", "write_keys": f"etl:{WRITE}",
        "metrics_keys": f"prom:{METRICS}", "admin_key": ADMIN}


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A models root holding ``served``, a model whose data came from ``DATA`` and 12 events
    of the store ``STORE``."""
    base = tmp_path_factory.mktemp("paths-root")
    model = build_model(seed=0)
    meta = copy.deepcopy(model.meta)
    meta["data"]["source"] = f"{DATA} + 12 events from {STORE}"
    artifact.save(dataclasses.replace(model, meta=meta), base / "served")
    return base


def app(root: Path, **kw: Any) -> TestClient:
    return TestClient(create_app(Settings(model_path=str(root / "served"), warm_cache=False,
                                          watch_interval=0, **kw)))


@pytest.fixture(scope="module")
def keyed(root: Path) -> Iterator[TestClient]:
    with app(root, models_root=str(root), **KEYS) as c:
        yield c


@pytest.mark.parametrize("headers", [{"X-API-Key": READ}, {"Authorization": f"Bearer {WRITE}"}])
def test_a_read_or_write_key_sees_paths_from_the_models_root(keyed: TestClient, root: Path,
                                                             headers: dict[str, str]) -> None:
    r = keyed.get("/health", headers=headers)
    assert r.status_code == 200, r.text
    model = r.json()["model"]
    assert model["path"] == "<models root>/served"
    # the name the Studio shows; the store's events not counted to a partner's key (every
    # key's: tests/campaigns/test_events_seq_per_key.py)
    assert model["data_source"] == "ratings.csv + campaign events"
    for secret in ("/srv/private", str(root), "sqlite:"):
        assert secret not in r.text, secret


@pytest.mark.parametrize("headers", [{"X-API-Key": ADMIN}, {"Authorization": f"Bearer {ADMIN}"}])
def test_the_admin_key_sees_them_in_full(keyed: TestClient, root: Path,
                                         headers: dict[str, str]) -> None:
    model = keyed.get("/health", headers=headers).json()["model"]
    assert model["path"] == str(root / "served")
    assert model["data_source"] == f"{DATA} + 12 events from {STORE}"


def test_without_a_models_root_a_read_key_gets_no_folder(root: Path) -> None:
    with app(root, read_keys=f"crm:{READ}", admin_key=ADMIN) as c:
        model = c.get("/health", headers={"X-API-Key": READ}).json()["model"]
        assert model["path"] is None and model["data_source"] == "ratings.csv + campaign events"
        # a server with an admin key only (its data open): no key is every role
        assert c.get("/health", headers={"X-API-Key": ADMIN}).json()["model"]["path"] == str(
            root / "served")
    with app(root, admin_key=ADMIN) as c:
        assert c.get("/health").json()["model"]["path"] is None


def test_a_server_without_keys_shows_them_to_none(root: Path) -> None:
    """A trial server: every caller holds every right, but paths are an operator's, and
    anyone who finds the port is a caller; they showed in full to all."""
    with app(root) as c:
        r = c.get("/health")
        model = r.json()["model"]
        assert model["path"] is None
        assert model["data_source"] == "ratings.csv + 12 events"
        for secret in ("/srv/private", str(root), "sqlite:"):
            assert secret not in r.text, secret
    with app(root, models_root=str(root)) as c:
        assert c.get("/health").json()["model"]["path"] == "<models root>/served"


def test_the_folder_warning_names_the_folder_from_the_root(root: Path,
                                                           tmp_path: Path) -> None:
    """A damaged current version: the warning named its files by their full paths to a read
    key; now from the models root (the admin key still sees them)."""
    base = tmp_path / "root"
    shutil.copytree(root, base, symlinks=True)
    with app(base, models_root=str(base), **KEYS) as c:
        model = build_model(seed=1)
        artifact.save(model, base / "served")
        damaged = layout.resolve(base / "served") / "film_ids.npy"
        damaged.write_bytes(b"\x93NUMPY damaged")
        assert not c.app.state.service.check()  # type: ignore[attr-defined]
        admin = c.get("/health", headers={"X-API-Key": ADMIN}).json()["model_folder_warning"]
        assert str(damaged) in admin, admin
        said = c.get("/health", headers={"X-API-Key": READ}).json()["model_folder_warning"]
        assert str(base) not in said, said
        assert f"<models root>/served/{damaged.relative_to(base / 'served')}" in said, said


def test_a_refused_reloads_warning_names_its_folder_in_full_to_the_admin_key(
        root: Path, tmp_path: Path) -> None:
    """README's Models root: /health shows the folders in ``model_folder_warning`` in full to
    the admin key. After a refused ``POST /admin/reload {"model_path": "bad"}`` it showed the
    admin key ``<models root>/bad/versions/.../user_factors.npy``, masked as for a read key
    (the 409's words, kept as they were shown); a read key still sees it from the root."""
    base = tmp_path / "root"
    shutil.copytree(root, base, symlinks=True)
    shutil.copytree(base / "served", base / "bad", symlinks=True)
    damaged = layout.resolve(base / "bad") / "user_factors.npy"
    raw = bytearray(damaged.read_bytes())
    raw[-7] ^= 0x20  # one byte altered, the size kept: only its SHA-256 tells
    damaged.write_bytes(bytes(raw))
    with app(base, models_root=str(base), **KEYS) as c:
        r = c.post("/admin/reload", json={"model_path": "bad"},
                   headers={"Authorization": f"Bearer {ADMIN}"})
        assert r.status_code == 409, r.text
        shown = f"<models root>/bad/{damaged.relative_to(base / 'bad')}"
        assert shown in r.json()["detail"] and str(base) not in r.text  # the 409, as documented
        admin = c.get("/health", headers={"X-API-Key": ADMIN}).json()["model_folder_warning"]
        assert str(damaged) in admin and "<models root>" not in admin, admin
        for key in (READ, WRITE):
            said = c.get("/health", headers={"X-API-Key": key}).json()["model_folder_warning"]
            assert shown in said and str(base) not in said, said
            assert said == admin.replace(str(base), "<models root>")
