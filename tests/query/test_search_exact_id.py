"""A search for an id lists the film of that id, byte for byte, first, and says so: ``GET
/films?query=7`` listed film "007" before film "7" (more watched, the same level and the same
``match``), and "Amélie" typed composed (NFC) the film stored decomposed (NFD) first, though
README promises that a pasted id is found first."""

from __future__ import annotations

import dataclasses
import unicodedata

import numpy as np

from recommender.io.ids import IdMap
from recommender.model.model import Model
from recommender.query.catalog import search_page
from recommender.query.title_match import match_text

NFC = unicodedata.normalize("NFC", "Amélie")
NFD = unicodedata.normalize("NFD", "Amélie")


def _model() -> tuple[Model, dict[str, int]]:
    """The service-test model with four films' ids replaced: of each pair of twins, the
    twin the query is not is the more watched (ranked first when the two tie)."""
    from service_fixtures import build_model

    model = build_model(seed=4)
    by_viewers = np.argsort(-model.film_counts(), kind="stable").tolist()
    films = model.films.ids.astype(object)
    at = dict(zip(["007", "7", NFD, NFC], by_viewers[:4], strict=True))
    for fid, i in at.items():
        films[i] = fid
    ids = np.asarray(films, dtype=str)
    catalog = dataclasses.replace(model.catalog, film_ids=ids)
    return dataclasses.replace(model, films=IdMap(ids), catalog=catalog), at


def test_the_id_pasted_is_listed_first_and_marked_exact() -> None:
    model, at = _model()
    for query, twin in (("7", "007"), ("007", "7"), (NFC, NFD), (NFD, NFC), (" 7 ", "007")):
        _, rows, kinds = search_page(model, query, 20, 0, None)
        exact = query if query in at else query.strip()
        assert rows[0]["film_id"] == exact, query  # the oracle: the id equal to the query
        assert rows[0]["match"]["kind"] == "film_id" and rows[0]["match"]["exact_id"] is True
        other = next(r for r in rows if r["film_id"] == twin)
        assert other["match"]["kind"] == "film_id" and other["match"]["exact_id"] is False
        assert rows.index(other) > 0 and kinds["film_id"] >= 2
        assert match_text(rows[0]["match"]) == "film id"
        assert match_text(other["match"]).startswith("film id, another form")
    assert all(not r["match"]["exact_id"] for r in search_page(model, "the", 20, 0, None)[1])
