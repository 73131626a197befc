"""Test helpers: small synthetic models built directly from arrays, brute-force oracles,
a numpy adjusted Rand index, and demo-data training.

Every oracle here is written independently of the library's ranking code: rankings are a
plain ``np.lexsort`` (score descending, user index ascending) over every candidate.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pyarrow as pa
import scipy.sparse as sp
from numpy.typing import NDArray
from scipy.optimize import linprog

from recommender.cli import main as cli_main
from recommender.io import demo, readers
from recommender.io.dataset import Catalog, Interactions, UserTable
from recommender.io.ids import IdMap
from recommender.model.artifact import format_version
from recommender.model.config import TrainConfig
from recommender.model.model import Model, Segments
from recommender.model.training import train

GENRES = ("Action", "Comedy", "Drama", "Horror", "Sci-Fi")
REGIONS = ("North", "South", "East", "West")
AGE_BANDS = ("18-24", "25-34", "35-44", "45-54")


def synthetic_model(
    n_users: int = 400,
    n_films: int = 50,
    factors: int = 8,
    density: float = 0.08,
    n_segments: int = 4,
    seed: int = 0,
    ties: bool = False,
) -> Model:
    """A model made of random arrays (no training).

    ``ties=True`` draws small integer factors, so many scores are exactly equal and the
    tie-break (lower user index first) is exercised. Film ids are zero-padded strings, so
    byte-for-byte id handling is exercised too.
    """
    rng = np.random.default_rng(seed)
    if ties:
        uf = rng.integers(-1, 2, size=(n_users, factors)).astype(np.float32)
        ff = rng.integers(-1, 2, size=(n_films, factors)).astype(np.float32)
    else:
        uf = rng.normal(size=(n_users, factors)).astype(np.float32)
        ff = rng.normal(size=(n_films, factors)).astype(np.float32)
    dense = rng.random((n_users, n_films)) < density
    dense[rng.integers(n_users, size=n_films), np.arange(n_films)] = True  # every film seen
    seen = sp.csr_matrix(dense.astype(np.float32))
    seen.sort_indices()
    user_ids = np.array([f"user-{i:04d}" for i in range(n_users)])
    film_ids = np.array([f"{1000 + 37 * i:07d}" for i in range(n_films)])
    genres = np.array(["|".join(sorted({GENRES[i % len(GENRES)],
                                        GENRES[(i * 3 + 1) % len(GENRES)]}))
                       for i in range(n_films)])
    catalog = Catalog(film_ids, np.array([f"Film {i}" for i in range(n_films)]),
                      np.full(n_films, 1990, np.int32) + np.arange(n_films, dtype=np.int32) % 30,
                      genres)
    attrs = {
        "region": np.asarray(REGIONS)[rng.integers(len(REGIONS), size=n_users)],
        "age_band": np.asarray(AGE_BANDS)[rng.integers(len(AGE_BANDS), size=n_users)],
        "gender": np.asarray(["F", "M"])[rng.integers(2, size=n_users)],
    }
    labels = rng.integers(n_segments, size=n_users).astype(np.int16)
    info = [{"segment": s, "size": int((labels == s).sum()), "label": f"Segment {s}"}
            for s in range(n_segments)]
    # calibration counts: 1000 bins, hit rate falling with the bin
    cands = np.full(1000, 50, np.int64)
    hits = np.round(20 * np.exp(-np.arange(1000) / 60)).astype(np.int64)
    params = {"alpha": 2.0, "regularization": 0.05}
    return Model(
        users=IdMap(user_ids), films=IdMap(film_ids), user_factors=uf, film_factors=ff,
        seen=seen, seen_by_film=seen.T.tocsr(), catalog=catalog,
        user_table=UserTable(user_ids.copy(), attrs), segments=Segments(labels, info),
        meta={"format_version": format_version(params), "model_version": "test-0",
              "model": "als", "params": params},
        calibration={"bins": 1000, "hits": hits.tolist(), "candidates": cands.tolist()},
    )


def dense_seen(model: Model) -> NDArray[np.bool_]:
    """users x films boolean matrix of the training interactions."""
    return np.asarray(model.seen.toarray() > 0)


def brute_order(scores: NDArray[np.floating], candidates: NDArray[np.integer]) -> NDArray[np.int64]:
    """``candidates`` sorted by score descending, index ascending (full sort)."""
    c = np.asarray(candidates, np.int64)
    return c[np.lexsort((c, -scores[c]))]


def brute_audience(model: Model, f: int, exclude_seen: bool = True
                   ) -> tuple[NDArray[np.int64], NDArray[np.float32]]:
    """The whole ranked audience of film ``f``: (user indices, scores), by brute force.

    Scores are the exact dot products rounded to float32 (a float64 product), which is what
    the engine settles its rankings on, whatever BLAS computed its first estimate."""
    scores = (np.asarray(model.user_factors, np.float64)
              @ np.asarray(model.film_factors[f], np.float64)).astype(np.float32)
    cand = np.arange(model.n_users)
    if exclude_seen:
        cand = cand[~dense_seen(model)[:, f]]
    order = brute_order(scores, cand)
    return order, scores[order]


def tie_mean_p(model: Model, f: int, desc: NDArray[np.floating]) -> NDArray[np.float64]:
    """The calibrated p of candidates ranked best first with scores ``desc``, by brute force:
    ``p_at`` of each rank, then, over every run of equal scores, the run's mean (users who
    tie share one p, whatever the index order put first)."""
    from recommender.model import calibration

    n = len(desc)
    p = calibration.p_at(model.calibration, f, np.arange(n) / max(n, 1))
    out = p.copy()
    i = 0
    while i < n:
        j = i
        while j + 1 < n and desc[j + 1] == desc[i]:
            j += 1
        out[i:j + 1] = p[i:j + 1].mean()
        i = j + 1
    return out


def percentile(rank: NDArray[np.integer], total: int) -> NDArray[np.float64]:
    return 100.0 * (total - np.asarray(rank) + 1) / total


def tier_names(total: int, tiers: tuple[tuple[str, float], ...]) -> list[str | None]:
    """Tier of every rank 1..total, computed the simple way: a rank r is in the first tier
    whose cumulative share covers it, i.e. r <= ceil(total * cum% / 100)."""
    out: list[str | None] = []
    for r in range(1, total + 1):
        cum = 0.0
        name = None
        for n, share in tiers:
            cum += share
            # r <= ceil(x)  <=>  r - 1 < x, with x = total * cum / 100
            if 100 * (r - 1) < total * cum - 1e-9:
                name = n
                break
        out.append(name)
    return out


def ari(a: NDArray[Any], b: NDArray[Any]) -> float:
    """Adjusted Rand index of two labelings (Hubert & Arabie), numpy only."""
    a, b = np.asarray(a), np.asarray(b)
    _, ai = np.unique(a, return_inverse=True)
    _, bi = np.unique(b, return_inverse=True)
    table = np.zeros((ai.max() + 1, bi.max() + 1), np.int64)
    np.add.at(table, (ai, bi), 1)

    def pairs(x: NDArray[np.int64]) -> float:
        return float((x * (x - 1) // 2).sum())

    index = pairs(table)
    sum_a, sum_b = pairs(table.sum(axis=1)), pairs(table.sum(axis=0))
    n_pairs = len(a) * (len(a) - 1) / 2
    expected = sum_a * sum_b / n_pairs
    max_index = (sum_a + sum_b) / 2
    return (index - expected) / (max_index - expected)


def timeless_log(root: Path, n_users: int = 150, n_films: int = 60) -> tuple[Path, Path]:
    """(a small demo folder, a folder whose interactions.csv is that log's user_id, film_id
    alone: no timestamp, no catalog, no users)."""
    import csv

    src = demo.generate(root / "demo", n_users=n_users, n_films=n_films)
    log = root / "log"
    log.mkdir()
    with open(src / "interactions.csv", newline="") as fh, \
            open(log / "interactions.csv", "w", newline="") as out:
        w = csv.writer(out)
        w.writerow(["user_id", "film_id"])
        for row in csv.DictReader(fh):
            w.writerow([row["user_id"], row["film_id"]])
    return src, log


def make_demo(folder: Path, **kwargs: Any) -> Path:
    return demo.generate(folder, **kwargs)


def train_folder(folder: Path, **config: Any) -> Model:
    """Load a data folder and train a small model (config overrides TrainConfig fields)."""
    params: dict[str, Any] = {"factors": 32, "iterations": 8, "seed": 0}
    params.update(config)
    return train(readers.load(folder), TrainConfig(**params), progress=False)


def without_film(inter: Interactions, film_id: str) -> Interactions:
    """The same interactions with every row of ``film_id`` removed (and the film unknown)."""
    keep = inter.film_idx != inter.films.index_of(film_id)
    users = inter.users.ids[inter.user_idx[keep]]
    films = inter.films.ids[inter.film_idx[keep]]
    return Interactions.from_columns(
        pa.array(users), pa.array(films),
        rating=None if inter.rating is None else inter.rating[keep],
        timestamp=None if inter.timestamp is None else inter.timestamp[keep],
        catalog=inter.catalog, user_table=inter.user_table, source=inter.source)


_DEMO_FOLDERS: dict[int, Path] = {}
_DEMO_MODELS: dict[tuple[Any, ...], Model] = {}
DEMO_CONFIG: dict[str, Any] = {"factors": 32, "iterations": 8, "segments": 8, "seed": 0}


def demo_model(tmp_path_factory: Any, seed: int = 7, **config: Any) -> tuple[Path, Model]:
    """The default-size demo folder (generated once per session per seed) and a model trained
    on it with ``DEMO_CONFIG`` updated by ``config`` (cached), so modules share them."""
    if seed not in _DEMO_FOLDERS:
        _DEMO_FOLDERS[seed] = demo.generate(tmp_path_factory.mktemp("demo") / "data", seed=seed)
    folder = _DEMO_FOLDERS[seed]
    params = {**DEMO_CONFIG, **config}
    key = (seed, tuple(sorted(params.items())))
    if key not in _DEMO_MODELS:
        _DEMO_MODELS[key] = train_folder(folder, **params)
    return folder, _DEMO_MODELS[key]


def demo_groups(folder: Path, model: Model) -> NDArray[np.int64]:
    """Planted taste group of every user, aligned to the model's user indices."""
    groups = demo.read_groups(folder)
    return np.array([groups[u] for u in model.users.ids.tolist()])


