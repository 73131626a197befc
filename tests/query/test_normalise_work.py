"""Search's ``normalise`` reads only the non-ASCII characters one by one, and folds as before."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest
from title_oracles import movielens_titles

from recommender.query import titles
from recommender.query.titles import normalise


def _reference(text: str) -> str:
    """``normalise`` as written before: each character of the NFKD text tested for an accent."""
    folded = unicodedata.normalize("NFKD", text).translate(titles._LETTERS)
    folded = "".join(c for c in folded if not unicodedata.combining(c)).casefold()
    folded = titles._APOSTROPHES.sub("", folded.replace("&", " and "))
    return titles._NOT_WORD.sub(" ", folded).strip()


def _counted(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The characters ``unicodedata.combining`` is asked about from now on."""
    asked: list[str] = []
    real = unicodedata.combining

    def combining(c: str) -> int:
        asked.append(c)
        return real(c)

    monkeypatch.setattr(titles.unicodedata, "combining", combining)
    return asked


def test_an_ascii_text_is_not_read_character_by_character(monkeypatch: pytest.MonkeyPatch
                                                         ) -> None:
    """``id_titles.also_titled`` normalises a catalog's titles joined (261,148 characters at
    ml-latest-small's 9,742) for each CLI answer for a film id: each character was tested
    for an accent in Python, 0.3 s; only the non-ASCII ones can be one."""
    text = "Heat (1995) Godfather, The (1972) " * 3_000 + "Amélie (2001) Ænima Øre"
    want = _reference(text)
    asked = _counted(monkeypatch)
    assert normalise(text) == want
    nfkd = unicodedata.normalize("NFKD", text).translate(titles._LETTERS)
    assert len(asked) <= sum(not c.isascii() for c in nfkd)
    assert len(asked) >= 1  # the accent of "Amélie" is still read


@pytest.mark.parametrize("text", ["Amélie", "AME\u0301LIE", "İstanbul", "Straße & Co.",
                                  "Cité des enfants perdus, La", "Ǿrsted ǽ", "ﬁlm ½",
                                  "Schindler’s List", "  WALL·E  ", "Nausicaä", ""])
def test_normalise_folds_as_before(text: str) -> None:
    assert normalise(text) == _reference(text)
    assert normalise(unicodedata.normalize("NFD", text)) == _reference(text)


def test_movielens_titles_fold_as_before(shared_datasets: Path) -> None:
    """Every ml-latest-small title, as written (NFC) and decomposed (NFD), alone and joined."""
    names, _ = movielens_titles(shared_datasets)
    assert len(names) > 9_000
    for form in ("NFC", "NFD"):
        written = [unicodedata.normalize(form, t) for t in names]
        assert [normalise(t) for t in written] == [_reference(t) for t in written]
        assert normalise(" ".join(written)) == _reference(" ".join(written))
