"""Search finds a film by its id typed in another Unicode form than the model holds it (an id
stored decomposed, NFD, typed composed, NFC, as most keyboards type it): it found titles
ignoring accents, but the id itself answered "0 films match"."""

from __future__ import annotations

import unicodedata

from helpers import synthetic_model

from recommender.io.ids import IdMap
from recommender.query.catalog import search_films


def test_an_id_in_another_unicode_form_is_found_by_id() -> None:
    model = synthetic_model(n_users=120, n_films=12, seed=6)
    ids = model.films.ids.tolist()
    stored = {3: unicodedata.normalize("NFD", "Amélie-3"), 5: "Ångström-5",
              7: unicodedata.normalize("NFD", "Ελλάδα/7")}
    for i, film_id in stored.items():
        ids[i] = film_id
    model.films = IdMap(ids)
    for film_id in stored.values():
        for typed in {unicodedata.normalize(f, film_id) for f in ("NFC", "NFD")}:
            for query in (typed, f" {typed} "):
                total, rows = search_films(model, query, limit=50)
                assert total >= 1 and rows[0]["film_id"] == film_id, (query, rows[:2])
                assert rows[0]["match"]["kind"] == "film_id"
    # an accent left out is another id, still
    assert all(r["film_id"] != stored[5] for r in search_films(model, "Angstrom-5")[1])
