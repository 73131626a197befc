"""A misspelt attribute name, attribute value or tier is refused with the one known name it
is closest to (``did you mean``), beside the list of valid ones as before: ``gendr=F`` and
``--tier cor`` named only the list, which an analyst reads through for the slip."""

from __future__ import annotations

import difflib

import pytest
from helpers import synthetic_model

from recommender.errors import InvalidParameterError
from recommender.io.text import did_you_mean
from recommender.model.model import Model
from recommender.query.catalog import segment_labels
from recommender.query.filters import resolve_filters, resolve_segment
from recommender.query.pages import resolve_tier


@pytest.fixture(scope="module")
def model() -> Model:
    return synthetic_model(n_users=200, n_films=20, seed=4)


def refusal(model: Model, filters: dict[str, str]) -> str:
    with pytest.raises(InvalidParameterError) as e:
        resolve_filters(model, filters)
    return str(e.value)


def closest(word: str, known: list[str]) -> str:
    """The oracle: difflib's closest of ``known`` to ``word`` in lower case, or ""."""
    near = difflib.get_close_matches(word.lower(), [k.lower() for k in known], 1, 0.75)
    return next((k for k in known if near and k.lower() == near[0]), "")


def test_a_misspelt_attribute_name_is_named_with_the_closest(model: Model) -> None:
    names = sorted(model.user_table.attributes)
    for typo in ("gendr", "REGON", " age_bnd "):
        want = closest(typo.strip(), names)
        assert want in names
        said = refusal(model, {typo: "x"})
        assert said.startswith(f"unknown user attribute {typo!r} (did you mean {want!r}?); "
                               "this model has: ")
        assert said.endswith(", ".join(names))  # the list, as before


def test_a_misspelt_value_is_named_with_the_closest(model: Model) -> None:
    regions = sorted(set(model.user_table.attributes["region"].tolist()) - {""})
    typo = regions[0][:-1] + "x" + regions[0][-1]  # a letter slipped in
    assert closest(typo, regions) == regions[0]
    assert f"for user attribute 'region' (did you mean {regions[0]!r}?); valid values" in \
        refusal(model, {"region": typo})


def test_a_word_near_nothing_gets_no_suggestion(model: Model) -> None:
    assert "did you mean" not in refusal(model, {"shoe": "42"})
    assert "did you mean" not in refusal(model, {"region": "Atlantis"})
    assert did_you_mean("anything", []) == ""


def test_a_misspelt_tier_is_named_with_the_closest() -> None:
    for typo, want in (("cor", "core"), ("Extnded", "extended"), ("brod", "broad")):
        with pytest.raises(InvalidParameterError, match=rf"^unknown tier {typo!r} \(did you "
                                                         rf"mean {want!r}\?\); the tiers are: "):
            resolve_tier(typo)
    with pytest.raises(InvalidParameterError) as e:
        resolve_tier("outer")
    assert "did you mean" not in str(e.value)


def test_a_misspelt_segment_label_is_named_with_the_closest(model: Model) -> None:
    """A segment is named by its label as an attribute's value is: ``--segment 'Horor &
    Adventure fans'`` was refused with the list alone."""
    labels = segment_labels(model)
    label = max(labels, key=len)
    typo = label[:2] + label[3:]  # a letter dropped
    want = closest(typo, labels)
    assert want
    with pytest.raises(InvalidParameterError) as e:
        resolve_segment(model, typo)
    assert str(e.value).startswith(f"unknown segment {typo!r} (did you mean {want!r}?); "
                                   "give a number or a label: 0: ")
    with pytest.raises(InvalidParameterError) as e:
        resolve_segment(model, "zzzzzz")
    assert "did you mean" not in str(e.value)
