"""An opt-out longer than a user id may be is refused before planning, with what and why.

PostgreSQL's index of a plan's opt-outs refused one of about 2.7 kB as the plan was stored
(``POST /campaigns/plan`` answered 503 "retry in 5 s", and failed every time; the CLI said
another process might hold the store), while a SQLite store kept it and then could not be
copied to PostgreSQL. No user has such an id: training and events refuse ids past
``convert.MAX_ID_BYTES``."""

from __future__ import annotations

import pytest
from helpers import synthetic_model

from recommender.campaigns.plan import plan_slate
from recommender.campaigns.slate import SlateFilm
from recommender.campaigns.store import open_store
from recommender.errors import InvalidParameterError
from recommender.io.convert import MAX_ID_BYTES
from recommender.model.model import Model


@pytest.fixture(scope="module")
def model() -> Model:
    return synthetic_model(n_users=120, n_films=10, seed=5)


def test_an_opt_out_longer_than_an_id_is_refused_saying_so(model: Model) -> None:
    slate = [SlateFilm(str(model.films.ids[0]), 5)]
    for long in ("x" * (MAX_ID_BYTES + 1), "é" * (MAX_ID_BYTES // 2 + 1)):  # bytes, not chars
        with pytest.raises(InvalidParameterError, match=f"longer than the {MAX_ID_BYTES:,}"):
            plan_slate(model, slate, exclude=["u-ok", long])


def test_the_longest_opt_out_is_planned_and_stored(model: Model, store_target: str) -> None:
    longest = ["😀" * (MAX_ID_BYTES // 4), "y" * MAX_ID_BYTES]  # 1000 bytes each in UTF-8
    plan = plan_slate(model, [SlateFilm(str(model.films.ids[0]), 5)], exclude=longest)
    assert plan.summary["parameters"]["excluded_unknown_users"] == 2
    store = open_store(store_target)
    try:
        store.save_plan(plan.plan_id, plan.summary, plan.rows, excluded=longest)
        assert store.excluded(plan.plan_id) == sorted(longest)
    finally:
        store.close()
