"""A filter value typed in another Unicode form than the users file holds it is that value:
``city=Zürich`` typed composed (NFC) for a users file saved decomposed (NFD, as macOS may
save it) was "unknown value 'Zürich'", listing valid values that printed the same."""

from __future__ import annotations

import unicodedata

import numpy as np
import pytest
from helpers import synthetic_model

from recommender.errors import InvalidParameterError
from recommender.query.filters import candidate_mask, resolve_filters


def test_a_value_in_another_unicode_form_or_case_is_the_stored_one() -> None:
    model = synthetic_model(n_users=60, n_films=5, seed=2)
    n = len(model.users)
    stored = [unicodedata.normalize("NFD", v) for v in ("Zürich", "São Paulo", "Köln")]
    cities = np.asarray([stored[i % 3] for i in range(n)])
    model.user_table.attributes["city"] = cities
    for typed, meant in (("Zürich", stored[0]), ("zÜrich", stored[0]),
                         (" SÃO PAULO ", stored[1]), ("köln", stored[2])):
        typed_nfc = unicodedata.normalize("NFC", typed)
        assert typed_nfc not in stored  # the bytes differ
        assert resolve_filters(model, {"city": typed_nfc}) == {"city": [meant]}
        mask = candidate_mask(model, None, {"city": typed_nfc})
        assert mask is not None and mask.tolist() == (cities == meant).tolist()
    with pytest.raises(InvalidParameterError, match="unknown value 'Zurich'"):
        resolve_filters(model, {"city": "Zurich"})  # an accent left out is another word


def test_two_stored_forms_of_one_value_are_ambiguous_unless_typed_exactly() -> None:
    model = synthetic_model(n_users=60, n_films=5, seed=3)
    n = len(model.users)
    nfc, nfd = "Zürich", unicodedata.normalize("NFD", "Zürich")
    model.user_table.attributes["city"] = np.asarray(([nfc, nfd] * n)[:n])
    assert resolve_filters(model, {"city": nfd}) == {"city": [nfd]}  # exact wins
    assert resolve_filters(model, {"city": nfc}) == {"city": [nfc]}
    with pytest.raises(InvalidParameterError, match="ambiguous") as e:
        resolve_filters(model, {"city": "ZÜRICH"})
    # the two print alike: the message says which form each is in
    assert f"({nfd!r} NFD, {nfc!r} NFC)" in str(e.value)
