"""A plan of nobody says the causes that hold, with their counts, and no cause counted 0.

Under cap scope "store", with every user at the cap, the refusal listed guesses: "every user
watched them or is opted out, or 0 pairs are other plans' contacts or controls, or 400 users
are at the cap across the store's plans". Oracles: the first plan's rows (its users, its
pairs of the film) and the model's viewers of the film.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from helpers import train_folder

from recommender.campaigns.controls import plan_beside
from recommender.campaigns.slate import SlateFilm
from recommender.campaigns.store import open_store
from recommender.errors import NothingToPlanError
from recommender.io import demo
from recommender.model.model import Model


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> Model:
    folder = demo.generate(tmp_path_factory.mktemp("nobody") / "data", seed=5, n_users=300,
                           n_films=40, n_interactions=3_000)
    return train_folder(folder, factors=8, iterations=3, segments=2)


@pytest.mark.parametrize("again", [False, True])
def test_the_causes_that_hold_are_said(model: Model, tmp_path: Path, again: bool) -> None:
    films = [str(f) for f in model.films.ids]
    first_films = films if again else films[1:]  # again: the film is in the first plan too
    film = films[0]
    store = open_store(str(tmp_path / "s.db"))
    try:
        first = plan_beside(model, [SlateFilm(f, model.n_users) for f in first_films], store,
                            cap=1, holdout=0.0, waves=1, progress=False)
        store.save_plan(first.plan_id, first.summary, first.rows)
        with pytest.raises(NothingToPlanError) as caught:
            plan_beside(model, [SlateFilm(film, 10)], store, cap=1, holdout=0.0, waves=1,
                        cap_scope="store", progress=False)
    finally:
        store.close()
    said = str(caught.value)
    rows = first.rows.to_pydict()
    at_cap = len(set(rows["user_id"]))
    watched = len(np.unique(model.film_viewers(model.film_index(film))))
    pairs = sum(1 for f in rows["film_id"] if f == film)
    assert at_cap == model.n_users  # every user was planned once: the case reported
    assert (f"nobody to plan: of the model's {model.n_users:,} users, all {at_cap:,} users "
            "are at the cap across the store's plans (cap scope 'store')") in said, said
    assert (f"{watched:,} users watched it" in said) == (watched > 0), said
    if again:
        assert pairs > 0 and f"{pairs:,} (film, user) pairs are other plans'" in said, said
    else:
        assert pairs == 0 and "pairs" not in said, said
    assert "opted out" not in said and ", or" not in said, said  # counted 0: not said


def test_opt_outs_are_counted(model: Model, tmp_path: Path) -> None:
    everyone = [str(u) for u in model.users.ids]
    store = open_store(str(tmp_path / "s.db"))
    try:
        with pytest.raises(NothingToPlanError) as caught:
            plan_beside(model, [SlateFilm(str(model.films.ids[0]), 10)], store,
                        exclude=everyone + ["nobody-known"], progress=False)
    finally:
        store.close()
    said = str(caught.value)
    assert f"{len(everyone):,} users are opted out" in said, said
    assert "at the cap" not in said and "pairs" not in said, said
