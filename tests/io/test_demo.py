"""Tests of the synthetic demo-data generator (``recommender.io.demo``)."""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.typing import NDArray

from recommender.errors import InvalidParameterError
from recommender.io import demo

FILES = (demo.INTERACTIONS_FILE, demo.FILMS_FILE, demo.USERS_FILE, demo.GROUPS_FILE,
         demo.DEMO_MARKER, demo.CINEMAS_FILE)
SMALL: dict[str, Any] = {"n_users": 300, "n_films": 80, "n_interactions": 6000, "n_groups": 4}


def _read(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _digest(folder: Path) -> dict[str, str]:
    return {name: hashlib.sha256((folder / name).read_bytes()).hexdigest() for name in FILES}


class Demo:
    """A generated default-size demo folder, parsed once."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.manifest: dict[str, Any] = json.loads((folder / demo.DEMO_MARKER).read_text())
        self.interactions = _read(folder / demo.INTERACTIONS_FILE)
        self.films = {r["film_id"]: r for r in _read(folder / demo.FILMS_FILE)}
        self.users = {r["user_id"]: r for r in _read(folder / demo.USERS_FILE)}
        self.groups = demo.read_groups(folder)
        self.user_ids = np.array([r["user_id"] for r in self.interactions])
        self.film_ids = np.array([r["film_id"] for r in self.interactions])
        self.ratings = np.array([float(r["rating"]) for r in self.interactions])
        self.timestamps = np.array([int(r["timestamp"]) for r in self.interactions])
        self.user_group = np.array([self.groups[u] for u in self.user_ids])
        fav = {g["group"]: set(g["genres"]) for g in self.manifest["groups"]}
        film_genres = {f: set(r["genres"].split("|")) for f, r in self.films.items()}
        self.match = np.array([bool(film_genres[f] & fav[g])
                               for f, g in zip(self.film_ids, self.user_group, strict=True)])


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    out = tmp_path_factory.mktemp("demo") / "data"
    demo.generate(out)
    return Demo(out)


# --------------------------------------------------------------------------------------------
# Files, determinism


def test_files_and_headers(data: Demo) -> None:
    assert sorted(p.name for p in data.folder.iterdir()) == sorted(FILES)
    names = [n for n in FILES if n != demo.DEMO_MARKER]
    heads = {name: (data.folder / name).read_text().splitlines()[0] for name in names}
    assert heads == {
        demo.INTERACTIONS_FILE: "user_id,film_id,rating,timestamp",
        demo.FILMS_FILE: "film_id,title,year,genres",
        demo.USERS_FILE: "user_id,age,gender,occupation,region,city,cinema",
        demo.GROUPS_FILE: "user_id,group",
        demo.CINEMAS_FILE: "cinema_id,city,region,screens,seats",
    }


def test_same_seed_same_bytes_different_seed_different(tmp_path: Path) -> None:
    a = demo.generate(tmp_path / "a", seed=3)
    b = demo.generate(tmp_path / "b", seed=3)
    c = demo.generate(tmp_path / "c", seed=4)
    assert _digest(a) == _digest(b)
    da, dc = _digest(a), _digest(c)
    for name in FILES:
        assert da[name] != dc[name], name


def test_manifest(data: Demo) -> None:
    m = data.manifest
    assert m["generator"] == "recommender.demo" and m["version"] == 1
    assert (m["seed"], m["n_users"], m["n_films"], m["n_interactions"], m["n_groups"]) == (
        7, 3000, 400, 100_000, 8)
    assert [g["group"] for g in m["groups"]] == list(range(8))
    sets = [tuple(sorted(g["genres"])) for g in m["groups"]]
    assert len(set(sets)) == len(sets)
    for g in m["groups"]:
        assert 2 <= len(g["genres"]) <= 3
        assert set(g["genres"]) <= set(demo.GENRE_VOCABULARY)
        assert set(g["regions"]) == set(demo.REGIONS)
        assert abs(sum(g["regions"].values()) - 1.0) < 1e-3
    assert m["example_film_id"] in data.films


def test_small_sizes_and_odd_group_counts(tmp_path: Path) -> None:
    for n_groups in (1, 3, 12):
        out = demo.generate(tmp_path / f"g{n_groups}", **{**SMALL, "n_groups": n_groups})
        groups = demo.read_groups(out)
        assert len(groups) == SMALL["n_users"]
        assert set(groups.values()) <= set(range(n_groups))
        sets = [tuple(sorted(g["genres"])) for g in demo.read_manifest(out)["groups"]]
        assert len(set(sets)) == n_groups


def test_another_size_without_a_count_takes_the_demo_s_density(tmp_path: Path,
                                                                capsys: Any) -> None:
    """``demo-data --users 300 --films 60`` was refused: "n_interactions must be in
    1500..4500 ..., got 100000", a count never asked for."""
    from helpers import run_cli

    code, _, err = run_cli(capsys, "demo-data", tmp_path / "d", "--users", 300, "--films", 60)
    assert code == 0, err
    m = demo.read_manifest(tmp_path / "d")
    lo, hi = demo.interaction_range(300, 60)
    assert (lo, hi) == (5 * 300, int(demo.max_per_user(60) * 300 * 0.5))
    # the demo's density (100,000 of 3,000 x 400 pairs) is 1,500 here: the least allowed
    assert m["n_interactions"] == max(lo, round(100_000 * 300 * 60 / (3000 * 400))) == 1500
    code, _, err = run_cli(capsys, "demo-data", tmp_path / "e", "--users", 300, "--films", 60,
                           "--interactions", 100_000)
    assert code == 2 and "error: --interactions must be in 1500..4500" in err
    assert not (tmp_path / "e").exists()


def test_the_module_entry_point_takes_the_generator_s_defaults(tmp_path: Path,
                                                                capsys: Any) -> None:
    """``python -m recommender.io.demo OUT --users 300 --films 60`` was refused for the
    100,000 interactions it never asked for, and ``--users 3`` for 8 groups (its own
    defaults): it writes what ``demo-data`` of the same options writes, byte for byte."""
    from helpers import run_cli

    for users, films in ((300, 60), (3, 20)):
        args = ["--users", str(users), "--films", str(films)]
        assert demo.main([str(tmp_path / f"m{users}"), *args]) == 0
        code, _, err = run_cli(capsys, "demo-data", tmp_path / f"c{users}", *args)
        assert code == 0, err
        mine = sorted(p.relative_to(tmp_path / f"m{users}")
                      for p in (tmp_path / f"m{users}").rglob("*") if p.is_file())
        assert mine and mine == sorted(p.relative_to(tmp_path / f"c{users}") for p in
                                       (tmp_path / f"c{users}").rglob("*") if p.is_file())
        for rel in mine:
            assert (tmp_path / f"m{users}" / rel).read_bytes() == (
                tmp_path / f"c{users}" / rel).read_bytes(), rel


# --------------------------------------------------------------------------------------------
# Shapes, ids, values


def test_counts(data: Demo) -> None:
    assert len(data.users) == 3000 and len(data.groups) == 3000
    assert len(data.films) == 400
    assert abs(len(data.interactions) - 100_000) <= 3000
    assert set(data.user_ids) == set(data.users)  # every user has interactions
    assert set(data.film_ids) == set(data.films)  # every film has at least one viewer
    pairs = np.char.add(np.char.add(data.user_ids, "/"), data.film_ids)
    assert len(np.unique(pairs)) == len(pairs)  # one row per (user, film)
    per_user = np.unique(data.user_ids, return_counts=True)[1]
    assert per_user.min() >= 5
    assert np.median(per_user) <= 25  # many light users...
    assert per_user.max() >= 150 and (per_user >= 100).sum() >= 30  # ...and some heavy ones


def test_id_formats(data: Demo) -> None:
    film_ids = list(data.films)
    assert all(len(f) == 7 and f.isdigit() for f in film_ids)
    assert any(f.startswith("0") for f in film_ids)
    assert all(len(u) == 6 and u[0] == "u" and u[1:].isdigit() for u in data.users)
    # ids read as strings keep their leading zeros in the interactions file too
    assert any(f.startswith("0") for f in data.film_ids)


def test_films(data: Demo) -> None:
    titles = [r["title"] for r in data.films.values()]
    assert len(set(titles)) == len(titles)
    assert all(t and t[0].isupper() for t in titles)
    years = np.array([int(r["year"]) for r in data.films.values()])
    assert years.min() >= 1970 and years.max() <= 2026
    assert (years >= 2000).mean() > 0.55  # recent films are more common
    for r in data.films.values():
        genres = r["genres"].split("|")
        assert 1 <= len(genres) <= 3 and len(set(genres)) == len(genres)
        assert set(genres) <= set(demo.GENRE_VOCABULARY)


def test_users(data: Demo) -> None:
    ages = np.array([int(r["age"]) for r in data.users.values()])
    assert ages.min() >= 16 and ages.max() <= 75
    genders = np.array([r["gender"] for r in data.users.values()])
    assert set(genders) == {"F", "M", "X"} and 0 < (genders == "X").mean() < 0.1
    assert 8 <= len({r["occupation"] for r in data.users.values()}) <= 12
    assert {r["region"] for r in data.users.values()} == set(demo.REGIONS)


def test_ratings_and_timestamps(data: Demo) -> None:
    assert set(np.unique(data.ratings)) <= {x / 2 for x in range(2, 11)}
    assert np.isin(data.ratings, [1.0, 2.0, 3.0, 4.0, 5.0]).mean() > 0.5
    span_years = (data.timestamps.max() - data.timestamps.min()) / (365.25 * 86400)
    assert 2.5 <= span_years <= 3.05
    years = {f: int(r["year"]) for f, r in data.films.items()}
    watch_year = np.array([datetime.fromtimestamp(t, UTC).year for t in data.timestamps])
    release_year = np.array([years[f] for f in data.film_ids])
    assert (watch_year >= release_year).all()


# --------------------------------------------------------------------------------------------
# Planted structure


def test_long_tail(data: Demo) -> None:
    views = np.sort(np.unique(data.film_ids, return_counts=True)[1])[::-1]
    top = views[: len(views) // 10].sum() / views.sum()
    assert top > 0.35
    assert views[0] >= 10 * np.median(views)


def test_genre_preference(data: Demo) -> None:
    base = data.match.mean()  # not used per group: each group has its own base rate below
    assert base > 0.5
    film_genres = {f: set(r["genres"].split("|")) for f, r in data.films.items()}
    for g in data.manifest["groups"]:
        fav = set(g["genres"])
        on_fav = np.array([bool(film_genres[f] & fav) for f in data.film_ids])
        inside = on_fav[data.user_group == g["group"]].mean()
        outside = on_fav[data.user_group != g["group"]].mean()
        assert inside > 0.5, g
        assert inside > 1.6 * outside, g


def test_popular_films_are_watched_across_groups(data: Demo) -> None:
    films, views = np.unique(data.film_ids, return_counts=True)
    for f in films[np.argsort(-views)[:10]]:
        assert len(np.unique(data.user_group[data.film_ids == f])) == 8


def test_ratings_follow_taste(data: Demo) -> None:
    assert data.ratings[data.match].mean() > data.ratings[~data.match].mean() + 0.5


def test_regional_skew(data: Demo) -> None:
    regions = np.array([data.users[u]["region"] for u in data.groups])
    group = np.array(list(data.groups.values()))
    for g in data.manifest["groups"]:
        hot = max(g["regions"], key=g["regions"].get)
        share_in = (regions[group == g["group"]] == hot).mean()
        share_others = (regions[group != g["group"]] == hot).mean()
        assert share_in > 1.4 * share_others, g


def test_example_film_is_popular(data: Demo) -> None:
    films, views = np.unique(data.film_ids, return_counts=True)
    rank = int(np.flatnonzero(films[np.argsort(-views)] == data.manifest["example_film_id"])[0])
    assert rank < 40


def _ari(a: NDArray[np.integer], b: NDArray[np.integer]) -> float:
    """Adjusted Rand index of two labelings."""
    a = np.unique(a, return_inverse=True)[1]
    b = np.unique(b, return_inverse=True)[1]
    table = np.zeros((a.max() + 1, b.max() + 1))
    np.add.at(table, (a, b), 1)

    def pairs(x: NDArray[np.floating]) -> float:
        return float((x * (x - 1) / 2).sum())

    index, rows, cols = pairs(table), pairs(table.sum(1)), pairs(table.sum(0))
    total = len(a) * (len(a) - 1) / 2
    expected = rows * cols / total
    return (index - expected) / ((rows + cols) / 2 - expected)


def _kmeans(x: NDArray[np.floating], k: int, seed: int = 0, restarts: int = 10,
            iterations: int = 50) -> NDArray[np.int64]:
    """Plain k-means (k-means++ seeding, a few restarts); the labels of the best run."""
    rng = np.random.default_rng(seed)
    best: tuple[float, NDArray[np.int64]] | None = None
    for _ in range(restarts):
        centres = x[[rng.integers(len(x))]]
        for _ in range(1, k):
            d = ((x[:, None, :] - centres[None]) ** 2).sum(-1).min(1)
            centres = np.vstack([centres, x[rng.choice(len(x), p=d / d.sum())]])
        for _ in range(iterations):
            labels = ((x[:, None, :] - centres[None]) ** 2).sum(-1).argmin(1)
            new = np.array([x[labels == j].mean(0) if (labels == j).any() else centres[j]
                            for j in range(k)])
            if np.allclose(new, centres):
                break
            centres = new
        inertia = float(((x - centres[labels]) ** 2).sum())
        if best is None or inertia < best[0]:
            best = (inertia, labels)
    assert best is not None
    return best[1]


def test_planted_groups_are_recoverable(data: Demo) -> None:
    implicit_als = pytest.importorskip("implicit.als")
    from threadpoolctl import threadpool_limits

    users, u = np.unique(data.user_ids, return_inverse=True)
    _, f = np.unique(data.film_ids, return_inverse=True)
    m = sp.csr_matrix((np.ones(len(u), np.float32), (u, f)), shape=(len(users), f.max() + 1))
    with threadpool_limits(1, "blas"):
        model = implicit_als.AlternatingLeastSquares(factors=32, iterations=15, random_state=0)
        model.fit(m, show_progress=False)
    factors = np.asarray(model.user_factors, dtype=np.float64)
    if hasattr(factors, "to_numpy"):  # pragma: no cover - GPU build
        factors = factors.to_numpy()
    factors /= np.linalg.norm(factors, axis=1, keepdims=True)
    labels = _kmeans(factors, data.manifest["n_groups"])
    truth = np.array([data.groups[x] for x in users])
    assert _ari(labels, truth) >= 0.5


def test_ari_helper() -> None:
    a = np.array([0, 0, 1, 1, 2, 2])
    assert _ari(a, np.array([5, 5, 3, 3, 9, 9])) == pytest.approx(1.0)
    assert _ari(a, np.array([0, 1, 0, 1, 0, 1])) < 0.1


# --------------------------------------------------------------------------------------------
# The target folder, atomic writes, parameters


def test_refuses_non_demo_folder(tmp_path: Path) -> None:
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("precious")
    with pytest.raises(InvalidParameterError, match="not a demo data folder"):
        demo.generate(out, **SMALL)
    assert (out / "notes.txt").read_text() == "precious"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine"]
    a_file = tmp_path / "file.csv"
    a_file.write_text("x")
    with pytest.raises(InvalidParameterError):
        demo.generate(a_file, **SMALL)


def test_empty_folder_and_previous_demo_are_replaced(tmp_path: Path) -> None:
    out = tmp_path / "data"
    out.mkdir()
    demo.generate(out, seed=1, **SMALL)
    first = _digest(out)
    demo.generate(out, seed=2, **SMALL)
    assert _digest(out) != first
    assert sorted(p.name for p in out.iterdir()) == sorted(FILES)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data"]  # no temp folders left


def _failing_writer(monkeypatch: pytest.MonkeyPatch, fail_at: int) -> None:
    real: Callable[..., None] = demo._write_csv
    calls = {"n": 0}

    def writer(*args: Any, **kwargs: Any) -> None:
        calls["n"] += 1
        if calls["n"] == fail_at:
            raise OSError("disk full")
        real(*args, **kwargs)

    monkeypatch.setattr(demo, "_write_csv", writer)


def test_failed_write_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _failing_writer(monkeypatch, fail_at=2)
    out = tmp_path / "data"
    with pytest.raises(OSError, match="disk full"):
        demo.generate(out, **SMALL)
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []


def test_failed_write_keeps_previous_demo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = demo.generate(tmp_path / "data", seed=1, **SMALL)
    before = _digest(out)
    _failing_writer(monkeypatch, fail_at=3)
    with pytest.raises(OSError):
        demo.generate(out, seed=2, **SMALL)
    assert _digest(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data"]


@pytest.mark.parametrize("kwargs", [
    {"n_users": 0}, {"n_films": 3}, {"n_groups": 0}, {"n_groups": 1000},
    {"n_interactions": 1000},  # fewer than 5 per user
    {"n_interactions": 10_000_000},
])
def test_bad_parameters(tmp_path: Path, kwargs: dict[str, int]) -> None:
    with pytest.raises(InvalidParameterError):
        demo.generate(tmp_path / "x", **{**SMALL, **kwargs})
    assert not (tmp_path / "x").exists()


def test_too_few_films_for_any_interaction_count_is_said(tmp_path: Path) -> None:
    # 12 films said "n_interactions must be in 200..120": no count could ever fit
    for films in (10, 12, 19):
        with pytest.raises(InvalidParameterError, match="n_films must be >= 20"):
            demo.generate(tmp_path / "x", n_users=40, n_films=films, n_interactions=300)
    demo.generate(tmp_path / "y", n_users=40, n_films=20, n_interactions=200)


def test_read_groups_and_manifest(data: Demo, tmp_path: Path) -> None:
    assert set(data.groups) == set(data.users)
    assert set(data.groups.values()) == set(range(8))
    assert demo.read_manifest(data.folder)["seed"] == 7
    with pytest.raises(InvalidParameterError):
        demo.read_manifest(tmp_path)


def test_main(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert demo.main([str(tmp_path / "cli"), "--users", "300", "--films", "80",
                      "--interactions", "6000", "--groups", "4"]) == 0
    assert (tmp_path / "cli" / demo.DEMO_MARKER).is_file()


def test_age_skew(data: Demo) -> None:
    ages = np.array([int(data.users[u]["age"]) for u in data.groups])
    group = np.array(list(data.groups.values()))
    means = [ages[group == g].mean() for g in range(8)]
    assert max(means) - min(means) > 6
    for g in data.manifest["groups"]:
        assert abs(means[g["group"]] - g["age_mean"]) < 5