def run_cli(capsys: Any, *argv: Any) -> tuple[int, str, str]:
    """Run ``recommender`` in-process with ``argv`` (each item as a string); returns the exit
    code and what it wrote to stdout and stderr (``capsys``: pytest's capture fixture)."""
    code = cli_main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def determined(table: NDArray[np.int64], hide: NDArray[np.bool_], row_sums: bool
               ) -> list[tuple[int, int]]:
    """The hidden cells the published numbers pin down: shown cells (zeros included), each
    column's total and, with ``row_sums``, each row's last cell as the sum of the others.
    A cell is pinned when its least and greatest value under those equations agree (free
    variables: non-negativity is not used)."""
    rows, cols = table.shape
    hidden = [(r, c) for r in range(rows) for c in range(cols) if hide[r, c]]
    pos = {cell: i for i, cell in enumerate(hidden)}
    a, b = [], []
    for c in range(cols):
        a.append([1.0 if cell[1] == c else 0.0 for cell in hidden])
        b.append(float(sum(table[r, c] for r in range(rows) if hide[r, c])))
    if row_sums and cols > 1:
        for r in range(rows):
            a.append([(-1.0 if c == cols - 1 else 1.0) if rr == r else 0.0
                      for rr, c in hidden])
            b.append(float(sum((-1 if c == cols - 1 else 1) * table[r, c]
                               for c in range(cols) if hide[r, c])))
    out = []
    for cell, i in pos.items():
        goal = np.zeros(len(hidden))
        goal[i] = 1.0
        low = linprog(goal, A_eq=a, b_eq=b, bounds=(None, None))
        high = linprog(-goal, A_eq=a, b_eq=b, bounds=(None, None))
        if low.status == 0 and high.status == 0 and abs(low.fun + high.fun) < 1e-6:
            out.append(cell)
    return out


