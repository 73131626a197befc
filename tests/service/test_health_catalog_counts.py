"""/health says how many of the model's films have a title and how many have genres: a log
trained without a catalog has neither, and the Studio had no way to know (its search field
said "Title", its genre fields were offered). Oracle: the saved catalog's own fields, counted
one by one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from service_fixtures import build_model

from recommender.io.dataset import Catalog
from recommender.model import artifact
from service.app import create_app
from service.settings import Settings


def _health_model(path: Path, tmp_path: Path) -> dict[str, Any]:
    settings = Settings(model_path=str(path), store=str(tmp_path / "s.db"),
                        warm_cache=False, watch_interval=0, events_poll=0)
    with TestClient(create_app(settings)) as client:
        r = client.get("/health")
        assert r.status_code == 200, r.text
        return dict(r.json()["model"])


def test_films_with_a_title_and_with_genres_are_counted(tmp_path: Path) -> None:
    model = build_model(seed=4)
    cat = model.catalog
    titles, genres = cat.titles.astype(object), cat.genres.astype(object)
    titles[::3] = ""      # every third film without a title
    titles[1::7] = "   "  # blanks are no title either
    genres[::2] = ""      # every other film without genres
    model.catalog = Catalog(cat.film_ids, titles.astype(str), cat.years, genres.astype(str))
    info = _health_model(artifact.save(model, tmp_path / "m"), tmp_path)
    assert info["films_with_title"] == sum(1 for t in titles.tolist() if t.strip())
    assert info["films_with_genres"] == sum(1 for g in genres.tolist() if g)
    assert 0 < info["films_with_title"] < info["films"]


def test_a_model_without_a_catalog_has_no_titles_and_no_genres(tmp_path: Path) -> None:
    model = build_model(seed=5)
    n = model.n_films
    model.catalog = Catalog(model.catalog.film_ids, np.full(n, "", dtype=str),
                            np.zeros(n, np.int32), np.full(n, "", dtype=str))
    info = _health_model(artifact.save(model, tmp_path / "m"), tmp_path)
    assert (info["films_with_title"], info["films_with_genres"]) == (0, 0)
    assert info["films"] == n


def test_the_counts_are_worked_out_once_per_model_not_per_request(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # counted on each /health they cost 2.6 s of CPU at 1M films (np.char over every title),
    # where monitors and every Studio page ask it: the string passes are counted here
    passes: list[str] = []
    for name in ("strip", "str_len"):
        real = getattr(np.char, name)
        monkeypatch.setattr(np.char, name, lambda *a, _f=real, _n=name, **k: (
            passes.append(_n), _f(*a, **k))[1])
    path = artifact.save(build_model(seed=6), tmp_path / "m")
    settings = Settings(model_path=str(path), store=str(tmp_path / "s.db"),
                        warm_cache=False, watch_interval=0, events_poll=0)
    with TestClient(create_app(settings)) as client:
        first = client.get("/health").json()["model"]
        assert passes  # the first asks read the catalog
        passes.clear()
        again = [client.get("/health").json()["model"] for _ in range(3)]
    assert passes == []
    for body in again:
        assert (body["films_with_title"], body["films_with_genres"]) == (
            first["films_with_title"], first["films_with_genres"])


def test_the_schema_says_the_counts_are_always_given(tmp_path: Path) -> None:
    # they defaulted to 0 in the schema: a client built from it, given no count, read "this
    # catalog has no titles and no genres" (the Studio would ask for film ids). Oracle: the
    # served /openapi.json, and /health's own answer holding both
    path = artifact.save(build_model(seed=7), tmp_path / "m")
    settings = Settings(model_path=str(path), store=str(tmp_path / "s.db"),
                        warm_cache=False, watch_interval=0, events_poll=0)
    with TestClient(create_app(settings)) as client:
        schema = client.get("/openapi.json").json()["components"]["schemas"]["ModelInfo"]
        body = client.get("/health").json()["model"]
    for name in ("films_with_title", "films_with_genres"):
        assert name in schema["required"], name
        assert "default" not in schema["properties"][name], schema["properties"][name]
        assert isinstance(body[name], int) and 0 <= body[name] <= body["films"]
