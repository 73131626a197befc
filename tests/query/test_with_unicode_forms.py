"""``--with`` (``?with=``) finds a user attribute named in another Unicode form than the users
file spells it, as a filter finds it: ``--filter Größe=L`` typed composed (NFC) found the
column ``Größe`` a users file saved decomposed (NFD), ``--with Größe`` was "unknown column"."""

from __future__ import annotations

import unicodedata

import numpy as np
import pytest
from helpers import synthetic_model

from recommender.errors import InvalidParameterError
from recommender.query.filters import resolve_filters
from recommender.query.render import resolve_with


def test_with_matches_an_attribute_name_as_a_filter_does() -> None:
    model = synthetic_model(n_users=40, n_films=5, seed=4)
    n = len(model.users)
    stored = unicodedata.normalize("NFD", "Größe")
    model.user_table.attributes[stored] = np.asarray(["L", "M"] * (n // 2) + ["L"] * (n % 2))
    for typed in ("Größe", "GRÖSSE", " größe "):
        typed = unicodedata.normalize("NFC", typed)
        assert typed.strip() not in model.user_table.attributes  # the bytes differ
        # the oracle: the name a filter resolves it to
        (name,) = resolve_filters(model, {typed: "L"})
        assert name == stored
        assert resolve_with(model, typed) == [stored], typed
    with pytest.raises(InvalidParameterError, match="unknown --with column 'Grose'"):
        resolve_with(model, "Grose")  # a letter left out is another name
