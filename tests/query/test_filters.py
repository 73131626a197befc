"""``recommender.query.filters``: the one ``ATTRIBUTE=VALUE`` parser of the CLI and the
service (its message names the option as each surface spells it), and the user mask that a
segment and attribute filters select (oracle: the mask built by hand)."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import synthetic_model

from recommender.errors import InvalidParameterError
from recommender.model.model import Model
from recommender.query.filters import candidate_mask, parse_filters


@pytest.fixture(scope="module")
def model() -> Model:
    return synthetic_model(n_users=200, n_films=20, seed=4)


def test_parse_filters_groups_values_by_attribute() -> None:
    assert parse_filters(None) == {} and parse_filters([]) == {}
    got = parse_filters(["region=North", "age_band=25-34", "region=East", "note=a=b"])
    assert got == {"region": ["North", "East"], "age_band": ["25-34"], "note": ["a=b"]}
    assert list(got) == ["region", "age_band", "note"]


@pytest.mark.parametrize("item", ["nonsense", "=North", "region=", "="])
def test_parse_filters_names_the_option_as_the_caller_spells_it(item: str) -> None:
    with pytest.raises(InvalidParameterError) as http:
        parse_filters(["region=North", item])
    assert str(http.value) == f"filter expects ATTRIBUTE=VALUE, got {item!r}"
    with pytest.raises(InvalidParameterError) as cli:
        parse_filters([item], "--filter")
    assert str(cli.value) == f"--filter expects ATTRIBUTE=VALUE, got {item!r}"


def test_candidate_mask_is_the_hand_built_mask(model: Model) -> None:
    labels = np.asarray(model.segments.labels)
    region = np.asarray(model.user_table.attributes["region"])
    gender = np.asarray(model.user_table.attributes["gender"])
    assert candidate_mask(model) is None and candidate_mask(model, None, {}) is None
    mask = candidate_mask(model, 1, {"region": ["North", "East"], "gender": "F"})
    want = (labels == 1) & np.isin(region, ["North", "East"]) & (gender == "F")
    assert mask is not None and mask.tolist() == want.tolist() and want.any()
    with pytest.raises(InvalidParameterError, match=r"segment must be in \[0, "):
        candidate_mask(model, model.segments.n)
    with pytest.raises(InvalidParameterError, match="unknown user attribute 'shoe'; this "
                                                    "model has: age_band, "):
        candidate_mask(model, None, {"shoe": "42"})
