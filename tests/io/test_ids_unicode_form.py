"""An unknown id that is a known one in another Unicode form (``Amélie`` composed, NFC, for
``Amélie`` decomposed, NFD) is named with the id meant and the form of each: the two print
alike, and were answered only "unknown film_id 'Amélie'"."""

from __future__ import annotations

import random
import unicodedata

import pytest

from recommender.errors import UnknownFilmError
from recommender.io.ids import IdMap

NFC_E, NFD_E = "\u00e9", "e\u0301"


def _oracle(ids: list[str], asked: str) -> list[str]:
    key = unicodedata.normalize("NFC", asked.strip())
    if not key:
        return []
    return ([key] if key in ids else []) + [
        s for s in ids if s != key and unicodedata.normalize("NFC", s.strip()) == key]


def test_same_form_names_what_a_plain_loop_names() -> None:
    rng = random.Random(5)
    for _ in range(200):
        pool = ["".join(rng.choice(["a", "0", " ", NFC_E, NFD_E, "\u0301"])
                        for _ in range(rng.randint(1, 4))) for _ in range(30)]
        ids = list(dict.fromkeys(pool))
        known = IdMap(ids)
        for asked in [*pool, "", " ", NFC_E, NFD_E, f" {NFD_E}a "]:
            assert known.same_form(asked) == _oracle(ids, asked), (ids, asked)
            assert set(_oracle(ids, asked)) - {asked} <= set(known.same_but_zeros(asked))


def test_an_id_typed_in_the_other_form_is_named_with_both_forms() -> None:
    nfd = unicodedata.normalize("NFD", "Amélie/1")
    films = IdMap([nfd, "Amelie/1", "x"])
    typed = unicodedata.normalize("NFC", nfd)
    assert typed != nfd and typed not in films
    with pytest.raises(UnknownFilmError) as e:
        films.index_of(typed, UnknownFilmError)
    message = str(e.value)
    assert f"did you mean {nfd!r} (the same letters in Unicode form NFD" in message
    assert "the id given is NFC" in message
    assert "'Amelie/1'" not in message  # accents are part of an id: no accent-blind match
    # and the reverse: an NFC id asked in NFD
    with pytest.raises(UnknownFilmError) as e:
        IdMap([typed]).index_of(nfd, UnknownFilmError)
    assert f"did you mean {typed!r} (the same letters in Unicode form NFC" in str(e.value)
