"""Two plans of one film made at once: the second one stored must not contact the first one's
controls. Each read the other plans' controls before planning, so neither saw the other (six
plans posted at once each contacted 17-24 of every other plan's controls); the store checks
again under its writers' lock and refuses the late plan, naming the plan it clashed with, and
planning again leaves the pairs out (oracle: the control rows read back from the store)."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import train_folder

from recommender.campaigns.controls import plan_beside
from recommender.campaigns.slate import SlateFilm
from recommender.campaigns.store import open_store
from recommender.errors import PlansClashError
from recommender.io import demo
from recommender.model.model import Model


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> Model:
    folder = demo.generate(tmp_path_factory.mktemp("raced") / "data", seed=5, n_users=600,
                           n_films=60, n_interactions=9_000)
    return train_folder(folder, factors=8, iterations=4, segments=3)


def pairs(rows: object, group: str | None = None) -> set[tuple[str, str]]:
    d = rows.to_pydict()  # type: ignore[attr-defined]
    return {(f, u) for f, u, g in zip(d["film_id"], d["user_id"], d["group"], strict=True)
            if group is None or g == group}


def test_a_plan_made_beside_a_plan_stored_meanwhile_is_refused(
        model: Model, store_target: str) -> None:
    film = str(model.films.ids[np.argmax(model.film_counts())])
    other = str(model.films.ids[np.argmin(model.film_counts())])
    store = open_store(store_target)
    try:
        slate = [SlateFilm(film, 40)]
        first = plan_beside(model, slate, store, holdout=0.5, seed=1, progress=False)
        second = plan_beside(model, slate, store, holdout=0.5, seed=2, progress=False)
        apart = plan_beside(model, [SlateFilm(other, 20)], store, holdout=0.5, progress=False)
        assert pairs(first.rows, "control") & pairs(second.rows)  # the race's harm
        store.save_plan(first.plan_id, first.summary, first.rows)
        with pytest.raises(PlansClashError, match=first.plan_id):
            store.save_plan(second.plan_id, second.summary, second.rows)
        assert store.list_plans()[0] == 1  # nothing of the second stored
        store.save_plan(apart.plan_id, apart.summary, apart.rows)  # another film: no clash
        again = plan_beside(model, slate, store, holdout=0.5, seed=2, progress=False)
        assert not pairs(first.rows, "control") & pairs(again.rows)
        store.save_plan(again.plan_id, again.summary, again.rows)
        assert store.list_plans()[0] == 3
    finally:
        store.close()
