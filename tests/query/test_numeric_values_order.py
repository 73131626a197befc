"""A numeric attribute's values are listed as numbers: ``attributes`` (CLI, ``--json``, ``GET
/users/attributes``) and an unknown value's list of valid ones sorted MovieLens' ``age`` as
text (10, 11, 13 ... "7" after "69"; the refusal listed "10 ... 30 and 41 more", never 7)."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import synthetic_model

from recommender.errors import InvalidParameterError
from recommender.io.text import value_order
from recommender.query.attribute_values import user_attributes
from recommender.query.filters import SHOWN_VALUES, resolve_filters


def test_ages_are_listed_as_numbers_everywhere() -> None:
    model = synthetic_model(n_users=300, n_films=10, seed=48)
    rng = np.random.default_rng(48)
    ages = rng.integers(7, 74, 300)
    column = ages.astype(str)
    column[:5] = ""  # users without an age
    model.user_table.attributes["age"] = column
    model.user_table.attributes["job"] = np.asarray(["10x", "7", "9"])[ages % 3]  # not numbers
    # the oracle: the distinct ages as integers, in integer order, written back as text
    want = [str(a) for a in sorted({int(a) for a in ages[5:]})]
    body = user_attributes(model, min_cell=1)
    assert body["attributes"]["age"] == want
    assert body["attributes"]["job"] == ["10x", "7", "9"]  # text where any is no number
    with pytest.raises(InvalidParameterError) as e:
        resolve_filters(model, {"age": "seventy"}, min_cell=1)  # every age listed
    said = str(e.value)
    listed = ", ".join(want[:SHOWN_VALUES]) + f" and {len(want) - SHOWN_VALUES} more"
    assert f"valid values of 'age' are: {listed}" in said, said


@pytest.mark.parametrize(("values", "ordered"), [
    (["69", "7", "10", ""], ["", "7", "10", "69"]),
    (["2.5", "10", "-1", "7.0", "7"], ["-1", "2.5", "7", "7.0", "10"]),
    (["7", "nan", "10"], ["10", "7", "nan"]),     # not all finite numbers: as text
    (["b", "a"], ["a", "b"]),
    ([], []),
])
def test_value_order(values: list[str], ordered: list[str]) -> None:
    assert value_order(values) == ordered
