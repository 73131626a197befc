"""The server runs its BLAS with one thread per worker while it serves, and gives the
process's original limits back when it stops."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from service_fixtures import save_model
from threadpoolctl import threadpool_info

from service.app import create_app
from service.settings import Settings


def _blas_threads() -> list[int]:
    return [int(i["num_threads"]) for i in threadpool_info() if i["user_api"] == "blas"]


def test_blas_limited_while_serving(tmp_path: Path) -> None:
    model = save_model(tmp_path / "model")
    before = _blas_threads()
    with TestClient(create_app(Settings(model_path=str(model)))) as client:
        assert client.get("/health").status_code == 200
        assert _blas_threads() and set(_blas_threads()) == {1}
    assert _blas_threads() == before
    with TestClient(create_app(Settings(model_path=str(model), blas_threads=0))):
        assert _blas_threads() == before
