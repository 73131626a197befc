"""Every number in a distribution body (a film's demand by place, a slate's allocation) has
its entry in the body's ``units``: found by walking the body, not by listing the fields."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from helpers import number_paths, synthetic_model

from recommender.distribution.demand import demand_by_place
from recommender.distribution.slate import SlateFilm, plan_slate
from recommender.io.places import Cinemas
from recommender.model.model import Model


def unitless(body: dict[str, Any]) -> set[str]:
    """The numbers' paths that no unit names: by the field, the parent and field
    (``films.screens``) or the parent (``screens.total`` under ``screens``)."""
    units = body["units"]
    return {".".join(p) for p in number_paths(body)
            if p[-1] not in units and ".".join(p[-2:]) not in units
            and (len(p) < 2 or p[-2] not in units)}


def model_with_cinemas() -> Model:
    model = synthetic_model(n_users=300, n_films=20, seed=2)
    model.user_table.attributes["cinema"] = np.array(["c1"] * 150 + ["c2"] * 140 + ["c3"] * 10)
    return model


def table() -> Cinemas:
    return Cinemas(np.array(["c1", "c2", "c3"]), np.full(3, "A"), np.full(3, "North"),
                   np.array([4, 3, 2]), np.array([400, 300, 200]))


def test_every_number_of_a_breakdown_by_cinema_has_a_unit() -> None:
    model = model_with_cinemas()
    body = demand_by_place(model, str(model.films.ids[0]), "cinema", screens=6,
                           cinemas=table(), min_cell=20)
    # c3 (10 users) and the next smallest, c2, pooled into "other"
    assert body["merged_places"] == 2 and body["places"][-1]["capacity"] == 3 + 2
    assert unitless(body) == set()  # capacity, min_cell and merged_places had none


def test_every_number_of_a_slate_has_a_unit() -> None:
    model = model_with_cinemas()
    films = [SlateFilm(str(model.films.ids[0]), 2, None), SlateFilm(str(model.films.ids[1]), 0, 4)]
    body = plan_slate(model, films, table(), min_cell=20)
    assert unitless(body) == set()  # films.min_screens and films.max_screens had none


def test_a_null_expected_new_is_not_said_to_be_a_small_cinema_alone() -> None:
    """The unit said "null: fewer users than min_cell", but a cinema of 140 users pooled with
    a small one (so that the pool less it is no small cinema's figure) is null too."""
    model = model_with_cinemas()
    body = plan_slate(model, [SlateFilm(str(model.films.ids[0]))], table(), min_cell=20)
    hidden = {r["cinema_id"] for r in body["allocation"] if r["expected_new"] is None}
    assert hidden == {"c2", "c3"}  # c2: 140 users, at least min_cell
    assert "fewer users than min_cell" not in body["units"]["expected_new"]
    assert "pools with it" in body["units"]["min_cell"]  # what "as for min_cell" points to


def test_user_and_viewing_shares_are_of_the_users_with_a_place() -> None:
    """With users outside the breakdown (no region), ``user_share`` and ``viewing_share`` sum
    to 1 over the places: they are shares of the users with a place, not "of all users" and
    "of all training interactions", as their units said."""
    m = synthetic_model(n_users=120, n_films=8, seed=4)
    m.user_table.attributes["region"][:30] = ""  # a quarter of the users have no region
    body = demand_by_place(m, str(m.films.ids[0]), "region", min_cell=1)
    assert body["users_without_place"]["users"] == 30
    for key in ("user_share", "viewing_share"):
        assert abs(sum(r[key] for r in body["places"]) - 1.0) < 1e-5
        assert "of the users with a place" in body["units"][key]
        assert "all" not in body["units"][key]


def test_viewing_share_counts_the_store_events_it_is_computed_from() -> None:
    """Served with a campaign store's events, ``viewing_share`` is a share of the training
    interactions and the events since (the served model's ``seen``, as ``viewers`` counts
    them): its unit said "of the training interactions", while North's share went from 0.56
    of the training rows to 0.92 once its users' events came in."""
    from recommender.serving.overlay import Overlay

    m = synthetic_model(n_users=120, n_films=8, seed=4)
    m.user_table.attributes["region"] = np.where(np.arange(120) < 60, "North", "South")
    trained = np.asarray(m.seen.toarray() > 0)
    u, f = np.nonzero(~trained[:60])  # every North user watches every film not yet watched
    ov = Overlay(m)
    ov.apply(np.asarray(m.users.ids, str)[u], np.asarray(m.films.ids, str)[f],
             np.ones(len(u)), 1)
    body = demand_by_place(ov.model(), str(m.films.ids[0]), "region", min_cell=1)
    got = {r["place"]: r["viewing_share"] for r in body["places"]}
    north = 60 * m.n_films  # the training rows and the events: every pair of North's
    south = int(trained[60:].sum())
    assert got["North"] == pytest.approx(north / (north + south), abs=1e-5)
    assert got["North"] != pytest.approx(trained[:60].sum() / trained.sum(), abs=1e-3)
    unit = body["units"]["viewing_share"]
    assert "events" in unit and "of the training interactions" not in unit


def test_a_slates_rows_leave_out_the_pairs_given_no_screen_as_its_unit_says() -> None:
    """A (cinema, film) given no screen has no allocation row, so a film's expected_new
    (over every shown cinema) may pass the sum of its rows': the unit said neither."""
    model = model_with_cinemas()
    films = [SlateFilm(str(f)) for f in model.films.ids[:6]]  # 6 films for 9 screens
    body = plan_slate(model, films, table(), min_cell=1)
    rows = body["allocation"]
    assert rows and all(r["screens"] > 0 for r in rows)
    listed = {(r["cinema_id"], r["film_id"]) for r in rows}
    assert len(listed) < 3 * len(films)  # some pairs got no screen
    short = [f for f in body["films"] if f["expected_new"] > sum(
        r["expected_new"] for r in rows if r["film_id"] == f["film_id"]) + 1e-9]
    assert short  # their rows do not add up to their expected_new
    assert "has no row" in body["units"]["screens"]
    assert "may pass its rows' sum" in body["units"]["screens"]


def test_trained_users_without_a_place_stay_hidden_beside_new_users() -> None:
    """9 trained users without a region were hidden (under min_cell); 12 users new from
    campaign events (no attributes) joined them, and the 21 showed their viewers: the 12 new
    users' own, so none of the 9, to anyone who knows the events. Hidden while the trained
    ones are some but fewer than min_cell; shown when they are none or enough."""
    from recommender.serving.overlay import Overlay

    def body(trained_unplaced: int) -> dict[str, Any]:
        m = synthetic_model(n_users=120, n_films=8, seed=4)
        m.user_table.attributes["region"] = np.where(np.arange(120) < 60, "North", "South")
        m.user_table.attributes["region"][:trained_unplaced] = ""
        ov = Overlay(m)
        film = str(m.films.ids[0])
        ov.apply(np.array([f"new{i}" for i in range(12)]), np.full(12, film), np.ones(12), 1)
        return demand_by_place(ov.model(), film, "region", min_cell=10)["users_without_place"]

    hidden = body(9)
    assert hidden["users"] == 21 and hidden["viewers"] is None
    assert hidden["expected_new"] is None and hidden["expected_total"] is None
    for enough in (0, 10):
        shown = body(enough)
        assert shown["users"] == 12 + enough and shown["viewers"] is not None
