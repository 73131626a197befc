"""The forecast against the demo's planted regional truth (a model trained on the time split's
past, checked on the later viewings), and the demo served by cinema with a capped allocation."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient

from recommender.cli import main
from recommender.distribution.demand import demand_by_place
from recommender.distribution.places import cinemas_for
from recommender.distribution.quality import forecast_quality, spearman
from recommender.evaluation.splits import time_split
from recommender.io import demo, readers
from recommender.model import artifact
from recommender.model.config import TrainConfig
from recommender.model.model import Model
from recommender.model.training import train
from service.app import create_app
from service.settings import Settings


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("demo-truth")
    folder = demo.generate(root / "data")
    split = time_split(readers.load(folder))
    model = train(split.train, TrainConfig(factors=32, iterations=8, segments=8, seed=0),
                  progress=False)
    model_dir = artifact.save(model, root / "model")
    shutil.copy(folder / demo.CINEMAS_FILE, model_dir / demo.CINEMAS_FILE)
    return {"folder": folder, "split": split, "model": model, "model_dir": model_dir,
            "manifest": demo.read_manifest(folder)}


def test_forecast_beats_the_baselines_on_the_planted_demo(world: dict[str, Any]) -> None:
    test = world["split"].test
    q = forecast_quality(world["model"], "region", test.users.ids[test.user_idx],
                         test.films.ids[test.film_idx], min_new=20)
    assert q["films"] >= 100
    mae = q["mae"]
    for baseline in ("users", "past_viewing", "genre_viewing"):
        assert mae["forecast"] < mae[baseline], (baseline, mae)
    assert q["forecast_wins"]["users"] >= 0.7
    assert q["spearman"]["forecast"] > q["spearman"]["users"] + 0.1


def test_local_films_over_index_in_their_home_region(world: dict[str, Any]) -> None:
    """The planted local films: the forecast puts a larger share of their demand in their
    home region than its share of users (index > 100) for most of them."""
    model: Model = world["model"]
    local: dict[str, str] = world["manifest"]["places"]["local_films"]
    counts = model.film_counts()
    known = [f for f in local if f in set(model.films.ids.tolist())
             and counts[model.film_index(f)] >= 15]
    assert len(known) >= 15
    index = [next(r["index_vs_users"] for r in demand_by_place(model, f, "region")["places"]
                  if r["place"] == local[f]) for f in known]
    assert np.mean(np.array(index) > 100) >= 0.8, index


def test_spearman_helper() -> None:
    assert spearman(np.array([1.0, 2.0, 3.0]), np.array([10.0, 20.0, 30.0])) == pytest.approx(1)
    assert spearman(np.array([1.0, 2.0, 3.0]), np.array([3.0, 2.0, 1.0])) == pytest.approx(-1)
    assert spearman(np.array([1.0, 1.0, 2.0, 3.0]), np.array([1.0, 2.0, 3.0, 4.0])) == \
        pytest.approx(0.9486833, abs=1e-6)  # scipy.stats.spearmanr's value with a tie
    assert spearman(np.ones(3), np.array([1.0, 2.0, 3.0])) is None


@pytest.fixture(scope="module")
def client(world: dict[str, Any]) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(model_path=str(world["model_dir"])))) as c:
        yield c


def test_demo_by_cinema_with_capped_screens(world: dict[str, Any], client: TestClient,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    film = world["manifest"]["example_film_id"]
    r = client.get(f"/films/{film}/distribution", params={"by": "cinema", "screens": 120})
    assert r.status_code == 200, r.text
    body = r.json()
    screens = {c: int(s) for c, s in np.loadtxt(world["folder"] / demo.CINEMAS_FILE,
                                                 delimiter=",", skiprows=1, dtype=str,
                                                 usecols=(0, 3))}
    assert body["screens"]["capped_by"].startswith(f"cinemas.csv: {len(screens)} cinemas")
    assert sum(p["screens"] for p in body["places"]) == 120
    for p in body["places"]:
        assert p["screens"] <= p["capacity"]
        if p["place"] != "other":
            assert p["capacity"] == screens[p["place"]] and p["users"] >= body["min_cell"]
    assert main(["distribution", str(world["model_dir"]), film, "--by", "cinema",
                 "--screens", "120", "--json"]) == 0
    assert capsys.readouterr().out == r.content.decode() + "\n"
    too_many = body["screens"]["capacity"] + 1
    r = client.get(f"/films/{film}/distribution", params={"by": "cinema", "screens": too_many})
    assert r.status_code == 422
    assert r.json()["detail"].startswith(f"screens={too_many} is more than the")
    # without a path, the cinemas are found beside the training data
    table = cinemas_for(world["model"])
    assert table is not None and len(table) == len(screens)
    # the table caps cities and regions too: each by the screens of its cinemas there
    for by, column in (("city", 1), ("region", 2)):
        per_place: dict[str, int] = {}
        for row in np.loadtxt(world["folder"] / demo.CINEMAS_FILE, delimiter=",", skiprows=1,
                              dtype=str, ndmin=2):
            per_place[row[column]] = per_place.get(row[column], 0) + int(row[3])
        r = client.get(f"/films/{film}/distribution", params={"by": by, "screens": 120})
        assert r.status_code == 200, r.text
        assert r.json()["screens"]["capped_by"].startswith(f"cinemas.csv: {len(screens)} ")
        for p in r.json()["places"]:
            assert p["screens"] <= p["capacity"]
            if p["place"] != "other":
                assert p["capacity"] == per_place[p["place"]]
        assert main(["distribution", str(world["model_dir"]), film, "--by", by,
                     "--screens", "120", "--json"]) == 0
        assert capsys.readouterr().out == r.content.decode() + "\n"


def test_cold_start_quality_reads_each_genre_as_written(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Two genres that differ only by case ("Sci-Fi", "Sci-fi"): a test film's "Sci-Fi" was
    read as "Sci-fi", the last of a lower-case look-up (``resolve_genres`` reads each as
    written since); another case of one genre is still that genre, and a name of both is
    left out as a genre the model does not know."""
    from types import SimpleNamespace

    from recommender.distribution import quality

    seen: dict[str, set[str]] = {}

    def compare(_model: Any, _by: str, film_ids: Any, *_args: Any) -> dict[str, Any]:
        genre_of = _args[-2]
        seen.update({f: genre_of(i) for i, f in enumerate(film_ids.tolist())})
        return {}

    monkeypatch.setattr(quality, "place_groups", lambda *_: SimpleNamespace(labels=["a"]))
    monkeypatch.setattr(quality, "_compare", compare)
    model = SimpleNamespace(
        catalog=SimpleNamespace(genre_vocabulary=lambda: ["Sci-Fi", "Sci-fi", "Drama"]),
        films=SimpleNamespace(ids=np.asarray(["known"])))
    quality.cold_start_quality(model, "region", np.asarray(["u"]),  # type: ignore[arg-type]
                               np.asarray(["x", "y", "z", "known"]),
                               {"x": "Sci-Fi|DRAMA", "y": "Sci-fi", "z": "sci-fi"})
    assert seen == {"x": {"Sci-Fi", "Drama"}, "y": {"Sci-fi"}}
