"""An unknown id given twice is named once: lookalikes' unknown seeds and cold start's unknown
comparable films, as ``recommend_for_watched`` names its unknown films and as the CLI reads a
seed file or ``--like`` (each id once), so that ``POST /audiences/lookalike`` and
``/audiences/cold-start`` answer a list with repeats as ``lookalike --json`` and
``cold-start --json`` do."""

from __future__ import annotations

import pytest
from helpers import synthetic_model

from recommender.model.model import Model
from recommender.query.audience import cold_start_page, known_comparables, lookalikes
from recommender.query.recommend import recommend_for_watched


@pytest.fixture(scope="module")
def model() -> Model:
    return synthetic_model(n_users=200, n_films=30, seed=5)


def test_unknown_seeds_are_named_once_in_the_order_given(model: Model) -> None:
    users = [str(u) for u in model.users.ids[:2]]
    page, unknown = lookalikes(model, ["ghost-b", users[0], "ghost-a", "ghost-b", users[1],
                                       "ghost-a"], k=5)
    assert unknown == ["ghost-b", "ghost-a"]
    assert page.to_json() == lookalikes(model, users, k=5)[0].to_json()


def test_unknown_comparable_films_are_named_once(model: Model) -> None:
    film = str(model.films.ids[3])
    page, unknown = cold_start_page(model, ["nope", film, "nope", "zz", "nope"], k=5)
    assert unknown == ["nope", "zz"]
    assert page.to_json() == cold_start_page(model, [film], k=5)[0].to_json()
    assert known_comparables(model, ["x", "x"]) == ({}, ["x"])


def test_as_the_watched_list_names_its_unknown_films(model: Model) -> None:
    film = str(model.films.ids[0])
    _, watched = recommend_for_watched(model, [film, "nope", "nope"], k=3)
    _, cold = cold_start_page(model, [film, "nope", "nope"], k=3)
    assert watched == cold == ["nope"]
