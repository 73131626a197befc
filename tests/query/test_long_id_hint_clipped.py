"""An unknown film argument's title suggestions search a clipped text: a 60 KB id of short
words ("a a a ...") cost 1-1.5 s of CPU per 404 in title matching. The search reads the first
200 characters, or as many as the model's longest title and a year need, so every title typed
as a title is searched whole. Oracle: the hint of the clipped text, computed alone, and the
bound worked out here from the model's titles."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pytest
from service_fixtures import build_model

from recommender.errors import UnknownFilmError
from recommender.model.model import Model
from recommender.query import catalog, hints


@pytest.fixture(scope="module")
def model() -> Model:
    return build_model(seed=0)


def bound(model: Model) -> int:
    """200 characters, or the longest title and room for " (YEAR)" and a little more."""
    longest = max(len(str(t).strip()) for t in model.catalog.titles)
    return max(200, longest + 16)


#: "The Matrix" is a title of the model: named after 200 characters of words no title holds
JUNK = "zq " * 67 + "matrix " + "a " * 30_000


def test_the_suggestion_of_a_long_id_is_the_clipped_text_s(
        model: Model, monkeypatch: pytest.MonkeyPatch) -> None:
    assert "The Matrix" in hints.film_hint(model, JUNK[200:])  # what the whole text matched
    searched: list[str] = []
    search = catalog.search_films

    def spy(m: Model, query: str = "", *args: Any, **kw: Any) -> Any:
        searched.append(query)
        return search(m, query, *args, **kw)

    monkeypatch.setattr(catalog, "search_films", spy)
    with pytest.raises(UnknownFilmError) as e:
        hints.known_film(model, JUNK)
    assert searched == [JUNK[:bound(model)]]
    assert "The Matrix" not in str(e.value)
    assert hints.film_hint(model, JUNK) == hints.film_hint(model, JUNK[:bound(model)])


def test_every_title_typed_as_one_is_searched_whole(model: Model) -> None:
    """A catalog with a title longer than 200 characters: the bound grows with it, so a
    near miss of that title (its year beside it, a letter wrong) still names it."""
    long_title = "The Long " + " ".join(f"Word{i}" for i in range(60))
    titles = np.asarray(model.catalog.titles).astype(object)
    titles[5] = long_title
    wide = dataclasses.replace(model, catalog=dataclasses.replace(
        model.catalog, titles=np.asarray(titles, dtype=str)), _film_labels=None)
    assert bound(wide) > 200
    year = int(wide.catalog.years[5])
    typed = [f"{t} ({y})" if y else str(t)
             for t, y in zip(wide.catalog.titles.tolist(), wide.catalog.years.tolist(),
                             strict=True)]
    assert [t for t in typed if hints.hint_query(wide, t) != t] == []
    near = long_title.replace("Word59", "Wrod59") + (f" ({year})" if year else "")
    fid = wide.film_labels[0][5]
    assert f"{fid} " in hints.film_hint(wide, near)
