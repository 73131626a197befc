"""A title typed where a film id is asked for names the films whose title it is, case and
Unicode form aside, as the README says ("case and surrounding blanks aside"): `Amélie` typed
composed (NFC) was "the title of a-nfc" alone, a-nfd (its title the same word decomposed,
NFD) listed as a mere search match, where two films titled alike byte for byte are "the
title of 2 films"; `KIŞ UYKUSU` (Turkish capitals: I is ı's capital) was no title of "Kış
Uykusu" (``str.lower`` folds I to i), only "it matches titles". The CLI and the HTTP 404 say
it alike.

Oracle: the tiny catalog below (ids, titles and years set by the test, the NFD form built
with ``unicodedata``), and the byte-equal duplicate pair's own sentence.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from helpers import run_cli
from small_logs import small_model

from recommender.model import artifact
from recommender.query.hints import titled_exactly
from service.app import create_app
from service.settings import Settings

AMELIE = unicodedata.normalize("NFC", "Amélie")
AMELIE_NFD = unicodedata.normalize("NFD", "Amélie")
FILMS = [("a-nfc", AMELIE, 2001), ("a-nfd", AMELIE_NFD, 2001), ("kis", "Kış Uykusu", 2014),
         ("h-1", "Heat", 1995), ("h-2", "Heat", 1995), ("ist", "İstanbul", 2010),
         ("f-1", "Film 1", 2000), ("f-2", "Film 2", 2000)]


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    assert AMELIE != AMELIE_NFD
    return small_model(tmp_path_factory.mktemp("caseless") / "model", FILMS)


def _said(model_dir: Path, typed: str, capsys: pytest.CaptureFixture[str]) -> list[str]:
    code, _, err = run_cli(capsys, "audience", model_dir, typed)
    with TestClient(create_app(Settings(model_path=str(model_dir), warm_cache=False))) as c:
        r = c.get(f"/films/{quote(typed, safe='')}/audience")
    assert code == 2 and r.status_code == 404, (err, r.text)
    return [err, r.json()["detail"]]


@pytest.mark.parametrize(("typed", "titled"), [
    (AMELIE, ["a-nfc", "a-nfd"]), (AMELIE_NFD, ["a-nfc", "a-nfd"]),
    ("AMÉLIE", ["a-nfc", "a-nfd"]), (" amélie (2001) ", ["a-nfc", "a-nfd"]),
    ("KIŞ UYKUSU", ["kis"]), ("kış uykusu", ["kis"]), ("İSTANBUL", ["ist"]),
    ("istanbul", ["ist"]), ("ISTANBUL", ["ist"]),
    # still no accent forgiven, nor a wrong year
    ("Amelie", []), ("KIS UYKUSU", []), ("amélie (2002)", []),
])
def test_a_title_is_named_case_and_unicode_form_aside(model_dir: Path, typed: str,
                                                      titled: list[str]) -> None:
    model = artifact.load(model_dir)
    assert [model.film_labels[0][i] for i in titled_exactly(model, typed).tolist()] == titled


@pytest.mark.parametrize("typed", [AMELIE, AMELIE_NFD])
def test_two_films_of_one_title_in_two_forms_are_said_as_two(
        model_dir: Path, typed: str, capsys: pytest.CaptureFixture[str]) -> None:
    for said in _said(model_dir, typed, capsys):
        assert "it is the title of 2 films: " in said and "give the id of the one meant" in said
        assert "a-nfc" in said and "a-nfd" in said and "also matches titles" not in said, said
    # as two films titled alike byte for byte are
    for said in _said(model_dir, "Heat", capsys):
        assert "it is the title of 2 films: " in said, said


def test_turkish_capitals_name_the_title(model_dir: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    for said in _said(model_dir, "KIŞ UYKUSU", capsys):
        assert "it is the title of kis Kış Uykusu (2014): give its id, 'kis'" in said, said
