"""How the analyst's answers name their cuts, CLI and HTTP alike: ``all`` given with tier names,
an audience of nobody (``empty``, the header's words), blanks around names (``by``, filters),
the ``audiences`` line (canonical names, "1 row"), min_rating examples only where the model has
one, and a title written article last.

Oracles: the library's own answers (``film_audience``), brute force over the filter values, and
``TitleIndex`` on a hand-made catalog.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from service_fixtures import save_model

from recommender.model import artifact
from recommender.model.model import Model
from recommender.query.audience import film_audience
from recommender.query.recommend import similar_films
from recommender.query.titles import TitleIndex
from recommender.serving.engine import Engine
from service.app import create_app
from service.settings import Settings
from tests.helpers import run_cli

FILM = "00004"


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_model(tmp_path_factory.mktemp("cuts") / "model")


@pytest.fixture(scope="module")
def model(model_dir: Path) -> Model:
    return artifact.load(model_dir)


@pytest.fixture(scope="module")
def client(model_dir: Path) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(model_path=str(model_dir), warm_cache=False))) as c:
        yield c


def test_all_with_tier_names_is_refused_saying_all_stands_alone(
        client: TestClient, model_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    r = client.get(f"/films/{FILM}/audience/summary", params={"tier": "all,core"})
    code, _, err = run_cli(capsys, "summary", model_dir, FILM, "--tier", "all,core")
    assert r.status_code == 422 and code == 2
    for said in (r.json()["detail"], err):
        assert "'all' (the whole ranking) is given alone" in said and "unknown tier" not in said
    r = client.get(f"/films/{FILM}/audience", params={"tier": "all"})  # no one ring
    assert r.status_code == 422 and "leave the tier out" in r.json()["detail"]


def _filter_outside_core(model: Model) -> tuple[str, str, int]:
    """A filter value with candidates, none of them in the film's core ring."""
    for name in ("age_band", "region"):
        for value in sorted(set(model.user_table.attributes[name].tolist())):
            ring = film_audience(model, FILM, tier="core", filters={name: [value]})
            whole = film_audience(model, FILM, filters={name: [value]})
            if ring.total == 0 and whole.total:
                return name, value, whole.total
    raise AssertionError("no filter value outside the core ring")


def test_an_audience_of_nobody_says_why_naming_ring_and_filter(
        client: TestClient, model: Model, model_dir: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    name, value, outside = _filter_outside_core(model)
    params = {"tier": "core", "filter": f"{name}={value.lower()}", "k": 5}
    body = client.get(f"/films/{FILM}/audience", params=params).json()
    assert body["users"] == [] and body["total"] == 0
    why = body["empty"]
    assert f"({name}={value})" in why and "nobody in the core ring" in why
    assert f"{outside:,} candidate" in why
    code, out, _ = run_cli(capsys, "audience", model_dir, FILM, "--tier", "core", "--filter",
                           params["filter"], "--k", 5, "--json")
    assert code == 0 and json.loads(out) == body
    code, out, _ = run_cli(capsys, "audience", model_dir, FILM, "--tier", "core", "--filter",
                           params["filter"], "--k", 5)
    assert code == 0 and out.splitlines()[1].endswith(f"; {why}")
    # a page that lists users says nothing of the sort
    listed = film_audience(model, FILM, filters={name: [value]})
    assert listed.empty is None and listed.to_json()["empty"] is None
    assert client.get(f"/films/{FILM}/audience", params={"k": 3}).json()["empty"] is None


def test_names_are_read_with_blanks_around_them_everywhere(
        client: TestClient, model_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    plain = client.get(f"/films/{FILM}/distribution", params={"by": "region"})
    spaced = client.get(f"/films/{FILM}/distribution", params={"by": " Region "})
    assert plain.status_code == spaced.status_code == 200
    assert spaced.json() == plain.json()
    code, out, err = run_cli(capsys, "distribution", model_dir, FILM, "--by", " region",
                             "--json")
    assert code == 0, err
    assert json.loads(out) == plain.json()
    by_tier = client.get(f"/films/{FILM}/audience", params={"tier": " core ",
                                                            "filter": " region = R1 "})
    assert by_tier.status_code == 200
    assert by_tier.json() == client.get(f"/films/{FILM}/audience", params={
        "tier": "core", "filter": "region=R1"}).json()
    spec = client.get("/openapi.json").json()
    params = spec["paths"]["/films/{film_id}/distribution"]["get"]["parameters"]
    pattern = next(p for p in params if p["name"] == "by")["schema"]["pattern"]
    assert re.fullmatch(pattern, " Region ") and not re.fullmatch(pattern, "age")


def test_the_audiences_line_names_the_cut_as_the_model_does(
        model: Model, model_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    films = tmp_path / "films.txt"
    films.write_text(f"{FILM}\n")
    code, out, err = run_cli(capsys, "audiences", model_dir, "--films", films, "--k", 1,
                             "--tier", " CORE ", "--filter", "region=r0",
                             "--out", tmp_path / "a.csv")
    assert code == 0, err
    assert out.startswith("wrote 1 row (1 film x top 1, core ring, region=R0) to "), out
    users = tmp_path / "users.txt"
    users.write_text(f"{model.users.ids[2]}\n")
    code, out, err = run_cli(capsys, "recommend", model_dir, "--users", users, "--k", 1,
                             "--out", tmp_path / "r.csv")
    assert code == 0 and out.startswith("wrote 1 row (1 user x top 1) to "), (out, err)


def _unfitted(model_dir: Path, min_rating: float | None) -> tuple[Model, str]:
    """The service model with one film's vector zeroed (nothing fitted) and ``min_rating``."""
    model = artifact.load(model_dir)
    model.film_factors = np.array(model.film_factors)
    f = model.film_index(FILM)
    model.film_factors[f] = 0
    model.meta = {**model.meta, "params": {**model.meta.get("params", {}),
                                           "min_rating": min_rating}}
    return model, FILM


@pytest.mark.parametrize("min_rating", [None, 3.0])
def test_the_min_rating_example_only_where_the_model_has_one(
        model_dir: Path, min_rating: float | None) -> None:
    model, film = _unfitted(model_dir, min_rating)
    notes: list[Any] = [film_audience(model, film, k=3).note,
                        Engine(model).audience(film, k=3).note,
                        similar_films(model, film, k=3).note]
    assert all(notes) and all(("min_rating" in n) == (min_rating is not None) for n in notes)
    assert all(n.startswith("nothing fitted ties this film to the") for n in notes)


def test_an_article_written_last_never_matches_alone() -> None:
    titles = ["Matrix, The (1999)", "Man, The (2005)", "Mask, The (1994)", "Mack, The (1973)",
              "Thin Man, The (1934)", "Matrix Reloaded, The (2003)", "Animatrix, The (2003)"]
    index = TitleIndex(titles, [0] * len(titles))
    for query in ("Matrix, The", "Matrix, The (1999)", "Matrx, The"):
        found = {titles[i] for i in np.flatnonzero(index.scores(query))}
        said_as_people_do = {titles[i] for i in np.flatnonzero(
            index.scores("the " + query.split(",")[0] + query.split("The")[1]))}
        assert found == said_as_people_do, query
        assert all("Matrix" in t or "matrix" in t for t in found), (query, found)
