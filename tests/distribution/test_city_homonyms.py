"""A city's name in two regions is two places, ``CITY (REGION)``: one row summed two towns
(their users, their demand, their cinemas' screens as one cap), nested in no region, so that a
region less its other cities gave a small town's figures."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from helpers import synthetic_model

from recommender.distribution.demand import demand_by_place
from recommender.errors import InvalidParameterError
from recommender.io.places import Cinemas
from recommender.model.model import Model

# cinema -> (city, region, screens)
TABLE = {"a1": ("Avon", "North", 4), "sn": ("Springfield", "North", 5),
         "b1": ("Bath", "South", 4), "ss": ("Springfield", "South", 3)}


def model_with(sizes: dict[str, int]) -> Model:
    """Users per cinema (``sizes``), their city and region as ``TABLE`` says."""
    m = synthetic_model(n_users=sum(sizes.values()), n_films=20, seed=5)
    cinema = np.repeat(list(sizes), list(sizes.values())).astype(str)
    for k, attr in ((0, "city"), (1, "region")):
        m.user_table.attributes[attr] = np.array([TABLE[c][k] for c in cinema])
    m.user_table.attributes["cinema"] = cinema
    return m


def table() -> Cinemas:
    rows = list(TABLE.values())
    return Cinemas(np.array(list(TABLE)), np.array([r[0] for r in rows]),
                   np.array([r[1] for r in rows]), np.array([r[2] for r in rows], np.int64),
                   np.full(len(rows), 100, np.int64), "cinemas.csv")


def rows(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["place"]: r for r in body["places"]}


def test_a_city_name_in_two_regions_is_two_places_each_capped_by_its_own_cinemas() -> None:
    m = model_with({"a1": 100, "sn": 60, "b1": 100, "ss": 40})
    body = demand_by_place(m, str(m.films.ids[0]), "city", screens=16, cinemas=table(),
                           min_cell=10)
    got = rows(body)
    assert set(got) == {"Avon", "Bath", "Springfield (North)", "Springfield (South)"}
    assert got["Springfield (North)"]["users"] == 60 and got["Springfield (South)"]["users"] == 40
    # each capped by its region's cinemas (the one row was capped by 5 + 3)
    assert got["Springfield (North)"]["capacity"] == 5
    assert got["Springfield (South)"]["capacity"] == 3
    assert body["screens"]["warning"] is None  # every place found in the table
    assert "Avon" in got  # a name in one region keeps its name as the data spells it
    # users of such a city without a region keep its name: which town is theirs is not known
    m = model_with({"a1": 100, "sn": 60, "b1": 100, "ss": 40})
    m.user_table.attributes["region"][100:103] = ""  # three of Springfield (North)'s
    got = rows(demand_by_place(m, str(m.films.ids[0]), "city", min_cell=1))
    assert got["Springfield"]["users"] == 3 and got["Springfield (North)"]["users"] == 57


def test_a_small_town_is_not_a_region_less_its_other_cities() -> None:
    """South's 6 users of Springfield were South's total less Bath's: the merged Springfield
    row, nested in no region, was shown whole, so no pooling guarded the difference."""
    m = model_with({"a1": 100, "sn": 60, "b1": 100, "ss": 6})
    film = str(m.films.ids[0])
    regions = rows(demand_by_place(m, film, "region", min_cell=10))
    cities = rows(demand_by_place(m, film, "city", min_cell=10))
    for key in ("users", "viewers"):
        left = regions["South"][key] - sum(r[key] for p, r in cities.items()
                                           if p in ("Bath", "Springfield (South)"))
        assert left == 0 or key == "viewers" or left >= 10, (key, left, list(cities))
    # the small town pooled, with the next smallest place (the pool under min_cell) and
    # Bath (the pooled places of South under min_cell)
    assert set(cities) == {"Avon", "other"} and cities["other"]["users"] == 6 + 60 + 100


def test_a_city_the_users_name_in_one_region_is_not_capped_by_its_namesake_elsewhere() -> None:
    """Users name Springfield in North only; the table has a Springfield in South too. The
    users' Springfield is capped by North's 5 screens (it was 5 + 3: the other town's)."""
    m = model_with({"a1": 100, "sn": 60, "b1": 100})
    body = demand_by_place(m, str(m.films.ids[0]), "city", screens=12, cinemas=table(),
                           min_cell=10)
    got = rows(body)
    assert set(got) == {"Avon", "Bath", "Springfield"}
    assert got["Springfield"]["capacity"] == 5
    assert body["screens"]["capped_by"].endswith(
        "3 screens of 1 cinema in a city no user names cannot be used "
        "(e.g. 'Springfield (South)')")  # named as the places are: which row it is


def test_a_table_spelling_its_regions_otherwise_still_caps_cities_by_name() -> None:
    """A table whose regions are spelt unlike the users' ("N" for "North") says nothing of
    which region a city's row is in: its cities cap the users' by name, as they did."""
    m = model_with({"a1": 100, "sn": 60, "b1": 100})
    t = table()
    t = Cinemas(t.ids, t.city, np.array([r[:1] for r in t.region.tolist()]), t.screens,
                t.seats, t.source)
    got = rows(demand_by_place(m, str(m.films.ids[0]), "city", screens=12, cinemas=t,
                               min_cell=10))
    assert {p: r["capacity"] for p, r in got.items()} == {"Avon": 4, "Bath": 4,
                                                           "Springfield": 8}


def test_a_town_the_distribution_names_filters_an_audience(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """``Springfield (North)``, a place of the distribution, was an unknown value of ``city``
    to ``--filter`` (and ``filter=``, whose schema pattern refused it): one town could not be
    targeted but by ``city=`` and ``region=`` together, which cannot name two towns of two
    regions at once."""
    import re

    from recommender.query.audience import film_audience
    from recommender.query.filters import candidate_mask, cut_text
    from recommender.serving.engine import Engine
    from service.schema_limits import vocabulary

    monkeypatch.setenv("RECOMMENDER_MIN_CELL", "1")  # towns of 6 and 4 users listed, matched
    m = model_with({"a1": 10, "sn": 6, "b1": 10, "ss": 4})
    city = m.user_table.attributes["city"]
    region = m.user_table.attributes["region"]
    north = (city == "Springfield") & (region == "North")
    got = candidate_mask(m, None, {"city": ["Springfield (North)"]})
    assert got is not None and np.array_equal(got, north)
    # any case, as every value; with another town of another region in one filter
    got = candidate_mask(m, None, {"city": ["springfield (north)", "Bath"]})
    assert got is not None and np.array_equal(got, north | (city == "Bath"))
    # the plain name is still every Springfield; the distribution's row has the same users
    got = candidate_mask(m, None, {"city": ["Springfield"]})
    assert got is not None and np.array_equal(got, city == "Springfield")
    places = rows(demand_by_place(m, str(m.films.ids[0]), "city", min_cell=1))
    assert places["Springfield (North)"]["users"] == int(north.sum())
    film = str(m.films.ids[0])
    page = film_audience(m, film, k=100, exclude_seen=False,
                         filters={"city": ["Springfield (North)"]})
    assert sorted(page.user_ids.tolist()) == sorted(m.users.ids[north].tolist())
    assert cut_text(m, None, {"city": "SPRINGFIELD (NORTH)"}) == "city=Springfield (North)"
    pattern = vocabulary(Engine(m), "filter")["pattern"]
    assert re.fullmatch(pattern, "city=Springfield (North)")
    assert not re.fullmatch(pattern, "city=Springfield (East)")
    # a city in one region only has no such name
    with pytest.raises(InvalidParameterError, match="Avon \\(North\\)"):
        candidate_mask(m, None, {"city": ["Avon (North)"]})


def test_users_of_a_city_of_two_regions_without_a_region_are_told_why_no_screens() -> None:
    """Their row, ``Springfield``, has no screens: the warning said the city was not in the
    cinema table and that names are compared exactly, while the table holds it twice, one
    town per region; which is theirs is what is not known. A city truly absent is still
    said so, beside it."""
    m = model_with({"a1": 100, "sn": 60, "b1": 100, "ss": 40})
    m.user_table.attributes["region"][100:110] = ""  # ten of Springfield (North)'s
    m.user_table.attributes["city"][0:10] = "Avonn"  # a misspelt city of North
    body = demand_by_place(m, str(m.films.ids[0]), "city", screens=16, cinemas=table(),
                           min_cell=5)
    got = rows(body)
    assert got["Springfield"]["users"] == 10 and got["Springfield"]["capacity"] == 0
    warning = body["screens"]["warning"]
    assert "1 city users name not in cinemas.csv (e.g. 'Avonn')" in warning
    assert "'Springfield'" not in warning.split(";")[0]
    assert ("the users of 1 city of several regions who give no region ('Springfield') get "
            "no screens: which town's cinemas are theirs is not known") in warning


def test_a_pseudonymised_cut_by_a_town_counts_its_class_by_city_and_region() -> None:
    """``city=Springfield (North)`` lists users who share city and region: the minimum cell
    size counted them by city alone (all of Springfield's 43), so a town of 3 users was listed
    by pseudonym, while ``city=Springfield&region=North``, the same rows, was refused."""
    from recommender.query import linkable
    from recommender.query.filters import candidate_mask, resolve_filters
    from recommender.query.linkable import check_filtered

    m = model_with({"a1": 100, "sn": 3, "b1": 100, "ss": 40})
    town = resolve_filters(m, {"city": ["Springfield (North)"]})
    mask = candidate_mask(m, None, town)
    assert mask is not None and int(mask.sum()) == 3
    with pytest.raises(InvalidParameterError, match="3 of the 3 rows .* city, region"):
        check_filtered(m, town, (), np.flatnonzero(mask), 10)
    filtered_attributes = linkable.filtered_attributes
    assert filtered_attributes(m, town) == ["city", "region"]
    # the plain name is every Springfield's users: the city alone, as before
    plain = resolve_filters(m, {"city": "Springfield"})
    assert filtered_attributes(m, plain) == ["city"]
    check_filtered(m, plain, (), np.flatnonzero(candidate_mask(m, None, plain)), 10)
    # the larger town passes
    south = resolve_filters(m, {"city": "Springfield (South)"})
    check_filtered(m, south, (), np.flatnonzero(candidate_mask(m, None, south)), 10)


def test_a_city_of_two_regions_the_table_lacks_is_missing_with_or_without_a_region() -> None:
    """Its users without a region were told 'which town's cinemas are theirs is not known (give
    their region)', where the table has no cinema of that name: a region would change
    nothing; the city is named among those the table lacks."""
    m = model_with({"a1": 100, "sn": 60, "b1": 100, "ss": 40})
    m.user_table.attributes["region"][100:110] = ""
    kept = [i for i, c in enumerate(TABLE) if c in ("a1", "b1")]
    t = table()
    lacking = Cinemas(t.ids[kept], t.city[kept], t.region[kept], t.screens[kept],
                      t.seats[kept], "cinemas.csv")
    warning = demand_by_place(m, str(m.films.ids[0]), "city", screens=4, cinemas=lacking,
                              min_cell=5)["screens"]["warning"]
    assert "3 cities users name not in cinemas.csv (e.g. 'Springfield', " in warning
    assert "give their region" not in warning


def test_a_table_without_regions_caps_no_town_of_a_city_of_two_regions() -> None:
    """A ``cinema_id,city,screens`` table cannot say which Springfield its Springfield rows
    are in: their 8 screens capped the 10 users of Springfield who give no region (whose town
    is not known either), while the two towns, 100 users, got none, told that their names
    were not in the table ("compared exactly"), where it holds the name twice."""
    m = model_with({"a1": 100, "sn": 60, "b1": 100, "ss": 40})
    m.user_table.attributes["region"][100:110] = ""  # ten of Springfield (North)'s
    t = table()
    no_region = Cinemas(t.ids, t.city, np.full(len(t), "", dtype=str), t.screens, t.seats,
                        "cinemas.csv")
    body = demand_by_place(m, str(m.films.ids[0]), "city", screens=8, cinemas=no_region,
                           min_cell=5)
    got = rows(body)
    assert {p: r["capacity"] for p, r in got.items()} == {
        "Avon": 4, "Bath": 4, "Springfield": 0, "Springfield (North)": 0,
        "Springfield (South)": 0}
    assert got["Springfield"]["screens"] == 0
    warning = body["screens"]["warning"]
    assert "not in cinemas.csv" not in warning
    assert ("cinemas.csv gives no region for its 2 cinemas in 'Springfield', a city users "
            "name in several regions: which town's they are is not known, so 2 cities "
            "('Springfield (North)', 'Springfield (South)') get no screens") in warning
    assert "who give no region ('Springfield') get no screens" in warning
    # a region would not help them: the table gives none for its Springfield rows, so the
    # two towns get no screens either (it said "(give their region)")
    assert "give their region" not in warning
    assert warning.endswith("which town's cinemas are theirs is not known (nor does "
                            "cinemas.csv say)")
    assert body["screens"]["capped_by"] == (
        "cinemas.csv: 4 cinemas, 16 screens; 8 screens of 2 cinemas in 'Springfield' cannot "
        "be used (no region tells which town's they are)")
    with pytest.raises(InvalidParameterError, match="more than the 8 screens"):
        demand_by_place(m, str(m.films.ids[0]), "city", screens=9, cinemas=no_region,
                        min_cell=5)


def test_a_pooled_town_a_table_without_regions_cannot_tell_is_counted_not_named() -> None:
    """The warning names the towns shown as rows only, as for any place the table lacks: a
    town pooled into "other" (under the minimum cell) is counted."""
    m = model_with({"a1": 100, "sn": 60, "b1": 100, "ss": 4})
    t = table()
    no_region = Cinemas(t.ids, t.city, np.full(len(t), "", dtype=str), t.screens, t.seats,
                        "cinemas.csv")
    body = demand_by_place(m, str(m.films.ids[0]), "city", screens=8, cinemas=no_region,
                           min_cell=10)
    assert set(rows(body)) == {"Avon", "other"}  # both towns pooled (with Bath)
    warning = body["screens"]["warning"]
    assert "which town's they are is not known, so 2 cities get no screens" in warning
    assert "Springfield (" not in warning
