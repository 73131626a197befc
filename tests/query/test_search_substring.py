"""``match="substring"`` keeps the films whose title holds the query (the contract's title
substring search), and ``totals_by_kind`` splits a search's total by the kind each row is
given: a total of 6 where 2 titles hold "and the orb" says that the other 4 matched by words
or similarity.

Oracle: a hand-made catalog, Python's ``in`` on the lower-cased titles, and the rows' own
``match.kind`` counted over every page.
"""

from __future__ import annotations

import dataclasses
from collections import Counter

import numpy as np
import pytest
from helpers import synthetic_model

from recommender.errors import InvalidParameterError
from recommender.model.model import Model
from recommender.query.catalog import search_body

TITLES = ["Harry and the Orb", "Sam and the Orb of Fire", "The Orb and the King",
          "Orb the And", "And Then the Orbit", "The Orbs", "Heat", "Brazil", "And the Orc",
          "Orbital and the", "Tango and Cash", "Orb"]


@pytest.fixture(scope="module")
def model() -> Model:
    m = synthetic_model(n_users=40, n_films=len(TITLES), seed=5)
    return dataclasses.replace(m, catalog=dataclasses.replace(
        m.catalog, titles=np.asarray(TITLES, dtype=str),
        years=np.zeros(len(TITLES), np.int32)))


@pytest.mark.parametrize("query", ["and the orb", "orb", "AND THE", "the", "zzz", "an"])
def test_substring_keeps_the_titles_holding_the_query(model: Model, query: str) -> None:
    body = search_body(model, query, 1000, 0, None, match="substring")
    holding = {t for t in TITLES if query.lower() in t.lower()}
    assert body["total"] == len(holding) and body["match"] == "substring"
    assert {f["title"] for f in body["films"]} == holding
    assert sum(body["totals_by_kind"].values()) == body["total"]


@pytest.mark.parametrize("query", ["and the orb", "orb", "the orb", "harry the orb", "orbb",
                                   "", "tango cash", "0003"])
def test_totals_by_kind_count_every_pages_rows(model: Model, query: str) -> None:
    whole = search_body(model, query, 1000, 0, None)
    kinds = Counter(f["match"]["kind"] for f in whole["films"])
    assert whole["totals_by_kind"] == dict(kinds) and whole["match"] == "any"
    assert sum(kinds.values()) == whole["total"]
    # a page counts every page's hits, not its own
    assert search_body(model, query, 1, 0, None)["totals_by_kind"] == whole["totals_by_kind"]


def test_any_finds_more_than_the_substring_says(model: Model) -> None:
    """The finding: 'and the orb' is in 2 titles; the default mode lists more, and says by
    which kinds."""
    any_ = search_body(model, "and the orb", 1000, 0, None)
    exact = search_body(model, "and the orb", 1000, 0, None, match="substring")
    assert exact["total"] == 2 < any_["total"]
    assert any_["totals_by_kind"].get("words", 0) >= 1


def test_an_unknown_mode_is_refused(model: Model) -> None:
    with pytest.raises(InvalidParameterError, match="match must be one of any, substring"):
        search_body(model, "orb", 10, 0, None, match="fuzzy")  # type: ignore[arg-type]
