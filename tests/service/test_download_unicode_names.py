"""A download whose id holds letters outside ASCII keeps them in its file name
(``filename*``, RFC 6266): plans ``Plan ß`` and ``Plan ü`` were both saved as
``Plan__.csv``, and film ``tt/0042 é``'s audience as ``audience_tt_0042_.csv``."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

from fastapi.testclient import TestClient
from service_fixtures import ODD_FILM_ID, save_model

from recommender.campaigns.plan import plan_slate
from recommender.campaigns.slate import SlateFilm
from recommender.campaigns.store import open_store
from recommender.model import artifact
from service.app import create_app
from service.settings import Settings

PLANS = ["Plan ß", "Plan ü", "計画/1", unicodedata.normalize("NFD", "Plan é"), "plain"]


def _saved_as(disposition: str) -> tuple[str, str | None]:
    """(filename, filename* decoded), read by RFC 6266's grammar: ``filename="..."`` in
    ASCII, ``filename*=UTF-8''<percent-encoded UTF-8>`` (RFC 8187)."""
    params = dict(p.strip().split("=", 1) for p in disposition.split(";")[1:])
    assert disposition.split(";")[0] == "attachment"
    plain = params["filename"]
    assert plain.isascii() and plain[0] == plain[-1] == '"' and '"' not in plain[1:-1]
    star = params.get("filename*")
    if star is None:
        return plain[1:-1], None
    charset, language, encoded = star.split("'")
    assert (charset.upper(), language) == ("UTF-8", "") and encoded.isascii()
    return plain[1:-1], unquote(encoded, encoding="utf-8", errors="strict")


def _letters(text: str) -> str:
    """The letters of ``text`` (a file name: its ids' tags, "-" and 8 hex digits, left out)."""
    text = re.sub(r"-[0-9a-f]{8}(?=[._])", "", text)
    return "".join(c for c in unicodedata.normalize("NFC", text) if c.isalnum())


def test_non_ascii_ids_name_their_downloads(tmp_path: Path) -> None:
    model_dir = save_model(tmp_path / "model")
    store = open_store(str(tmp_path / "store.db"))
    model = artifact.load(model_dir)
    for plan_id in PLANS:
        plan = plan_slate(model, [SlateFilm("00000", 5)], waves=2, plan_id=plan_id)
        store.save_plan(plan.plan_id, plan.summary, plan.rows)
    store.close()
    settings = Settings(model_path=str(model_dir), store=str(tmp_path / "store.db"),
                        warm_cache=False)
    with TestClient(create_app(settings)) as client:
        names = {}
        for plan_id in PLANS:
            r = client.get(f"/campaigns/{quote(plan_id, safe='')}/plan.csv")
            assert r.status_code == 200, r.text
            plain, star = _saved_as(r.headers["content-disposition"])
            if plan_id.isascii():
                assert (plain, star) == (f"{plan_id}.csv", None)  # as before
                continue
            assert star is not None and star.endswith(".csv"), plain
            assert _letters(star) == _letters(plan_id) + "csv"  # every letter, in order
            names[plan_id] = star
        assert len(set(names.values())) == len(names)  # one file name per plan
        r = client.get(f"/films/{quote(ODD_FILM_ID, safe='')}/audience.csv", params={"k": 3})
        assert r.status_code == 200, r.text
        plain, star = _saved_as(r.headers["content-disposition"])
        assert plain.startswith("audience_") and star is not None
        assert _letters(star) == "audience" + _letters(ODD_FILM_ID) + "csv", star


#: ids of letters and marks only, two differing in a vowel sign alone (Devanagari, Thai,
#: Arabic with its harakat): a mark is part of the word, as an accent is
MARKED = ["कि", "का", "हिन्दी", "กิน", "กัน", "كَتَبَ", "كُتُب", unicodedata.normalize("NFD", "Amélie")]


def test_a_vowel_sign_or_other_mark_is_kept_in_the_file_name() -> None:
    from service.filenames import attachment, id_tag

    names = []
    for film_id in MARKED:
        assert all(unicodedata.category(c)[0] in "LM" for c in film_id)
        _, star = _saved_as(attachment(["audience", film_id], "film", ids=(1,)))
        # nothing to replace: the name is the id itself, composed where a form composes it,
        # and then tagged by its bytes (a decomposed id is another id than the composed one)
        composed = unicodedata.normalize("NFC", film_id)
        tag = "" if composed == film_id else f"-{id_tag(film_id)}"
        assert star == f"audience_{composed}{tag}.csv", (film_id, star)
        names.append(star)
    assert len(set(names)) == len(MARKED)  # "कि" and "का" were both audience_क_.csv


#: distinct ids whose safe forms were one: symbols alone (each "_"), and one word composed
#: (NFC) and decomposed (NFD), which filename* composed alike
TWINS = ["🍿", "🎬", "🍿🍿", "é", unicodedata.normalize("NFD", "é"), "Amélie",
         unicodedata.normalize("NFD", "Amélie"), "a b", "a/b"]


def test_distinct_ids_download_under_distinct_names(tmp_path_factory: Any) -> None:
    """GET /films/%F0%9F%8D%BF/audience.csv was saved as audience__.csv, as every film of
    symbols alone; the NFC and NFD Amélie (two films) under one filename*. Oracle: each name a
    browser saves under (filename*, else filename) and the ASCII filename alone are each one
    per film, and each names its id's bytes (the tag is SHA-256 of them, computed here)."""
    import hashlib

    from test_raw_film_ids import saved_with_films

    path = saved_with_films(tmp_path_factory, 4, TWINS, "twins")
    saved, plain_names = [], []
    with TestClient(create_app(Settings(model_path=str(path), warm_cache=False))) as client:
        for film_id in TWINS:
            r = client.get(f"/films/{quote(film_id, safe='')}/audience.csv", params={"k": 3})
            assert r.status_code == 200, r.text
            plain, star = _saved_as(r.headers["content-disposition"])
            saved.append(star or plain)
            plain_names.append(plain)
            tag = hashlib.sha256(film_id.encode()).hexdigest()[:8]
            assert f"-{tag}" in plain, (film_id, plain)
    assert len(set(saved)) == len(TWINS), saved
    assert len(set(plain_names)) == len(TWINS), plain_names