def edit_distance(a: str, b: str) -> int:
    """Optimal string alignment distance (insert, delete, replace, swap neighbours)."""
    d = [[i + j if i * j == 0 else 0 for j in range(len(b) + 1)] for i in range(len(a) + 1)]
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1,
                          d[i - 1][j - 1] + (a[i - 1] != b[j - 1]))
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
    return d[len(a)][len(b)]


def load_benchmark(name: str) -> ModuleType:
    """The script ``benchmarks/NAME.py`` as a module (its renderers, its helpers), with
    ``benchmarks/`` on the path while it loads: the scripts import their helpers by name."""
    folder = Path(__file__).resolve().parents[1] / "benchmarks"
    saved = list(sys.path)
    sys.path.insert(0, str(folder))
    try:
        spec = importlib.util.spec_from_file_location(name, folder / f"{name}.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        sys.path[:] = saved
    return module


def number_paths(body: Any, skip: tuple[str, ...] = ("units", "horizon"),
                 path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    """The path (field names) of every number in a JSON ``body``, lists walked through, the
    fields ``skip`` names left out (``units`` and ``horizon`` describe themselves): what a
    units test checks each has a unit for."""
    if isinstance(body, dict):
        for key, value in body.items():
            if key not in skip:
                yield from number_paths(value, skip, (*path, key))
    elif isinstance(body, list):
        for value in body:
            yield from number_paths(value, skip, path)
    elif isinstance(body, int | float) and not isinstance(body, bool):
        yield path


def three_tastes_model(folder: Path) -> Path:
    """A model trained in ``folder`` (``folder/m``) on three tastes of 12, 5 and 3 users (each
    group watches its own three films), at a minimum cell of 3 (``RECOMMENDER_MIN_CELL`` set
    for the training only) so that each is a segment of its own."""
    import pytest

    rows = ["user_id,film_id,rating"]
    user = 0
    for g, size in enumerate([12, 5, 3]):
        for _ in range(size):
            rows += [f"u{user},g{g}f{f},4" for f in range(3)]
            user += 1
    log = folder / "log.csv"
    log.write_text("\n".join(rows) + "\n", encoding="utf-8")
    out = folder / "m"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("RECOMMENDER_MIN_CELL", "3")
        assert cli_main(["train", "--data", str(log), "--out", str(out), "--no-tune",
                         "--factors", "8", "--iterations", "3", "--holdout", "0",
                         "--segments", "3"]) == 0
    return out
