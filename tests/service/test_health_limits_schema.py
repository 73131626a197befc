"""``/health``'s limits as its schema states them: ``max_seed_users`` is always a number (the
schema let it be null, which the server never answers)."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from service_fixtures import save_model

from service.app import create_app
from service.settings import Settings


def test_max_seed_users_is_a_number_the_schema_requires(tmp_path: Path) -> None:
    settings = Settings(model_path=str(save_model(tmp_path / "model")), max_seed_users=1234)
    with TestClient(create_app(settings)) as client:
        spec = client.get("/openapi.json").json()["components"]["schemas"]["ServiceLimits"]
        assert spec["properties"]["max_seed_users"]["type"] == "integer"
        assert "max_seed_users" in spec["required"]
        assert client.get("/health").json()["limits"]["max_seed_users"] == 1234


def test_max_slate_cells_is_said_as_the_server_uses_it(tmp_path: Path) -> None:
    """``limits.max_slate_cells`` is the setting POST /distribution/slate refuses past
    (RECOMMENDER_MAX_SLATE_CELLS): a Studio could not refuse a slate too large before sending
    it. The oracle: the setting the app was made with."""
    settings = Settings(model_path=str(save_model(tmp_path / "model")), max_slate_cells=3)
    with TestClient(create_app(settings)) as client:
        spec = client.get("/openapi.json").json()["components"]["schemas"]["ServiceLimits"]
        assert spec["properties"]["max_slate_cells"]["type"] == "integer"
        assert "max_slate_cells" in spec["required"]
        assert "cells" in spec["properties"]["max_slate_cells"]["description"]
        assert client.get("/health").json()["limits"]["max_slate_cells"] == 3


def test_max_comparable_films_is_said_as_the_server_uses_it(tmp_path: Path) -> None:
    """``limits.max_comparable_films`` is the setting the cold-start bodies are held to
    (RECOMMENDER_MAX_COMPARABLE_FILMS): /health did not say it, so a client could not size
    its comparable film list before sending it. The oracle: the setting the app was made with,
    and where the server's refusal starts."""
    settings = Settings(model_path=str(save_model(tmp_path / "model")), max_comparable_films=2)
    with TestClient(create_app(settings)) as client:
        spec = client.get("/openapi.json").json()["components"]["schemas"]["ServiceLimits"]
        assert spec["properties"]["max_comparable_films"]["type"] == "integer"
        assert "max_comparable_films" in spec["required"]
        most = client.get("/health").json()["limits"]["max_comparable_films"]
        assert most == 2
        films = ["00004", "00008", "00012"]
        for path in ("/audiences/cold-start", "/distribution/cold-start"):
            assert client.post(path, json={"comparable_film_ids": films[:most]}
                               ).status_code == 200, path
            refused = client.post(path, json={"comparable_film_ids": films[:most + 1]})
            assert refused.status_code == 422, (path, refused.text)
            assert "RECOMMENDER_MAX_COMPARABLE_FILMS" in refused.text
