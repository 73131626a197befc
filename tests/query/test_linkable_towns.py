"""Beside pseudonyms, a filter on a town of a city name several regions share counts by town.

``filter=city=Springfield (North)`` lists that town's users only, but the check counted the
city column, where both towns are one name: 3 users of Woodstead (North) among 45 of the
demo's Woodstead were listed by pseudonym, with their gender, and a batch export wrote them
for every film. Oracle: the towns' sizes counted by hand."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import synthetic_model

from recommender.errors import InvalidParameterError
from recommender.model.model import Model
from recommender.query.filters import candidate_mask, resolve_filters
from recommender.query.linkable import check_filtered, pseudonymous_cut
from recommender.query.pseudonym import ENV_KEY, pseudonymous_users
from recommender.query.render import table_columns


def towns(small: int) -> Model:
    """60 users of Springfield (North), ``small`` of Springfield (South), 60 of Avon (South)."""
    sizes = {("Springfield", "North"): 60, ("Springfield", "South"): small,
             ("Avon", "South"): 60}
    m = synthetic_model(n_users=sum(sizes.values()), n_films=10, seed=3)
    places = [p for p, n in sizes.items() for _ in range(n)]
    m.user_table.attributes["city"] = np.array([c for c, _ in places])
    m.user_table.attributes["region"] = np.array([r for _, r in places])
    m.user_table.attributes["gender"] = np.array(["F", "M"] * (len(places) // 2)
                                                 + ["F"] * (len(places) % 2))
    for name in set(m.user_table.attributes) - {"city", "region", "gender"}:
        del m.user_table.attributes[name]
    return m


@pytest.mark.parametrize("value", ["Springfield (South)", "springfield (south)"])
def test_a_small_town_is_refused_beside_pseudonyms(value: str) -> None:
    m = towns(small=3)
    # a town of 3 users is matched ignoring case only where the minimum cell lists it
    cut = resolve_filters(m, {"city": [value]}, min_cell=1)
    users = np.flatnonzero(candidate_mask(m, None, cut))
    assert len(users) == 3  # the town's own users, by hand
    with pytest.raises(InvalidParameterError, match="3 of the 3 .* filter on fewer"):
        check_filtered(m, cut, (), users, 10)
    with pytest.raises(InvalidParameterError, match="could be linked back"):
        check_filtered(m, cut, ("gender",), users[:1], 10)


def test_the_city_name_and_a_large_town_pass() -> None:
    m = towns(small=3)
    for value in ("Springfield", "Springfield (North)", "Avon"):
        cut = resolve_filters(m, {"city": [value]})
        users = np.flatnonzero(candidate_mask(m, None, cut))
        check_filtered(m, cut, (), users, 10)  # 63, 60 and 60 users share the value
    m = towns(small=12)  # a town of the minimum cell passes
    cut = resolve_filters(m, {"city": ["Springfield (South)"]})
    check_filtered(m, cut, (), np.flatnonzero(candidate_mask(m, None, cut)), 10)


def test_the_cli_table_counts_the_town(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_KEY, "a-key-of-at-least-16-bytes")
    m = pseudonymous_users(towns(small=12), b"a-key-of-at-least-16-bytes")
    users = np.flatnonzero(candidate_mask(m, None, {"city": ["Springfield (South)"]}))
    cut = pseudonymous_cut(m, {"city": ["Springfield (South)"]}, (), users)
    # 12 users in the town, 6 of each gender: beside the town, gender singles them out
    assert table_columns(m, users, cut) == ["segment_label", "region"]
    # counted by the city, as before: 72 Springfields, 36 of each gender
    assert table_columns(m, users, ["city"]) == ["segment_label", "gender"]
