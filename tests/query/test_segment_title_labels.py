"""A segment label named after a film ("Fans of American Werewolf in Paris, An (1997)", as
``segments.py`` writes a catalog title) is taken with its title typed as title search takes
it: article in front or left out, year optional, any case and accents. "an american werewolf
in paris" was refused ("did you mean ...") though search finds the film by it.

Oracle: the planted labels' segment numbers; title search (``TitleIndex``) over the planted
titles finds each typed title as a whole title of that film.
"""

from __future__ import annotations

import numpy as np
import pytest
from helpers import synthetic_model

from recommender.errors import InvalidParameterError
from recommender.io.dataset import Catalog
from recommender.model.model import Model
from recommender.query.filters import cut_text, resolve_segment
from recommender.query.title_match import match_reasons
from recommender.query.titles import TitleIndex

TITLES = ["American Werewolf in Paris, An (1997)", "Cité des enfants perdus, La (1995)",
          "Matrix, The (1999)"]


@pytest.fixture(scope="module")
def model() -> Model:
    model = synthetic_model(n_users=400, n_films=10, n_segments=4, seed=8)
    for info, title in zip(model.segments.info, TITLES, strict=False):
        info["label"] = f"Fans of {title}"
    model.segments.info[3]["label"] = "Drama fans"
    assert np.bincount(np.asarray(model.segments.labels), minlength=4).min() >= 10
    return model


@pytest.mark.parametrize(("typed", "segment"), [
    ("an american werewolf in paris", 0),
    ("American Werewolf in Paris", 0),
    ("american werewolf in paris 1997", 0),
    ("An American Werewolf in Paris (1997)", 0),
    ("American Werewolf in Paris, An 1997", 0),
    ("fans of an american werewolf in paris", 0),
    ("  AN AMÉRICAN WEREWOLF IN PARIS ", 0),
    ("la cite des enfants perdus", 1),
    ("Cité des enfants perdus", 1),
    ("the matrix", 2),
    ("Fans of the Matrix 1999", 2),
])
def test_a_title_label_takes_the_title_as_search_does(model: Model, typed: str,
                                                      segment: int) -> None:
    index = TitleIndex(TITLES, [0] * len(TITLES))
    scores, levels = index.scored(typed.lower().removeprefix("fans of ").strip())
    best = int(np.argmax(scores))
    assert best == segment  # search finds the film by it, as a whole title
    assert match_reasons(index, typed, np.array([best]), levels[[best]])[0]["kind"] == "title"
    assert resolve_segment(model, typed) == segment
    assert cut_text(model, typed, None) == f"segment {segment} (Fans of {TITLES[segment]})"


@pytest.mark.parametrize("typed", ["an american werewolf in london", "matrix reloaded",
                                   "the matrix 2003", "drama fans of"])
def test_another_title_is_still_refused(model: Model, typed: str) -> None:
    with pytest.raises(InvalidParameterError, match="unknown segment"):
        resolve_segment(model, typed)


def test_the_old_readings_stand(model: Model) -> None:
    assert resolve_segment(model, "drama") == 3  # a label's part
    assert resolve_segment(model, "werewolf in") == 0
    assert resolve_segment(model, "fans of american werewolf in paris, an (1997)") == 0


# a catalog that keeps the year in a column (the demo's films.csv), not in the title text
YEAR_TITLES = ["Crown of Alaska, The", "Matrix, The", "Heat"]
YEARS = [2012, 1999, 1995]


@pytest.fixture(scope="module")
def year_column_model() -> Model:
    model = synthetic_model(n_users=400, n_films=10, n_segments=4, seed=8)
    titles = [f"Film {i}" for i in range(10)]
    titles[:3] = YEAR_TITLES
    years = np.asarray(model.catalog.years).copy()
    years[:3] = YEARS
    model.catalog = Catalog(model.catalog.film_ids, np.array(titles), years,
                            model.catalog.genres)
    for film, (info, title) in enumerate(zip(model.segments.info, YEAR_TITLES, strict=False)):
        info["label"] = f"Fans of {title}"  # as segments.py writes it: the catalog's title
        info["representative_films"] = [{"film_id": str(model.films.ids[film]),
                                         "title": title, "lift": 3.0}]
    model.segments.info[3]["label"] = "Drama fans"
    return model


@pytest.mark.parametrize(("typed", "segment"), [
    ("crown of alaska 2012", 0),
    ("The Crown of Alaska (2012)", 0),
    ("the crown of alaska 2012", 0),
    ("Crown of Alaska, The 2012", 0),
    ("crown of alaska", 0),
    ("the matrix 1999", 1),
    ("Heat (1995)", 2),
])
def test_a_title_label_takes_the_catalogs_year_column(year_column_model: Model, typed: str,
                                                      segment: int) -> None:
    """The year search reads from the catalog's column is taken too (it was refused: only
    a year in the title's text was); oracle: title search over the same titles and years
    finds the film by it, with the year's bonus."""
    index = TitleIndex(YEAR_TITLES, YEARS)
    scores, _ = index.scored(typed.lower())
    assert int(np.argmax(scores)) == segment
    assert resolve_segment(year_column_model, typed) == segment
    assert cut_text(year_column_model, typed, None) == \
        f"segment {segment} (Fans of {YEAR_TITLES[segment]})"


@pytest.mark.parametrize("typed", ["crown of alaska 2011", "the matrix 2003", "heat 1999"])
def test_another_year_than_the_catalogs_is_refused(year_column_model: Model,
                                                   typed: str) -> None:
    with pytest.raises(InvalidParameterError, match="unknown segment"):
        resolve_segment(year_column_model, typed)
