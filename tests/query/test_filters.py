"""``recommender.query.filters``: the one ``ATTRIBUTE=VALUE`` parser of the CLI and the
service (its message names the option as each surface spells it), and the user mask that a
segment and attribute filters select (oracle: the mask built by hand)."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import synthetic_model

from recommender.errors import InvalidParameterError
from recommender.model.model import Model
from recommender.query.filters import candidate_mask, parse_filters, resolve_filters


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
    hint = "; for the users without a value of region, give region=(no value)" \
        if item == "region=" else ""
    assert str(http.value) == f"filter expects ATTRIBUTE=VALUE, got {item!r}{hint}"
    with pytest.raises(InvalidParameterError) as cli:
        parse_filters([item], "--filter")
    assert str(cli.value) == f"--filter expects ATTRIBUTE=VALUE, got {item!r}{hint}"


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


# ------------------------------------------------------------------ values that match nothing


def test_values_resolve_case_insensitively_when_unambiguous(model: Model) -> None:
    region = np.asarray(model.user_table.attributes["region"])
    assert resolve_filters(model, {"region": ["north", "EAST"], "Gender": "f"}) == {
        "region": ["North", "East"], "gender": ["F"]}
    mask = candidate_mask(model, None, {"REGION": ["north", "East"]})
    assert mask is not None and mask.tolist() == np.isin(region, ["North", "East"]).tolist()
    # the same mask as the exact spelling, and exact spellings are kept as they are
    exact = candidate_mask(model, None, {"region": ["North", "East"]})
    assert exact is not None and exact.tolist() == mask.tolist()
    assert resolve_filters(model, None) == {} and resolve_filters(model, {}) == {}


def test_a_value_that_matches_nothing_lists_the_valid_values(model: Model) -> None:
    with pytest.raises(InvalidParameterError) as e:
        candidate_mask(model, None, {"region": ["North", "Nowhere"]})
    assert str(e.value) == ("unknown value 'Nowhere' for user attribute 'region'; valid "
                            "values of 'region' are: East, North, South, West")
    with pytest.raises(InvalidParameterError) as e:
        candidate_mask(model, 0, {"gender": "x"})
    assert str(e.value) == ("unknown value 'x' for user attribute 'gender'; valid values of "
                            "'gender' are: F, M")


def test_an_unknown_attribute_lists_the_known_attributes(model: Model) -> None:
    with pytest.raises(InvalidParameterError) as e:
        candidate_mask(model, None, {"shoe": "42"})
    assert str(e.value) == ("unknown user attribute 'shoe'; this model has: age_band, gender, "
                            "region")


def test_ambiguous_and_long_value_lists(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RECOMMENDER_MIN_CELL", "1")  # every value listed (few users each)
    model = synthetic_model(n_users=60, n_films=5, seed=1)
    attrs = model.user_table.attributes
    n = len(model.users)
    attrs["city"] = np.asarray([f"C{i % 25:02d}" for i in range(n)])
    attrs["team"] = np.asarray((["North", "NORTH", "South", ""] * n)[:n])
    assert resolve_filters(model, {"team": "south"}) == {"team": ["South"]}
    assert resolve_filters(model, {"team": "NORTH"}) == {"team": ["NORTH"]}  # exact wins
    with pytest.raises(InvalidParameterError) as e:
        candidate_mask(model, None, {"team": "north"})
    # a user without the attribute ("") is not a value
    assert str(e.value) == ("value 'north' for user attribute 'team' is ambiguous: it matches "
                            "'NORTH' and 'North' ignoring case; valid values of 'team' are: "
                            "NORTH, North, South; and (no value) for the users without one")
    with pytest.raises(InvalidParameterError) as e:
        candidate_mask(model, None, {"city": "C99"})
    first = ", ".join(f"C{i:02d}" for i in range(20))
    assert str(e.value).startswith(f"unknown value 'C99' for user attribute 'city'; valid "
                                   f"values of 'city' are: {first} and 5 more")
    # the model's cities recur in several regions: their towns are named too (without the
    # region column, the message ends at the listing)
    assert "also named with its region, as 'C00 (" in str(e.value)
    plain = synthetic_model(n_users=60, n_films=5, seed=1)  # the same, without region
    plain.user_table.attributes["city"] = attrs["city"]
    del plain.user_table.attributes["region"]
    with pytest.raises(InvalidParameterError) as e:
        candidate_mask(plain, None, {"city": "C99"})
    assert str(e.value).endswith(f"'city' are: {first} and 5 more")
    mask = candidate_mask(model, None, {"city": "c03"})
    assert mask is not None and mask.tolist() == (attrs["city"] == "C03").tolist()


@pytest.mark.parametrize("text", ["--1", "²", "-²", "1²", "٣"])
def test_a_segment_that_only_looks_numeric_is_an_unknown_label(model: Model,
                                                                 text: str) -> None:
    # str.isdigit takes "²" and "٣", lstrip("-") takes "--1"; int() refuses them all
    with pytest.raises(InvalidParameterError) as e:
        candidate_mask(model, text)
    assert str(e.value).startswith(f"unknown segment {text!r}; give a number or a label: 0: ")
    mask = candidate_mask(model, " 1 ")
    assert mask is not None and mask.tolist() == (np.asarray(model.segments.labels) == 1).tolist()


def test_a_segment_number_of_any_length_is_refused_as_out_of_range(model: Model) -> None:
    """``int()`` refuses a text of over 4,300 digits (and ``str()`` an int of as many): such a
    segment raised ``ValueError`` (a 500, a traceback); it is out of range, as 23 digits are,
    and the message quotes its first digits and counts them."""
    from recommender.query.filters import resolve_segment

    last = model.segments.n - 1
    cases = {"9" * 23: "9" * 23, "9" * 5000: "999999999999... (5,000 digits)",
             "-" + "9" * 5000: "-99999999999... (5,000 digits)",
             10 ** 5000: "a number of over 30 digits",
             -(10 ** 5000): "a negative number of over 30 digits"}
    for given, shown in cases.items():
        with pytest.raises(InvalidParameterError) as e:
            resolve_segment(model, given)
        assert str(e.value).startswith(f"segment must be in [0, {last}], got {shown}; "), e.value
    assert resolve_segment(model, "0" * 5000 + "1") == 1 == resolve_segment(model, " 01 ")
