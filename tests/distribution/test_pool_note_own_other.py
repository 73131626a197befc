"""The screens' pool note is for places actually pooled: a place whose value in the data is
itself ``other`` (MovieLens's non-US ZIPs by zip_zone) joins the "other" row but is no pooled
place (``merged_places`` 0), and the note said "the 1 screen of 'other' is for the 1 zip_zone
it pools together ... (by each one's demand they would show what the pool hides)" of it.
Oracle: the users per place written here, and the row's screens read from the body."""

from __future__ import annotations

import numpy as np
from helpers import synthetic_model

from recommender.distribution.demand import demand_by_place
from recommender.model.model import Model


def zip_model(sizes: dict[str, int]) -> Model:
    m = synthetic_model(n_users=sum(sizes.values()), n_films=12, seed=5)
    zones = np.repeat(list(sizes), list(sizes.values()))
    m.user_table.attributes["zip_zone"] = np.random.default_rng(5).permutation(zones)
    return m


def test_the_datas_own_other_alone_has_no_pool_note() -> None:
    m = zip_model({"1": 150, "2": 120, "other": 30})  # every place at least min_cell
    body = demand_by_place(m, str(m.films.ids[0]), "zip_zone", 40, min_cell=10)
    other = next(p for p in body["places"] if p["place"] == "other")
    assert body["merged_places"] == 0 and other["users"] == 30
    assert other["screens"] > 0  # the case is met: the row has screens
    assert body["screens"]["note"] is None


def test_a_pool_beside_the_datas_own_other_counts_only_the_pooled_places() -> None:
    m = zip_model({"1": 150, "2": 120, "3": 4, "other": 30})  # "3" is under min_cell
    body = demand_by_place(m, str(m.films.ids[0]), "zip_zone", 40, min_cell=10)
    other = next(p for p in body["places"] if p["place"] == "other")
    assert body["merged_places"] == 1 and other["users"] == 34 and other["screens"] > 0
    note = body["screens"]["note"]
    assert note.startswith(f"the {other['screens']} screen")
    assert ("for the 1 zip_zone (beside the users whose zip_zone is itself 'other', no pooled "
            "place) it pools together, one block") in note, note
