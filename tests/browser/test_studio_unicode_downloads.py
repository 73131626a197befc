"""A film page's CSV download keeps its id's letters outside ASCII in the file name: films
``ß`` and ``עברית`` were both saved as ``audience___from1.csv``, and ``कि`` and ``का``, which
differ in a vowel sign (a mark, not a letter), both as ``audience_क__from1.csv``."""

from __future__ import annotations

import urllib.parse
from typing import Any

from studio_http import file_name


def test_non_ascii_film_ids_name_their_downloads(watched: Any, served_odd_ids: Any,
                                                 odd_films: dict[str, str]) -> None:
    page = watched.page
    names = {}
    for film_id in ("ß", "עברית", "कि", "का"):
        assert film_id in odd_films
        page.goto(f"{served_odd_ids.base}/studio/#/film/{urllib.parse.quote(film_id, safe='')}")
        page.wait_for_selector("#audience-status")
        with page.expect_download() as dl:
            page.click("#csv-shown")
        name = dl.value.suggested_filename
        assert film_id in name, name
        assert name == file_name("audience", film_id, "from1")
        with open(dl.value.path(), encoding="utf-8") as f:
            assert f.read().splitlines()[1].startswith(f"{film_id},")
        names[film_id] = name
    assert len(set(names.values())) == len(names)
    watched.assert_clean()
