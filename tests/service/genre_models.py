"""Module fixtures for the genre tests: the service-test model with planted genre names, its
saved folder and a client of the service over it (one factory, the names as its argument)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from service_fixtures import build_model

from recommender.model import artifact
from recommender.model.model import Model
from service.app import create_app
from service.settings import Settings


def genre_model(names: Sequence[str]) -> Model:
    """The service-test model whose film i has genres ``names[i % len(names)]``."""
    m = build_model()
    genres = np.asarray(names)[np.arange(m.n_films) % len(names)]
    return dataclasses.replace(m, catalog=dataclasses.replace(m.catalog, genres=genres))


def genre_fixtures(names: Sequence[str], folder: str, *, store: bool = False,
                   ) -> tuple[Callable[..., Any], Callable[..., Any], Callable[..., Any]]:
    """The module fixtures ``model``, ``model_dir`` and ``client`` over ``genre_model(names)``,
    saved under a temporary folder named ``folder``; ``store``: the service keeps a campaign
    store there too. A test module assigns the three to those names, module-wide."""

    @pytest.fixture(scope="module", name="model")
    def model_fixture() -> Model:
        return genre_model(names)

    @pytest.fixture(scope="module", name="model_dir")
    def model_dir_fixture(model: Model, tmp_path_factory: pytest.TempPathFactory) -> Path:
        return artifact.save(model, tmp_path_factory.mktemp(folder) / "model")

    @pytest.fixture(scope="module", name="client")
    def client_fixture(model_dir: Path,
                       tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
        kept = ({"store": str(tmp_path_factory.mktemp(f"{folder}-store") / "store.db")}
                if store else {})
        settings = Settings(model_path=str(model_dir), warm_cache=False, **kept)
        with TestClient(create_app(settings)) as c:
            yield c

    return model_fixture, model_dir_fixture, client_fixture
