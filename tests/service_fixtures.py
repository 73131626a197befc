"""A small model with planted taste groups, for the service tests (fast: < 1 s to train).

Users are in ``N_GROUPS`` taste groups; group g watches mostly films of genre ``G{g}``
(films are assigned to genres round-robin) and lives mostly in region ``R{g}``. Titles and
ids include awkward characters (slashes, unicode, spaces) so the HTTP layer is exercised.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from recommender.io.dataset import Catalog, Interactions, UserTable
from recommender.model import artifact
from recommender.model.config import TrainConfig
from recommender.model.model import Model
from recommender.model.training import train

N_GROUPS = 4
GENRES = [f"G{g}" for g in range(N_GROUPS)]
ODD_FILM_ID = "tt/0042 é"   # a film id with a slash, a space and a non-ASCII character
ODD_USER_ID = "u/ü 7"


def film_ids(n_films: int) -> list[str]:
    ids = [f"{i:05d}" for i in range(n_films)]  # leading zeros must survive
    ids[1] = ODD_FILM_ID
    return ids


def user_ids(n_users: int) -> list[str]:
    ids = [f"u{i}" for i in range(n_users)]
    ids[1] = ODD_USER_ID
    return ids


def user_group(n_users: int) -> np.ndarray:
    return np.arange(n_users) % N_GROUPS


def film_group(n_films: int) -> np.ndarray:
    return np.arange(n_films) % N_GROUPS


def build_interactions(n_users: int = 240, n_films: int = 60, per_user: int = 12,
                       seed: int = 0) -> Interactions:
    rng = np.random.default_rng(seed)
    ug, fg = user_group(n_users), film_group(n_films)
    fids, uids = film_ids(n_films), user_ids(n_users)
    users: list[str] = []
    films: list[str] = []
    for u in range(n_users):
        own = np.flatnonzero(fg == ug[u])
        other = np.flatnonzero(fg != ug[u])
        n_own = per_user - 2
        chosen = np.concatenate([rng.choice(own, size=min(n_own, len(own)), replace=False),
                                 rng.choice(other, size=2, replace=False)])
        users.extend([uids[u]] * len(chosen))
        films.extend(fids[f] for f in chosen)
    titles = [f"Film {i} of {GENRES[fg[i]]}" for i in range(n_films)]
    titles[0] = "The Matrix"
    titles[2] = "Le Fabuleux Destin d'Amélie"
    catalog = Catalog(np.array(fids), np.array(titles),
                      np.array([1990 + i % 30 for i in range(n_films)], np.int32),
                      np.array([GENRES[g] for g in fg]))
    region = np.where(rng.random(n_users) < 0.8, [f"R{g}" for g in ug],
                      [f"R{(g + 1) % N_GROUPS}" for g in ug])
    table = UserTable(np.array(uids), {
        "region": region.astype(str),
        "gender": np.where(np.arange(n_users) % 2 == 0, "F", "M").astype(str),
        "age_band": np.array(["18-24", "25-34", "35-44"])[np.arange(n_users) % 3],
    })
    return Interactions.from_columns(pa.array(users), pa.array(films), catalog=catalog,
                                     user_table=table, source="service-test")


# a small model of each factorisation: ALS, and implicit's BPR and LMF with their bias columns
SMALL_FAMILY = TrainConfig(factors=6, iterations=3, segments=2, holdout=0.0, tune=False, seed=2)


def family_model(model: str, **config: Any) -> Model:
    """``SMALL_FAMILY`` (with ``config``) of ``model`` ("als", "bpr", "lmf": each at its own
    default regularization) on a small grouped log of 80 users and 30 films."""
    from dataclasses import replace

    from recommender.model.config import MODEL_REGULARIZATION

    cfg = replace(SMALL_FAMILY, model=model, regularization=MODEL_REGULARIZATION.get(
        model, SMALL_FAMILY.regularization), **config)
    return train(build_interactions(n_users=80, n_films=30, per_user=8, seed=3), cfg,
                 progress=False)


def build_model(seed: int = 0, factors: int = 8, **kwargs: int) -> Model:
    data = build_interactions(seed=seed, **kwargs)
    config = TrainConfig(factors=factors, iterations=6, segments=N_GROUPS, seed=seed,
                         holdout=0.1)
    return train(data, config, progress=False)


def save_model(path: Path, seed: int = 0, cinemas: Sequence[str] = ()) -> Path:
    """The service-test model saved to ``path``; ``cinemas``: user i's cinema attribute is
    ``cinemas[i % len(cinemas)]`` (none by default)."""
    model = build_model(seed)
    if cinemas:
        labels = np.asarray(list(cinemas), dtype=str)
        model.user_table.attributes["cinema"] = labels[np.arange(model.n_users) % len(labels)]
    return artifact.save(model, path)


def group_of_film(film_id: str) -> int:
    """The planted genre group of a film, from its id."""
    return (1 if film_id == ODD_FILM_ID else int(film_id)) % N_GROUPS


def group_of_user(user_id: str) -> int:
    """The planted taste group of a user, from its id."""
    return (1 if user_id == ODD_USER_ID else int(user_id[1:])) % N_GROUPS


def model_and_client(room: str, **settings: Any) -> tuple[Any, Any]:
    """A test module's ``model_dir`` and ``client`` fixtures (module scope), assigned as
    ``model_dir, client = model_and_client("room")``: the service-test model saved in a
    temporary directory named ``room``, and a ``TestClient`` of the service serving it with
    ``Settings(model_path=..., **settings)``."""
    import pytest

    @pytest.fixture(scope="module", name="model_dir")
    def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
        return save_model(tmp_path_factory.mktemp(room) / "model")

    @pytest.fixture(scope="module", name="client")
    def client(model_dir: Path) -> Iterator[Any]:
        from fastapi.testclient import TestClient

        from service.app import create_app
        from service.settings import Settings

        with TestClient(create_app(Settings(model_path=str(model_dir), **settings))) as c:
            yield c

    return model_dir, client


def trained_model_and_client(room: str, **settings: Any) -> tuple[Any, Any, Any]:
    """A test module's ``model_dir``, ``model`` and ``client`` fixtures (module scope),
    assigned as ``model_dir, model, client = trained_model_and_client("room")``: the data
    folder of the module's own ``folder`` fixture trained (8 factors, 3 iterations, 4 segments)
    and saved in a temporary directory named ``room``, loaded, and served by a ``TestClient``
    with ``Settings(model_path=..., warm_cache=False, **settings)``."""
    import pytest

    @pytest.fixture(scope="module", name="model_dir")
    def model_dir(folder: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
        from helpers import train_folder

        model = train_folder(folder, factors=8, iterations=3, segments=4)
        return artifact.save(model, tmp_path_factory.mktemp(room) / "model")

    @pytest.fixture(scope="module", name="model")
    def model(model_dir: Path) -> Model:
        return artifact.load(model_dir)

    @pytest.fixture(scope="module", name="client")
    def client(model_dir: Path) -> Iterator[Any]:
        from fastapi.testclient import TestClient

        from service.app import create_app
        from service.settings import Settings

        served = Settings(model_path=str(model_dir), warm_cache=False, **settings)
        with TestClient(create_app(served)) as c:
            yield c

    return model_dir, model, client
